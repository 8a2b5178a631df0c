"""Policy gradient: REINFORCE where the policy samples the shown item from a softmax over
its top-k (temperature), with a moving-average baseline per turn and the environment's
reward (rank-percentile gain + success bonus by default); a supervised term keeps the
query a good ranker."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from agents.learners.base import LearnerConfig, mask_shown, register_settings
from agents.learners.learner import Learner, Rollout
from agents.learners.losses import retrieval_loss


@register_settings("reinforce")
@dataclass
class ReinforceSettings:
    """REINFORCE's own settings."""

    loss: str = "sampled_ce"
    """Supervised loss of the added supervised term: sampled_ce, catalog_ce, batch_ce or
    triplet."""
    top_k: int = 8
    """The policy samples the shown item from its top-k."""
    temperature: float = 0.2
    """Sampling softmax temperature (Guo: tau = 0.2)."""
    baseline_decay: float = 0.9
    """Moving-average baseline decay."""
    supervised_weight: float = 1.0
    """Weight of the supervised loss added to the policy-gradient loss."""


class Reinforce(Learner):
    name = "reinforce"
    settings_class = ReinforceSettings
    settings: ReinforceSettings

    def __init__(self, cfg: LearnerConfig):
        super().__init__(cfg)
        self.baseline = np.zeros(self.cfg.turns)  # per turn: moving average of the return
        self.seen = np.zeros(self.cfg.turns, dtype=bool)

    def state_dict(self) -> dict:
        return {"baseline": self.baseline.tolist(), "seen": self.seen.tolist()}

    def load_state_dict(self, state: dict) -> None:
        self.baseline = np.asarray(state["baseline"], dtype=np.float64)
        self.seen = np.asarray(state["seen"], dtype=bool)

    def on_turn(self, rollout: Rollout, q: torch.Tensor, obs: tuple[torch.Tensor, ...],
                active: torch.Tensor) -> np.ndarray:
        cfg, items, gen = self.settings, rollout.items, rollout.generator
        # Draw order from the step's generator: supervised negatives, then the sample.
        rollout.terms.append(retrieval_loss(cfg.loss, q[active], rollout.targets[active],
                                            items, rollout.agent.scale(), gen))
        scores = mask_shown(F.normalize(q, dim=1) @ items.T, rollout.core.shown)  # (B, N)
        top_v, top_i = scores.topk(cfg.top_k, dim=1)
        logits = top_v / cfg.temperature
        pick = torch.multinomial(torch.softmax(logits, 1), 1, generator=gen).squeeze(1)
        rows = torch.arange(len(q), device=q.device)
        rollout.log_probs.append(torch.log_softmax(logits, 1)[rows, pick])
        return top_i[rows, pick].cpu().numpy()

    def _advantages(self, returns: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Returns `(T, B)` minus the per-turn baseline, which then moves toward the mean
        return of the turn's running dialogs `m (T, B)` (first seen: set to it)."""
        cfg = self.settings
        adv = np.zeros_like(returns)
        for t in range(len(returns)):
            mean_t = returns[t][m[t]].mean() if m[t].any() else 0.0
            if not self.seen[t]:
                self.baseline[t], self.seen[t] = mean_t, True
            adv[t] = returns[t] - self.baseline[t]
            self.baseline[t] = cfg.baseline_decay * self.baseline[t] + \
                (1 - cfg.baseline_decay) * mean_t
        return adv

    def loss(self, rollout: Rollout) -> tuple[torch.Tensor, dict[str, float]]:
        r = np.stack(rollout.rewards)  # (T, B)
        m = np.stack(rollout.active)
        returns = np.flip(np.cumsum(np.flip(r, 0), 0), 0)  # reward-to-go
        adv = self._advantages(returns, m)
        adv_t = torch.as_tensor(adv * m, device=rollout.device, dtype=torch.float32)
        pg = -(torch.stack(rollout.log_probs) * adv_t).sum() / max(m.sum(), 1)
        loss = pg + self.settings.supervised_weight * torch.stack(rollout.terms).mean()
        return loss, {"loss": loss.item(), "policy_loss": pg.item(),
                      "return": float(returns[0].mean()), "recall@10": rollout.recall_at_10()}
