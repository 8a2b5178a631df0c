"""FashionDialog-v0: dialog-based interactive fashion image retrieval.

## Description

A shopper has a hidden target item of the catalog in mind. Each turn the system shows one
item; the shopper answers with a relative caption ("is darker and has longer sleeves").
The agent turns the dialog so far into a query; the retrieval database ranks the whole
catalog for it and the best-ranked item not shown yet is shown next. Agents are scored by
the recall of the target per turn (Guo et al. 2018; Fashion IQ, Wu et al. 2021).

## Action Space

`Box(-1, 1, (D,), float32)`: a query vector in the database's item space
`z_i = [visual features ; attribute vector]` (Fashion IQ's `d(x) = W[x, phi(x)]`), scored
by inner product (or cosine). Ranking is invariant to the query's scale, so every
direction is expressible inside the box.

What `step` accepts: any finite real vector of shape `(D,)` (ints or floats of any width,
inside the box or not). The database ranks it by its direction only: it is scaled by a
power of two (exactly) until its largest component lies in [0.5, 1) and then converted to
float32, so `3e38 * q`, `1e-30 * q` and `q` give the same dialog. The zero vector scores
every item alike: ties go by item index, so the target's rank is the number of unshown
items with a smaller index and the unshown item with the smallest index is shown next.
Non-finite values or a wrong shape raise `ValueError`; bool, complex, string or object
arrays raise `TypeError` naming the dtype.

## Observation Space

| key                    | space                  | meaning                                |
|------------------------|------------------------|----------------------------------------|
| `feedback`             | Box(0, vocab-1, (L,))  | caption token ids (int64), 0 = padding |
| `candidate_features`   | Box(lo, hi, (Dv,))     | visual features of the shown item      |
| `candidate_attributes` | Box(0, 1, (V,))        | its attributes as the world perceives  |
| `turn`                 | Box(0, T, (1,))        | turn index (0 after reset)             |
| `feedback_embedding`   | Box(-1, 1, (384,))     | only with `feedback_embedding=True`:   |
|                        |                        | all-MiniLM-L6-v2 embedding of the text |

With `observation="flat"` (for default MLP policies: SB3 `MlpPolicy`, RLlib, TorchRL) the
observation is one float32 `Box` (`dialog_env.observations.flat_layout` names the slices):

| slice                  | size         | meaning                                        |
|------------------------|--------------|------------------------------------------------|
| `caption`              | vocab - 1    | `flat_text="bow"` (default): bag-of-words      |
|                        |              | counts of the caption token ids (id t at t - 1,|
|                        |              | padding left out), in [0, L]                   |
|                        | (256)        | `flat_text="hashed"`: signed hashed bag of     |
|                        |              | words, `hashed_width` wide (default 256), in   |
|                        |              | [-L, L] (`dialog_env.hashing`)                 |
|                        | (384)        | `flat_text="embedding"` (the default with      |
|                        |              | `feedback_embedding=True`): the embedding      |
| `candidate_features`   | Dv           | visual features of the shown item              |
| `candidate_attributes` | V            | attributes of the shown item                   |
| `turn`                 | 1            | turn / max_turns, in [0, 1]                    |

On the default world (real shopper, AttrNet) that is 4,777 floats with the bag of words
(4,517 of them the caption), 516 hashed (256 + 260), 644 with the embedding (384 + 260).
For RL libraries use `observation="flat", flat_text="hashed"`, not Gymnasium's
`FlattenObservation` on the dict, which would turn the token ids into float64 numbers
(an id's value means nothing: neighbouring ids are unrelated words).

`info` (`info=` setting, `dialog_env.infos`): `"numeric"` (default) holds numpy scalars
only: `target_rank` (np.int64; 0-based, among items not shown yet; 0 once the target has
been shown), `rank_percentile` (np.float64), `success` (np.bool_), `turn` (np.int64),
`candidate` (np.int64, the shown item's index); `"full"` adds the caption `text`, its
`mode`, `mentions` (a list of dicts: type, slot, value, relation, ref_level, noise) and
`candidate_id` (str); `None` gives `{}`. No live objects either way.

## Rewards

`reward=` one of `rank_percentile_gain` (default: change of the target's rank percentile,
so an episode's return is final minus initial percentile), `rank_percentile`, `log_rank`,
`hit` (target in the top 10); plus `success_bonus` (default 1) when the target is shown.
Or any callable `(rank, prev_rank, found, n_items) -> rewards` (`dialog_env.rewards.
RewardFn`), handed to the core as it is.

## Starting State

A target drawn uniformly from the split's items and a first candidate drawn from the items
of the same category; the observation is the shopper's caption about that candidate. The
initial rank is the target's rank under the first candidate's own item vector.

`reset(options=...)`: None or a dict with `target` (an item index of the episode's split)
and/or `first_candidate` (any item index but the target; without `target`, the target is
drawn from the split without it). Indices are `int` or numpy integers (not bool, not
float). Anything else (other keys, other types, out of range, another split's target)
raises `ValueError`/`TypeError` naming the option, the value and the env index (0).

## Episode End

Terminated when the target is shown. Truncated after `max_turns` turns (default 10): the
environment truncates itself, the same in `gym.make` and `gym.make_vec`, and
`env.spec.max_episode_steps` reports `max_turns` (the registration adds no `TimeLimit`).
Stepping an ended episode raises `RuntimeError`.

`max_episode_steps=N` is the turn budget too, in `gym.make` and `gym.make_vec` alike: the
dialog runs N turns and `env.spec.max_episode_steps` is N (`dialog_env.budget`). Given with
a `max_turns=` that disagrees, both raise `ValueError` naming the two; -1 (Gymnasium's "no
`TimeLimit`") keeps `max_turns`. `gym.make` also wraps the env in its `TimeLimit(N)` (it
keeps the argument for that and never hands it to the env, which reads it as `gym.make`
assigns its spec); the wrapper truncates at the step the dialog does, except that a
dialog that shows the target on its last turn comes out terminated *and* truncated (the
wrapper sets `truncated` whatever the env says). `max_turns=N` gives the same dialogs
without the wrapper: terminated only, as in the vector env.

## Arguments

`config=EnvConfig(...)` (`dialog_env.config`: catalog, items, database, shopper, episode,
reward) and/or flat keywords that override it:

| argument             | default                  | meaning                                 |
|----------------------|--------------------------|-----------------------------------------|
| `config`             | `EnvConfig()`            | the whole configuration                 |
| `split`              | `"train"`                | targets from `"train"`, `"val"`,        |
|                      |                          | `"test"`                                |
| `max_turns`          | `10`                     | turn budget (see Episode End)           |
| `max_episode_steps`  | None                     | the turn budget too (see Episode End)   |
| `reward`             | `"rank_percentile_gain"` | a reward name or a callable (Rewards)   |
| `success_bonus`      | `1.0`                    | added when the target is shown          |
| `exclude_shown`      | `True`                   | never show an item twice                |
| `max_tokens`         | `24`                     | width of the `feedback` token ids       |
| `feedback_embedding` | `False`                  | add the MiniLM caption embedding (needs |
|                      |                          | the `text` extra)                       |
| `metric`             | `"ip"`                   | `"ip"` or `"cosine"` scores             |
| `index`              | `"flat"`                 | `"flat"`, `"ivf"`, `"hnsw"` (`topk`)    |
| `perception`         | `"attrnet"`              | what the agent and the database see of  |
|                      |                          | an item: AttrNet's embedding and        |
|                      |                          | predicted attributes, `"ground_truth"`  |
|                      |                          | (the true attributes), `"pixels"`       |
|                      |                          | (pixels only) or `"clip"` (CLIP image   |
|                      |                          | embeddings; `dialog_env.item_space`)    |
| `clip_model`         | None                     | with `perception="clip"`: a local model |
|                      |                          | directory                               |
| `visual_dim`         | `128`                    | width of the PCA pixel features         |
|                      |                          | (`ground_truth`, `pixels` perception)   |
| `attribute_weight`   | `1.0`                    | `w` in `[x ; w phi(x)]`                 |
| `n_items`            | `10000`                  | synthetic catalog size                  |
| `catalog_seed`       | `0`                      | which synthetic items are generated     |
| `image_size`         | `64`                     | image size in pixels                    |
| `dataset`            | `"synthetic"`            | the embedded catalog, or a public       |
|                      |                          | dataset on disk: `"fashioniq"`,         |
|                      |                          | `"shoes"`, `"multiturn-fashioniq"`,     |
|                      |                          | `"multiturn-shoes"`                     |
|                      |                          | (`dialog_env.catalog.datasets`; its     |
|                      |                          | shopper is `shopper="template"`,        |
|                      |                          | speaking from the dataset's tags)       |
| `root`               | None                     | the dataset's folder (datasets only)    |
| `images`             | `"required"`             | or `"optional"`: dataset items without  |
|                      |                          | an image left out or kept               |
| `info`               | `"numeric"`              | `"numeric"`, `"full"` or None (`info`)  |
| `observation`        | `"dict"`                 | `"dict"` or `"flat"` (Observation Space)|
| `flat_text`          | None                     | the flat caption part: `"bow"`,         |
|                      |                          | `"hashed"`, `"embedding"` (None: bow,   |
|                      |                          | or embedding with `feedback_embedding`) |
| `hashed_width`       | None (256)               | width of `flat_text="hashed"`           |
| `progress`           | `True`                   | a first build of a catalog, its images  |
|                      |                          | and features says so on stderr, with    |
|                      |                          | progress bars (cached loads are silent) |
| `shopper`            | `"real"`                 | a registered shopper name (`"real"`,    |
|                      |                          | `"template"`, ...), a `ShopperConfig`   |
|                      |                          | or any object keeping the shopper       |
|                      |                          | contract (`simulators.base.Shopper`)    |
| `template`           | None                     | the template shopper's settings (dict)  |
| `lexicon`            | `"train"`                | the template lexicon, or `"test"`       |
| `world`              | None                     | a prebuilt `DialogWorld` (e.g. over a   |
|                      |                          | real catalog)                           |
| `render_mode`        | None                     | `"ansi"` or `"rgb_array"`               |

Settings are checked when the configuration is built: a value that means nothing
(`max_tokens=0`, a NaN `success_bonus`, `visual_dim=-1`, `world=123`) raises
`ValueError`/`TypeError` naming the setting and the value.

## Vectorized

`gym.make_vec("FashionDialog-v0", num_envs=B, vectorization_mode="vector_entry_point")`
runs B dialogs on one batched core (`dialog_env.batched`), ranking all queries with one
matrix product; same seeds give the same dialogs as B single environments. It takes the
same keyword arguments (`max_episode_steps=` sets the turn budget, as in `gym.make`),
`render_mode="ansi"` (a list of transcripts) or `"rgb_array"` (the strips stacked,
`(B, S, S * (max_turns + 1), 3)`). `autoreset_mode=` (an `AutoresetMode` or its name,
also the `venv.autoreset_mode` attribute): NEXT_STEP (default), SAME_STEP (the ended
episode's last observation and info in `info["final_obs"]` / `info["final_info"]`, as in
Gymnasium's `SyncVectorEnv`) or DISABLED (`reset(options={"reset_mask": mask})` resets
the masked envs; stepping an ended env raises); see `dialog_env.vector`. Gymnasium refuses
`vector_kwargs` for a `vector_entry_point`, so pass it as a keyword:
`gym.make_vec(..., autoreset_mode="same_step")`. Reset options are given per env only:
`reset(options={"per_env": [o_0, ..., o_{B-1}]})`, exactly B entries, each a dict as in
the single env or None; any other key (e.g. `{"target": 3}`) raises `ValueError`, and
errors name the env index.

## Pickling

`pickle` and `copy.deepcopy` keep an environment's keyword arguments (and its spec), not
its arrays: a world built by `make_world` (or `gym.make` keywords) from a configuration
with a registered shopper reduces to that configuration and is rebuilt from the cache
where it is unpickled (a few KB instead of the catalog: about 30 MB at 2,000 items); a
hand-built world or a shopper instance is pickled as it is. The unpickled env is fresh,
without the dialog in progress: call `reset()` before `step()`.

## Version History

The id stays `FashionDialog-v0`. Each behaviour change is recorded with the version of the
`fashion-dialog` package that made it (`dialog_env.__version__`); results files record it
as `fashion_dialog_version`, so a result can be matched to the behaviour it was measured
on. No release has been made yet: every change below was made in 0.1.0, in this order,
so a 0.1.0 result is placed among them by the commit its file records (`machine.commit`,
named after each entry).

* 0.1.0: initial version (`cac85fd`).
* 0.1.0: actions are ranked by their direction at any scale (scaled by a power of two
  before float32 scoring); bool, complex, string and object actions raise `TypeError`
  (`f53a122`).
* 0.1.0: `max_turns` given to `gym.make` is the episode budget (it was cut to 10 by the
  registration's `TimeLimit`); an episode that ends by showing the target on its last
  turn is terminated only, not also truncated, as in the vector env (`18e3f79`).
* 0.1.0: `info` holds numpy scalars by default (`info="full"` for the caption text, mode
  and mentions, which every info held before); `observation="flat"`; the vector env's
  SAME_STEP and DISABLED autoreset modes; pickling by configuration (`7e41ad7`).
* 0.1.0: the default item space is AttrNet's (`perception="attrnet"`; before, pixel
  features and the true attributes, now `perception="ground_truth"`) (`f130afe`).
* 0.1.0: the default shopper is `"real"` (people's captions re-grounded; `"template"`
  before) (`edaadfd`).
* 0.1.0: `max_episode_steps` given to `gym.make` is the turn budget (before, the dialog
  ended after `max_turns` while `env.spec` said N; its `TimeLimit` marks a target shown
  on the last turn truncated too, see Episode End); `flat_text="bow"|"hashed"|"embedding"`
  and `hashed_width` (the default, `"bow"`, is the caption part as before) (`60c372e`).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from dialog_env.budget import MakeBudgetSpec, turn_budget
from dialog_env.factory import make_core
from dialog_env.queries import finite_queries, real_array
from dialog_env.world import DialogWorld

_ROW0 = np.zeros(1, dtype=np.int64)  # the single env's one dialog


class PicklesItsArguments:
    """Pickles (and deep-copies) an env as the keyword arguments it was built with, plus
    its `spec`; unpickling builds it again (the world from the cache, see
    `DialogWorld.__reduce_ex__`). The copy is fresh: no dialog state, reset it first."""

    def __getstate__(self) -> dict:
        return {"kwargs": self._kwargs, "spec": self.__dict__.get("_spec")}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state["kwargs"])
        if state["spec"] is not None:
            self.spec = state["spec"]


class FashionDialogEnv(PicklesItsArguments, gym.Env):
    """One dialog (see the module docstring). Keyword arguments: see
    `dialog_env.factory.make_core`."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 1}
    spec = MakeBudgetSpec()

    def __init__(self, render_mode: str | None = None, **kwargs):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unknown render_mode {render_mode!r}; expected one of "
                             f"{self.metadata['render_modes']}")
        self._kwargs = {"render_mode": render_mode, **kwargs}
        self.render_mode = render_mode
        self._build(kwargs)

    def _build(self, kwargs: dict) -> None:
        self.core = make_core(1, **kwargs)
        self.observation_space = self.core.observation_space()
        self.action_space = self.core.action_space()

    def take_turn_budget(self, max_episode_steps, source: str = "") -> None:
        """Make `max_episode_steps` the dialog's turn budget (`gym.make` calls this with
        the `TimeLimit` it adds, `dialog_env.budget`); a `max_turns=` keyword that
        disagrees raises `ValueError` naming both; None or -1 change nothing."""
        turns = turn_budget(max_episode_steps, self._kwargs.get("max_turns"), source)
        if turns is None:
            return
        if turns != self.core.max_turns:  # the world comes from the per-process cache
            kwargs = {k: v for k, v in self._kwargs.items() if k != "render_mode"}
            self._build({**kwargs, "max_turns": turns})
        self._kwargs["max_turns"] = turns  # pickles with its budget

    @property
    def world(self) -> DialogWorld:
        return self.core.world

    def _obs(self, obs):
        return obs[0] if isinstance(obs, np.ndarray) else {k: v[0] for k, v in obs.items()}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs, infos = self.core.reset(rows=_ROW0, rngs=[self.np_random], options=[options])
        return self._obs(obs), infos[0] if infos[0] is not None else {}

    def step(self, action):
        if self.core.done[0]:
            raise RuntimeError("the episode has ended (terminated or truncated); "
                               "call reset() before step()")
        a = real_array(action, "action")
        if a.shape != self.action_space.shape:
            raise ValueError(f"action must have shape {self.action_space.shape} (a query in "
                             f"the item space), got {a.shape}")
        # Checked once, here: the core and the database take it as it is.
        obs, rew, term, trunc, infos = self.core._step_checked(finite_queries(a[None], _ROW0),
                                                               _ROW0)
        info = infos[0] if infos[0] is not None else {}
        return self._obs(obs), float(rew[0]), bool(term[0]), bool(trunc[0]), info

    def render(self):
        if self.render_mode == "ansi":
            return self.core.transcript(0)
        if self.render_mode == "rgb_array":
            return self.core.strip(0)
        return None
