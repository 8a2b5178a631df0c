"""The template shopper behind the shopper contract (`simulators.base.Shopper`).

`TemplateShopper(catalog, config)` holds what every dialog of a catalog shares: the
difference columns, the phrase table, the mentions and the decisions of its
configuration. `TemplateDialogs` holds the per-dialog state: the uniforms of every turn
(drawn from each dialog's generator at `start`), the requests made so far (for repeats),
each turn's caption plan, and the captions built from the plans when read.

Which path serves which batch (`TemplateShopper.speak`): numpy's fixed cost per call
dominates at one dialog (the array path takes about 500 us for a single caption), so
batches under `layout.SMALL_BATCH` (16; the single environment) plan (`plan.plan_rows`)
and phrase (`compose`) in plain Python, about 25 us a caption; larger batches plan
(`plan_array`) and assemble token ids (`assemble`) with array operations, about 5 us a
caption at B = 256, and build text and mentions only when they are read.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dialog_env.catalog.catalog import Catalog
from simulators.base import DialogsBase, Feedback, draw_uniforms, token_matrix
from simulators.lexicon import make_lexicon
from simulators.profiles import AttributeProfiles
from simulators.tags import tag_lexicon, tag_vocabulary
from simulators.template.assemble import TokenAssembler
from simulators.template.columns import DifferenceColumns
from simulators.template.compose import CaptionBuilder
from simulators.template.config import TemplateConfig
from simulators.template.layout import N_UNIFORMS, PLAN_WIDTH, SMALL_BATCH
from simulators.template.mentions import MentionTable
from simulators.template.phrases import PhraseTable
from simulators.template.plan import plan_rows
from simulators.template.plan_array import plan_array
from simulators.template.rules import CaptionRules
from simulators.vocab import PAD, Vocabulary

Requests = tuple[np.ndarray, np.ndarray, np.ndarray]  # caption rows, values, codes


class TemplateShopper:
    """The attribute-aware template shopper of one catalog (see `simulators.template`)."""

    name = "template"

    def __init__(self, catalog: Catalog, config: TemplateConfig | None = None,
                 attributes: np.ndarray | None = None, vocabulary: Vocabulary | None = None):
        self.config = cfg = config or TemplateConfig()
        v = catalog.vocab
        if len(v) == 0:
            raise ValueError(f"the template shopper describes attribute differences, and "
                             f"catalog {catalog.name!r} has no attribute values (Shoes has no "
                             f"attribute tags); use a catalog with tags (Fashion IQ, "
                             f"Multi-turn FashionIQ with their asin2attr files)")
        self.profiles = p = AttributeProfiles(catalog, attributes)
        self.vocab = vocabulary or tag_vocabulary(catalog)
        lexicon = tag_lexicon(make_lexicon(cfg.lexicon), catalog)
        missing = [n for n in v.names if n not in lexicon.values]
        if missing:
            raise ValueError(f"lexicon {cfg.lexicon!r} has no phrases for attribute values "
                             f"{missing[:5]}")
        singles = [s.name for s in p.single_slots]
        self.rules = CaptionRules(cfg)
        self.phrases = PhraseTable(lexicon, v.names, v.slots, p.categories, singles, self.vocab)
        self.columns = DifferenceColumns(p, cfg, self.phrases.noun)
        self.mentions = MentionTable(v.names, v.types, v.slots, p.categories, p.single_slots,
                                     self.phrases.noun)
        tone = self.columns.tone
        self.builder = CaptionBuilder(self.phrases.scalars(), self.mentions, self.rules,
                                      v.names, p.categories, tone, self.vocab)
        self.assembler = TokenAssembler(self.phrases, self.rules, tone)
        self.width = self.phrases.width
        self.n_items = len(catalog)

    def dialogs(self, batch_size: int, max_turns: int) -> TemplateDialogs:
        return TemplateDialogs(self, batch_size, max_turns)

    def speak(self, targets: np.ndarray, shown: np.ndarray, uniforms: np.ndarray,
              asked: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, Requests, list[Feedback] | None]:
        """The captions about items `shown` `(n,)` for dialogs with `targets` `(n,)`, from
        their uniforms `(n, N_UNIFORMS)` and earlier requests `asked` `(n, V)` int8 (1
        "is", 2 "not"; None: no repeats). Returns the plans `(n, PLAN_WIDTH)` (`caption`
        makes a plan's Feedback), the token ids `(n, width)` padded with PAD, the requests
        made (rows, values, codes), and the Feedback when it was built anyway (batches
        under SMALL_BATCH), else None."""
        targets, shown = self._check(targets, shown, uniforms)
        n, u = len(targets), uniforms
        if n < SMALL_BATCH:  # plain Python throughout (and keep the Feedback)
            ul = u.tolist()
            plans = plan_rows(self.columns, self.rules, targets.tolist(), shown.tolist(), ul,
                              asked)
            fbs, made = self._build(plans, ul)
            return (np.array(plans, dtype=np.int64).reshape(n, PLAN_WIDTH),
                    token_matrix(fbs, self.width, PAD), made, fbs)
        plans = plan_array(self.columns, self.rules, targets, shown, u, asked)  # (n, P)
        noisy = self.assembler.noisy(plans, u)  # (n,) left to the caption builder
        tokens, said = self.assembler.tokens(plans, u)
        rows, values, codes = self.assembler.requests(plans, said & ~noisy[:, None])
        noisy = np.flatnonzero(noisy)
        fbs, (k, noisy_values, noisy_codes) = self._build(plans[noisy].tolist(),
                                                          u[noisy].tolist())
        tokens[noisy] = token_matrix(fbs, self.width, PAD)
        return plans, tokens, (np.concatenate([rows, noisy[k]]),
                               np.concatenate([values, noisy_values]),
                               np.concatenate([codes, noisy_codes])), None

    def caption(self, plan: Sequence[int], u: Sequence[float]) -> Feedback:
        """The `Feedback` of one planned caption (a row of `speak`'s plans, its uniforms)."""
        return self.builder.caption(np.asarray(plan).tolist(), np.asarray(u).tolist())

    def captions(self, targets: np.ndarray, shown: np.ndarray, uniforms: np.ndarray,
                 asked: np.ndarray | None = None) -> tuple[list[Feedback], Requests]:
        """`speak`'s captions as Feedback, text built for every caption (the planner
        chosen by batch size as in `speak`), and the requests they make."""
        targets, shown = self._check(targets, shown, uniforms)
        ul = uniforms.tolist()
        if len(targets) < SMALL_BATCH:
            plans = plan_rows(self.columns, self.rules, targets.tolist(), shown.tolist(), ul,
                              asked)
        else:
            plans = plan_array(self.columns, self.rules, targets, shown, uniforms,
                               asked).tolist()
        return self._build(plans, ul)

    def differences(self, targets: np.ndarray, shown: np.ndarray) -> np.ndarray:
        """`(n, C)` bool: on which difference columns (`columns.names`) targets and shown
        items differ."""
        return self.columns.differences(np.asarray(targets), np.asarray(shown))[0]

    def _check(self, targets, shown, uniforms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        targets = np.asarray(targets, dtype=np.int64)
        shown = np.asarray(shown, dtype=np.int64)
        if uniforms.shape != (len(targets), N_UNIFORMS):
            raise ValueError(f"uniforms must have shape ({len(targets)}, {N_UNIFORMS}), "
                             f"got {uniforms.shape}")
        return targets, shown

    def _build(self, plans: list[list[int]], u: list[list[float]]
               ) -> tuple[list[Feedback], Requests]:
        """Feedback of plan rows (Python), and the requests they make."""
        fbs: list[Feedback] = []
        rows: list[int] = []
        values: list[int] = []
        codes: list[int] = []
        requests = self.mentions.requests
        for i, (p, uu) in enumerate(zip(plans, u)):
            fbs.append(fb := self.builder.caption(p, uu))
            for value, code in requests(fb.mentions):
                rows.append(i)
                values.append(value)
                codes.append(code)
        return fbs, (np.array(rows, dtype=np.int64), np.array(values, dtype=np.int64),
                     np.array(codes, dtype=np.int64))


class TemplateDialogs(DialogsBase):
    """The template shopper's state of B dialogs (see `simulators.base.DialogsBase`)."""

    state = ("uniforms", "asked", "plans")

    def __init__(self, shopper: TemplateShopper, batch_size: int, max_turns: int):
        super().__init__(shopper, batch_size, max_turns)
        b, t1 = batch_size, max_turns + 1
        # One row of N_UNIFORMS per turn, drawn at start; the requests made (for repeats).
        self.uniforms = np.zeros((b, t1, N_UNIFORMS))
        self.asked = np.zeros((b, shopper.mentions.n_values), dtype=np.int8)
        # Each turn's caption plan; its Feedback is built when first read.
        self.plans = np.full((b, t1, PLAN_WIDTH), -1, dtype=np.int64)

    def begin(self, rows: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        self.uniforms[rows] = draw_uniforms(rngs, self.uniforms.shape[1], N_UNIFORMS)
        self.asked[rows] = 0

    def speak(self, rows: np.ndarray, shown: np.ndarray, turn: np.ndarray) -> np.ndarray:
        plans, tokens, (k, values, codes), built = self.shopper.speak(
            self.target[rows], shown, self.uniforms[rows, turn], self.asked[rows])
        self.asked[rows[k], values] = codes
        self.plans[rows, turn] = plans
        if built is not None:  # keep the captions the shopper built anyway
            self.record(rows.tolist(), turn.tolist(), built)
        return tokens

    def describe(self, row: int, k: int) -> Feedback:
        return self.shopper.caption(self.plans[row, k], self.uniforms[row, k])
