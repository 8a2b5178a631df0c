"""Policy gradient: REINFORCE where the policy samples the shown item from a softmax over
its top-k (temperature), with a moving-average baseline per turn and the environment's
reward (rank-percentile gain + success bonus by default); a supervised term keeps the
query a good ranker."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from agents.learners.base import LearnerConfig, mask_shown, start_batch
from agents.learners.losses import retrieval_loss
from agents.model import DialogAgent
from agents.policy import obs_tensors, to_action
from dialog_env.world import DialogWorld


class Reinforce:
    def __init__(self, turns: int):
        self.baseline = np.zeros(turns)
        self.seen = np.zeros(turns, dtype=bool)

    def state_dict(self) -> dict:
        return {"baseline": self.baseline.tolist(), "seen": self.seen.tolist()}

    def load_state_dict(self, d: dict) -> None:
        self.baseline = np.asarray(d["baseline"], dtype=np.float64)
        self.seen = np.asarray(d["seen"], dtype=bool)

    def step(self, agent: DialogAgent, world: DialogWorld, items: torch.Tensor,
             cfg: LearnerConfig, seed: int, stage: int, step: int):
        device = items.device
        core, obs, gen, targets, state = start_batch(agent, world, items, cfg, seed, stage,
                                                     step)
        logps, rewards, masks, sup = [], [], [], []
        rows = torch.arange(core.B, device=device)
        for _ in range(cfg.turns):
            active_np = ~core.done
            active = torch.as_tensor(active_np, device=device)
            q, state = agent.turn(*obs_tensors(obs, device, agent.needs_embedding), state, active)
            sup.append(retrieval_loss(cfg.loss, q[active], targets[active], items,
                                      agent.scale(), gen))
            scores = mask_shown(F.normalize(q, dim=1) @ items.T, core.shown)  # (B, N)
            top_v, top_i = scores.topk(cfg.top_k, dim=1)
            logits = top_v / cfg.temperature
            pick = torch.multinomial(torch.softmax(logits, 1), 1, generator=gen).squeeze(1)
            logps.append(torch.log_softmax(logits, 1)[rows, pick])
            cand = top_i[rows, pick].cpu().numpy()
            obs, r, *_ = core.show(cand, to_action(q))
            rewards.append(r)
            masks.append(active_np)
            if core.done.all():
                break
        t_max = len(rewards)
        r = np.stack(rewards)  # (T, B)
        m = np.stack(masks)
        returns = np.flip(np.cumsum(np.flip(r, 0), 0), 0)  # reward-to-go
        adv = np.zeros_like(returns)
        for t in range(t_max):
            mean_t = returns[t][m[t]].mean() if m[t].any() else 0.0
            if not self.seen[t]:
                self.baseline[t], self.seen[t] = mean_t, True
            adv[t] = returns[t] - self.baseline[t]
            self.baseline[t] = cfg.baseline_decay * self.baseline[t] + \
                (1 - cfg.baseline_decay) * mean_t
        adv_t = torch.as_tensor(adv * m, device=device, dtype=torch.float32)
        pg = -(torch.stack(logps) * adv_t).sum() / max(m.sum(), 1)
        loss = pg + cfg.supervised_weight * torch.stack(sup).mean()
        return loss, {"loss": loss.item(), "policy_loss": pg.item(),
                      "return": float(returns[0].mean()),
                      "recall@10": float((core.rank < 10).mean())}
