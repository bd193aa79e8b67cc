"""Unit tests for hiddenrep.training: the shared training loop and its batching and smoothing helpers."""

from __future__ import annotations

import torch

from hiddenrep.training import shuffled_batches, smooth, train


def test_shuffled_batches_cover_every_index_each_pass():
    batches = shuffled_batches(10, 4, torch.Generator().manual_seed(0))
    first_pass = [next(batches) for _ in range(3)]
    assert [len(b) for b in first_pass] == [4, 4, 2]
    assert sorted(torch.cat(first_pass).tolist()) == list(range(10))
    second_pass = torch.cat([next(batches) for _ in range(3)])
    assert sorted(second_pass.tolist()) == list(range(10))


def test_smooth_is_a_running_mean():
    assert smooth([1.0, 3.0, 5.0, 7.0], window=2) == [1.0, 2.0, 4.0, 6.0]


def test_train_fits_a_tiny_regression_and_logs():
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1)
    x = torch.linspace(-1, 1, 32)[:, None]
    batches = iter(lambda: (x, 3 * x + 1), None)
    log = train(model, lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(), batches, steps=300, lr=0.05,
                evaluate=lambda: float(model.bias), eval_every=100)
    assert len(log.losses) == len(log.grad_norms) == 300
    assert log.losses[-1] < 1e-3 < log.losses[0]
    assert [s for s, _ in log.evals] == [100, 200, 300]
    assert abs(log.evals[-1][1] - 1.0) < 0.05
    assert not model.training


def test_train_clips_the_global_gradient_norm():
    model = torch.nn.Linear(2, 1)
    batches = iter(lambda: torch.full((4, 2), 1e3), None)
    log = train(model, lambda m, batch: m(batch).sum(), batches, steps=2, lr=1.0, clip=1.0)
    assert log.grad_norms[0] > 1e3  # logged before clipping
    # The gradient left in .grad is the clipped one: global norm 1.
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
    assert abs(float(total) - 1.0) < 1e-4


def test_train_leaves_a_plain_text_summary(capsys):
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1)
    x = torch.linspace(-1, 1, 8)[:, None]
    log = train(model, lambda m, b: ((m(b) - 2 * b) ** 2).mean(), iter(lambda: x, None), steps=5,
                evaluate=lambda: 0.5, eval_every=0, desc="fit")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    tail = sum(log.losses) / 5
    assert line.startswith("fit: 5 steps in ") and line.endswith(f"final loss {tail:.4f}, last evaluation 0.5000")


def test_unattended_training_prints_one_summary_line_and_no_bar(capsys, monkeypatch):
    monkeypatch.setenv("HIDDENREP_PROGRESS", "0")
    model = torch.nn.Linear(1, 1)
    x = torch.linspace(-1, 1, 8)[:, None]
    train(model, lambda m, b: (m(b) ** 2).mean(), iter(lambda: x, None), steps=50, desc="fit")
    out, err = capsys.readouterr()
    assert "\r" not in out + err and err == ""
    assert len(out.splitlines()) == 1 and out.startswith("fit: 50 steps in ")


def test_a_watched_run_draws_a_bar_with_the_running_loss(capsys, monkeypatch):
    monkeypatch.setenv("HIDDENREP_PROGRESS", "1")
    model = torch.nn.Linear(1, 1)
    x = torch.linspace(-1, 1, 8)[:, None]
    train(model, lambda m, b: (m(b) ** 2).mean(), iter(lambda: x, None), steps=50, desc="fit")
    out = capsys.readouterr().out
    assert "\r" in out and "fit:" in out.split("\n")[0]
    assert out.splitlines()[-1].startswith("fit: 50 steps in ")
