"""Tools for looking inside a trained network: its layers' outputs, linear probes on them, and
the input region a unit depends on.

The lessons of the Representations chapter use these; exercise answers never live here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F


def layer_outputs(model: nn.Module, x: torch.Tensor,
                  names: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
    """Run ``model(x)`` once and return the output of every named submodule, in call order.

    ``names`` are names from ``model.named_modules()``; by default every leaf module is recorded.
    The outputs are detached. Forward hooks collect them and are removed again even if the
    forward pass fails, so the model is left exactly as it was.
    """
    modules = dict(model.named_modules())
    if names is None:
        names = [name for name, m in modules.items() if name and not list(m.children())]
    missing = [name for name in names if name not in modules]
    if missing:
        raise KeyError(f"the model has no submodules named {missing}")
    outputs: dict[str, torch.Tensor] = {}

    def keeper(name: str) -> Callable:
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            outputs[name] = output.detach()
        return hook

    handles = [modules[name].register_forward_hook(keeper(name)) for name in names]
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return outputs


def linear_probe_accuracy(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor,
                          test_y: torch.Tensor, iterations: int = 50,
                          weight_decay: float = 1e-3) -> float:
    """Test accuracy of a softmax classifier trained on frozen features (a *linear probe*).

    Features are flattened and standardised with the training set's mean and standard
    deviation, so that layers whose activations differ in scale are probed alike. The probe
    minimises the mean cross-entropy plus ``weight_decay`` times the squared norm of its
    weights, full-batch with L-BFGS from zero weights (deterministic). L-BFGS reaches the
    accuracy of a few hundred Adam steps in about 50 iterations, a fraction of the time on the
    thousands of features a convolutional layer has.
    """
    train_x, test_x = train_x.flatten(1).float(), test_x.flatten(1).float()
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    n_classes = int(max(train_y.max(), test_y.max())) + 1
    weight = torch.zeros(train_x.shape[1], n_classes, requires_grad=True)
    bias = torch.zeros(n_classes, requires_grad=True)
    opt = torch.optim.LBFGS([weight, bias], max_iter=iterations, history_size=10,
                            line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        logits = train_x @ weight + bias
        loss = F.cross_entropy(logits, train_y) + weight_decay * weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return (test_x @ weight + bias).argmax(1).eq(test_y).float().mean().item()


def receptive_field_box(features: Callable[[torch.Tensor], torch.Tensor], image_shape: tuple,
                        row: int, col: int) -> tuple[int, int, int, int]:
    """The input pixels that unit ``(row, col)`` of ``features(x)`` depends on, found by autograd.

    ``features`` maps a batch ``(1, C, H, W)`` to feature maps ``(1, K, H', W')``; the gradient
    of the sum over channels at one position is non-zero exactly on the pixels that reach it
    (with random positive inputs, so that no ReLU is dead and no product cancels). Returns
    ``(top, bottom, left, right)``, inclusive, clipped to the image: a unit whose field reaches
    into the padding looks smaller here than it is. Max pooling passes gradient to the winning
    input only, so through a max pool this measures the field of the winner, not of the window.
    """
    generator = torch.Generator().manual_seed(0)
    x = (torch.rand(1, *image_shape, generator=generator) + 0.5).requires_grad_()
    out = features(x)
    out[0, :, row, col].sum().backward()
    hit = x.grad[0].abs().sum(0).nonzero()
    if len(hit) == 0:
        raise ValueError(f"unit ({row}, {col}) depends on no input pixel")
    return (int(hit[:, 0].min()), int(hit[:, 0].max()), int(hit[:, 1].min()),
            int(hit[:, 1].max()))
