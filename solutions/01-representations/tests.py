"""Hidden tests of 01-representations (trusted side: never shipped to students)."""

import random

import torch
import torch.nn.functional as F

from hiddenrep.testing import check_equal, check_tensor

DTYPES = (torch.float32, torch.float64)


def _atol(expected: torch.Tensor) -> float:
    """What a correct implementation achieves: ~1e-5 relative in float32, ~1e-9 in float64."""
    scale = max(1.0, float(expected.detach().abs().max())) if expected.numel() else 1.0
    return (2e-5 if expected.dtype == torch.float32 else 1e-9) * scale


def _forbid(student, name: str, how: str, words: list[str]) -> None:
    for word in words:
        if word in student.source:
            raise AssertionError(f"{name} must {how}: it uses {word}")


def test_mlp_forward(student, reference):
    gen = torch.Generator().manual_seed(101)
    rng = random.Random(101)
    modules = {"relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh(), "sigmoid": torch.nn.Sigmoid(),
               "identity": torch.nn.Identity()}
    for trial in range(40):
        dtype = DTYPES[trial % 2]
        # square layers half of the time, so that a transposed weight still fits
        sizes = ([rng.randint(1, 5)] * (rng.randint(1, 4) + 1) if trial % 4 < 2
                 else [rng.randint(1, 6) for _ in range(rng.randint(1, 5))])
        n = rng.randint(1, 6)
        x = torch.randn(n, sizes[0], generator=gen, dtype=dtype)
        weights = [torch.randn(b, a, generator=gen, dtype=dtype) for a, b in zip(sizes, sizes[1:])]
        biases = [torch.randn(b, generator=gen, dtype=dtype) for b in sizes[1:]]
        acts = [rng.choice(list(modules)) for _ in weights]
        given = (x.clone(), [w.clone() for w in weights], [b.clone() for b in biases])
        got = student.mlp_forward(*given, list(acts))
        call = f"mlp_forward(x of shape {tuple(x.shape)}, layer sizes {sizes}, {acts})"
        check_equal(f"{call}: number of representations", len(got), len(sizes))
        want = reference.mlp_forward(x, weights, biases, acts)
        # independent oracle: PyTorch's own layers
        h = x
        for l, (w, b, a) in enumerate(zip(weights, biases, acts), start=1):
            layer = torch.nn.Linear(w.shape[1], w.shape[0]).to(dtype)
            with torch.no_grad():
                layer.weight.copy_(w)
                layer.bias.copy_(b)
                h = modules[a](layer(h))
            check_tensor(f"{call}: h_{l} against nn.Linear", want[l], h, atol=_atol(h))
        for l, (g, e) in enumerate(zip(got, want)):
            check_tensor(f"{call}: h_{l}", g, e, atol=_atol(e))
        check_tensor(f"x after {call}", given[0], x, atol=0)
        for l, (w, b) in enumerate(zip(weights, biases), start=1):
            check_tensor(f"W_{l} after {call}", given[1][l - 1], w, atol=0)
            check_tensor(f"b_{l} after {call}", given[2][l - 1], b, atol=0)


def test_cross_entropy(student, reference):
    _forbid(student, "cross_entropy", "compute the loss itself",
            ["F.cross_entropy", "functional.cross_entropy", "nll_loss", "log_softmax",
             "logsumexp", "CrossEntropyLoss", "NLLLoss"])
    gen = torch.Generator().manual_seed(202)
    rng = random.Random(202)
    for trial in range(60):
        dtype = DTYPES[trial % 2]
        n, c = rng.randint(1, 7), rng.randint(1, 6)
        scale = rng.choice([0.1, 1.0, 5.0, 30.0])
        logits = torch.randn(n, c, generator=gen, dtype=dtype) * scale
        if trial % 3 == 0:  # huge logits, a different offset per row
            logits = logits + torch.randint(-10000, 10000, (n, 1), generator=gen).to(dtype)
        targets = torch.randint(0, c, (n,), generator=gen)
        given_logits, given_targets = logits.clone(), targets.clone()
        got = student.cross_entropy(given_logits, given_targets)
        call = (f"cross_entropy(logits {tuple(logits.shape)} {dtype} in "
                f"[{logits.min():.1f}, {logits.max():.1f}], targets {targets.tolist()})")
        oracle = F.cross_entropy(logits, targets)
        # Logits of size m carry a rounding error of ~m * eps, and so may the loss.
        atol = (2e-5 if dtype == torch.float32 else 1e-9) * max(1.0, float(logits.abs().max()))
        check_tensor(call, reference.cross_entropy(logits, targets), oracle, atol=atol)
        check_tensor(call, got, oracle, atol=atol)
        check_tensor(f"logits after {call}", given_logits, logits, atol=0)
        check_tensor(f"targets after {call}", given_targets, targets)


def test_l2_loss_and_grads(student, reference):
    _forbid(student, "l2_loss_and_grads", "compute the gradients by hand",
            ["autograd", "backward(", "torch.func", "functorch", "requires_grad"])
    gen = torch.Generator().manual_seed(303)
    rng = random.Random(303)
    for trial in range(40):
        dtype = DTYPES[trial % 2]
        n, d, k = rng.randint(1, 8), rng.randint(1, 5), rng.randint(1, 4)
        w = torch.randn(k, d, generator=gen, dtype=dtype)
        b = torch.randn(k, generator=gen, dtype=dtype)
        x = torch.randn(n, d, generator=gen, dtype=dtype)
        y = torch.randn(n, k, generator=gen, dtype=dtype)
        lam = rng.choice([0.0, 0.01, 0.3, 2.0])
        given = [t.clone() for t in (w, b, x, y)]
        call = f"l2_loss_and_grads(w {tuple(w.shape)}, x {tuple(x.shape)}, {dtype}, lam={lam})"
        loss, grad_w, grad_b = student.l2_loss_and_grads(*given, lam)
        # independent oracle: autograd on the loss written out
        wt, bt = w.clone().requires_grad_(), b.clone().requires_grad_()
        oracle = ((x @ wt.T + bt - y) ** 2).sum() / n + lam * (wt ** 2).sum()
        oracle.backward()
        ref = reference.l2_loss_and_grads(w, b, x, y, lam)
        for label, g, r, o in (("loss", loss, ref[0], oracle.detach()),
                               ("dE/dW", grad_w, ref[1], wt.grad), ("dE/db", grad_b, ref[2], bt.grad)):
            check_tensor(f"{call} {label} (reference)", r, o, atol=_atol(o))
            check_tensor(f"{call} {label}", g, o, atol=_atol(o))
        for name, g, t in zip("wbxy", given, (w, b, x, y)):
            check_tensor(f"{name} after {call}", g, t, atol=0)


def test_conv2d(student, reference):
    _forbid(student, "conv2d", "compute the convolution itself",
            ["F.conv", "functional.conv", "nn.Conv", "torch.conv", "F.unfold",
             "functional.unfold", "nn.Unfold"])
    gen = torch.Generator().manual_seed(404)
    rng = random.Random(404)
    for trial in range(50):
        dtype = DTYPES[trial % 2]
        n, c_in, c_out = rng.randint(1, 2), rng.randint(1, 3), rng.randint(1, 3)
        k_h, k_w = rng.randint(1, 4), rng.randint(1, 4)
        stride, padding = rng.randint(1, 3), rng.randint(0, 2)
        h = rng.randint(max(1, k_h - 2 * padding), 9)
        w_ = rng.randint(max(1, k_w - 2 * padding), 9)
        x = torch.randn(n, c_in, h, w_, generator=gen, dtype=dtype)
        weight = torch.randn(c_out, c_in, k_h, k_w, generator=gen, dtype=dtype)
        bias = torch.randn(c_out, generator=gen, dtype=dtype) if trial % 3 else None
        call = (f"conv2d(x {tuple(x.shape)} {dtype}, weight {tuple(weight.shape)}, "
                f"bias {'None' if bias is None else 'given'}, stride={stride}, padding={padding})")
        given_x, given_w = x.clone(), weight.clone()
        got = student.conv2d(given_x, given_w, None if bias is None else bias.clone(),
                             stride=stride, padding=padding)
        oracle = F.conv2d(x, weight, bias, stride=stride, padding=padding)
        check_tensor(f"{call} (reference)", reference.conv2d(x, weight, bias, stride, padding),
                     oracle, atol=_atol(oracle))
        check_tensor(call, got, oracle, atol=_atol(oracle))
        check_tensor(f"x after {call}", given_x, x, atol=0)
        check_tensor(f"weight after {call}", given_w, weight, atol=0)
    # default arguments
    x = torch.randn(1, 2, 5, 5, generator=gen)
    weight = torch.randn(2, 2, 3, 3, generator=gen)
    check_tensor("conv2d(x, weight) with default arguments", student.conv2d(x, weight),
                 F.conv2d(x, weight), atol=_atol(x) * 10)


def test_max_pool2d(student, reference):
    _forbid(student, "max_pool2d", "compute the pooling itself",
            ["F.max_pool", "functional.max_pool", "nn.MaxPool", "torch.max_pool",
             "max_pool2d_with_indices", "adaptive_max_pool", "F.unfold", "nn.Unfold"])
    gen = torch.Generator().manual_seed(505)
    rng = random.Random(505)
    for trial in range(50):
        dtype = DTYPES[trial % 2]
        k = rng.randint(1, 4)
        stride = rng.choice([None, 1, 2, 3])
        padding = rng.randint(0, k // 2)
        h, w = rng.randint(k, 9), rng.randint(k, 9)
        x = torch.randn(rng.randint(1, 2), rng.randint(1, 3), h, w, generator=gen, dtype=dtype)
        x = x - 3.0 * (trial % 2)  # all-negative inputs on some trials
        call = f"max_pool2d(x {tuple(x.shape)} {dtype}, {k}, stride={stride}, padding={padding})"
        given = x.clone()
        got = student.max_pool2d(given, k, stride=stride, padding=padding)
        oracle = F.max_pool2d(x, k, stride=stride, padding=padding)
        check_tensor(f"{call} (reference)", reference.max_pool2d(x, k, stride, padding), oracle,
                     atol=0)
        check_tensor(call, got, oracle, atol=0)
        check_tensor(f"x after {call}", given, x, atol=0)
    x = torch.randn(1, 1, 6, 6, generator=gen)
    check_tensor("max_pool2d(x, 2) with default arguments", student.max_pool2d(x, 2),
                 F.max_pool2d(x, 2), atol=0)


def _field_by_gradient(layers, unit, length):
    """First and last input position whose value changes `unit` of the last layer (1-D)."""
    x = torch.ones(1, 1, length, dtype=torch.float64, requires_grad=True)
    h = x
    for kernel, stride, padding in layers:
        ones = torch.ones(1, 1, kernel, dtype=torch.float64)
        h = F.conv1d(h, ones, stride=stride, padding=padding)
    h[0, 0, unit].backward()
    seen = torch.nonzero(x.grad[0, 0]).flatten()
    return int(seen.min()), int(seen.max())


def test_receptive_field(student, reference):
    rng = random.Random(606)
    for trial in range(120):
        layers = []
        for _ in range(rng.randint(0, 5)):
            kernel = rng.randint(1, 5)
            layers.append((kernel, rng.randint(1, 3), rng.randint(0, kernel - 1)))
        got = student.receptive_field([tuple(layer) for layer in layers])
        want = reference.receptive_field(layers)
        size, jump, start = want
        # independent oracle: autograd on a 1-D stack, for a unit whose field lies inside the input
        unit = (-start) // jump + 1 if start < 0 else 1
        lo, hi = _field_by_gradient(layers, unit, start + unit * jump + size + 8)
        check_equal(f"receptive_field({layers}) (reference)", (lo, hi),
                    (start + unit * jump, start + unit * jump + size - 1))
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise AssertionError(f"receptive_field({layers}): expected a tuple "
                                 f"(size, jump, start), got {got!r}")
        check_equal(f"receptive_field({layers})", tuple(int(v) for v in got), want)
