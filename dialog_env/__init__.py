"""FashionDialog: a Gymnasium environment for dialog-based interactive fashion retrieval.

`import dialog_env` registers `FashionDialog-v0` (single env and batched vector env).
`dialog_env.__version__` is the `fashion-dialog` distribution's version (dialog_env/version.py);
the experiment scripts record it in every results file.
"""

import gymnasium as gym

from dialog_env.version import __version__

gym.register(
    id="FashionDialog-v0",
    entry_point="dialog_env.env:FashionDialogEnv",
    vector_entry_point="dialog_env.vector:FashionDialogVectorEnv",
    # No TimeLimit: the env truncates after its own `max_turns` (so gym.make and make_vec
    # agree) and reports it as `env.spec.max_episode_steps`.
)

__all__: list[str] = ["__version__"]
