"""The training loop the lessons share, with its batching and plotting helpers.

One loop serves every chapter: it takes any model, any ``loss_fn(model, batch)`` and any iterator of
batches, so a lesson only writes what is particular to it (the model, the loss, the data).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import torch

from hiddenrep.progress import progress


def shuffled_batches(n: int, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Index batches over ``range(n)`` forever: each pass is a new permutation (the last batch may be short)."""
    while True:
        order = torch.randperm(n, generator=generator)
        yield from order.split(batch_size)


@dataclass
class TrainLog:
    """What :func:`train` saw: the loss and the gradient norm (before clipping) of every step, and
    ``(step, value)`` of every evaluation."""

    losses: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    evals: list[tuple[int, float]] = field(default_factory=list)


def train(model: torch.nn.Module, loss_fn: Callable[[torch.nn.Module, object], torch.Tensor],
          batches: Iterator, steps: int, lr: float = 3e-3, clip: float | None = 1.0,
          one_cycle: bool = False, warmup: float = 0.1, weight_decay: float = 0.0,
          evaluate: Callable[[], float] | None = None, eval_every: int = 0,
          desc: str = "training") -> TrainLog:
    """Adam on ``loss_fn(model, batch)`` for ``steps`` batches, clipping the gradient's global norm to ``clip``.

    With ``one_cycle`` the learning rate warms up to ``lr`` over the first ``warmup`` share of the
    steps and then anneals (PyTorch's OneCycleLR), which lets short runs use a large rate.
    ``weight_decay`` is decoupled, as in AdamW; at 0 the updates are exactly Adam's. ``evaluate()``
    runs every ``eval_every`` steps and after the last one, in eval mode and without gradients.

    While it runs in JupyterLab or a terminal, a text progress bar shows the steps and the running
    loss (the mean of the last 20 steps); at the end one line of plain text sums the run up
    (steps, seconds, that mean loss, the last evaluation). Executed unattended, as by the book
    build, only that line is written (see :mod:`hiddenrep.progress`).
    """
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=warmup)
             if one_cycle else None)
    log = TrainLog()
    start = time.perf_counter()
    bar = progress(range(1, steps + 1), desc=desc)
    for step in bar:
        model.train()
        loss = loss_fn(model, next(batches))
        opt.zero_grad()
        loss.backward()
        # With max_norm=inf clip_grad_norm_ only measures, so the norm is logged either way.
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf") if clip is None else clip)
        opt.step()
        if sched is not None:
            sched.step()
        log.losses.append(loss.item())
        log.grad_norms.append(norm.item())
        if not bar.disable and step % 20 == 0:
            bar.set_postfix(loss=f"{sum(log.losses[-20:]) / 20:.4f}", refresh=False)
        if evaluate is not None and (step == steps or (eval_every and step % eval_every == 0)):
            model.eval()
            with torch.no_grad():
                log.evals.append((step, float(evaluate())))
            bar.set_postfix(eval=f"{log.evals[-1][1]:.3f}", refresh=False)
    model.eval()
    bar.close()
    print(summary(desc, steps, time.perf_counter() - start, log))
    return log


def summary(desc: str, steps: int, seconds: float, log: TrainLog) -> str:
    """One line that says how a training run went, e.g. for a page where no progress bar shows."""
    tail = log.losses[-20:]
    text = f"{desc}: {steps} steps in {seconds:.1f} s, final loss {sum(tail) / max(len(tail), 1):.4f}"
    if log.evals:
        text += f", last evaluation {log.evals[-1][1]:.4f}"
    return text


def smooth(values: Sequence[float], window: int = 20) -> list[float]:
    """Running mean over the last ``window`` values: noisy per-batch losses become a readable curve."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out
