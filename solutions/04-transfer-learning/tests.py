"""Hidden tests of 04-transfer-learning (trusted side: never shipped to students).

Each ``test_<part>(student, reference)`` checks one graded part against the reference on seeded
inputs and, where one exists, against an independent oracle. Models are built inside probes
(they cannot cross to the sandbox); probes only gather facts, the checks are made here.
"""

import fnmatch
import re

import numpy as np
import torch
from torch import nn

from autograder.harness import StudentError
from hiddenrep.testing import check_equal, check_tensor


# --- probes (run in the sandbox: self-contained, no expected values) ---------------------------


def run_freeze(f, calls, pre_frozen):
    """Build a small network, freeze ``pre_frozen`` by hand, then apply f(model, patterns) for
    each patterns list in ``calls``; after each call record the result and the flags."""
    from torch import nn

    net = nn.Sequential(nn.Embedding(11, 4), nn.LSTM(4, 5, batch_first=True),
                        nn.Sequential(nn.Linear(5, 6), nn.LayerNorm(6)), nn.Linear(6, 3))
    for name, p in net.named_parameters():
        if name in pre_frozen:
            p.requires_grad_(False)
    out = []
    for patterns in calls:
        got = f(net, patterns)
        flags = {name: bool(p.requires_grad) for name, p in net.named_parameters()}
        out.append((got, type(got).__name__, flags))
    return out


def describe_groups(f, base_lr, decay, frozen):
    """f(model, base_lr, decay) on a small network with the parameters named in ``frozen``
    frozen; each group as (lr, type name of lr, names of its params)."""
    from torch import nn

    net = nn.Sequential(nn.Embedding(7, 3), nn.Dropout(0.1), nn.Linear(3, 4), nn.ReLU(),
                        nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 4)),
                        nn.LayerNorm(4), nn.Linear(4, 2))
    names = {id(p): n for n, p in net.named_parameters()}
    for n, p in net.named_parameters():
        if n in frozen:
            p.requires_grad_(False)
    described = []
    for group in f(net, base_lr, decay):
        lr = group.get("lr")
        params = [names.get(id(p), "<not a parameter of the model>") for p in group["params"]]
        described.append((lr, type(lr).__name__, params))
    return described


def progressive_grads(f, x, column_a, column_b, adapters):
    """out = f(...) on fresh copies that require grad, and the gradients of (out * w).sum()."""
    import torch

    def fresh(t):
        return t.detach().clone().requires_grad_()

    col_a = [(fresh(w), fresh(b)) for w, b in column_a]
    col_b = [(fresh(w), fresh(b)) for w, b in column_b]
    adapt = [None] + [tuple(fresh(t) for t in a) for a in adapters[1:]]
    out = f(x.clone(), col_a, col_b, adapt)
    weights = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)
    (out * weights).sum().backward()

    def grad(t):
        return None if t.grad is None else t.grad.clone()

    return (out.detach(), [grad(t) for pair in col_a for t in pair],
            [grad(t) for pair in col_b for t in pair],
            [grad(t) for a in adapt[1:] for t in a])


def run_cache(f, layer_name, seed, train_mode, sizes, fail_at_end):
    """Build a seeded network with dropout and batch norm, call f on seeded batches, and report
    the result with the model's state afterwards. With ``fail_at_end`` the last batch has the
    wrong width, so the model raises; then the result is the exception's class name."""
    import torch
    from torch import nn

    torch.random.manual_seed(seed)
    net = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8),
                        nn.Sequential(nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 6)),
                        nn.Tanh(), nn.Linear(6, 3))
    # Non-trivial running statistics, so that train and eval mode give different outputs.
    net.train()
    with torch.no_grad():
        net(torch.randn(64, 5) * 2 + 1)
    net.train(train_mode)
    gen = torch.Generator().manual_seed(seed + 1)
    batches = [torch.randn(n, 5, generator=gen) for n in sizes]
    if fail_at_end:
        batches.append(torch.randn(2, 7, generator=gen))
    state = {k: v.clone() for k, v in net.state_dict().items()}
    if fail_at_end:
        try:
            f(net, layer_name, batches)
        except Exception:  # expected: this call is about what the function leaves behind
            pass
        got, grad = None, False
    else:
        got = f(net, layer_name, batches)
        grad = bool(getattr(got, "requires_grad", False))
        got = got.detach() if hasattr(got, "detach") else got
    hooks = sum(len(m._forward_hooks) for m in net.modules())
    return got, grad, bool(net.training), hooks, state, batches[:len(sizes)]


# --- helpers (trusted side) -----------------------------------------------------------------------


def _probe(student, label, fn, *args):
    """student.probe(fn, *args), with the student's errors reported under ``label`` (the name of
    their function) rather than the probe's."""
    try:
        return student.probe(fn, *args)
    except StudentError as error:
        raise StudentError(label, error.ename, error.evalue, error.lines) from None


def _float32_tol(expected):
    return 1e-5 * (1.0 + float(expected.abs().max()))


def _cache_net():
    return nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8),
                         nn.Sequential(nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 6)),
                         nn.Tanh(), nn.Linear(6, 3))


# --- the tests --------------------------------------------------------------------------------


FREEZE_CASES = [
    ([["0.*"], ["*bias*"], ["1.*", "3.weight"], []], set()),
    ([["2.*"], ["*.1.*"], ["2.0.W*"], ["*"]], {"3.bias", "0.weight"}),
    ([["1.weight_??_l0"], ["[02].weight"], ["3.*", "0.*", "2.0.bias"]], {"1.bias_hh_l0"}),
    ([["weight"], ["*weight"], ["2.1"]], {"2.1.weight", "2.1.bias"}),
]


def test_freeze_matching(student, reference):
    from torch import nn

    sizes = {n: p.numel() for n, p in nn.Sequential(
        nn.Embedding(11, 4), nn.LSTM(4, 5, batch_first=True),
        nn.Sequential(nn.Linear(5, 6), nn.LayerNorm(6)), nn.Linear(6, 3)).named_parameters()}
    for calls, pre in FREEZE_CASES:
        got = _probe(student, "freeze_matching", run_freeze, student.freeze_matching, calls, sorted(pre))
        want = run_freeze(reference.freeze_matching, calls, sorted(pre))
        for patterns, (g_count, g_type, g_flags), (w_count, _, w_flags) in zip(calls, got, want):
            what = f"freeze_matching(model, {patterns})"
            check_equal(f"{what}: parameters with requires_grad", g_flags, w_flags)
            # Oracle: fnmatch translated to a regular expression, counted here.
            regexes = [re.compile(fnmatch.translate(p)) for p in patterns]
            oracle = sum(n for name, n in sizes.items()
                         if not any(r.match(name) for r in regexes))
            check_equal(f"{what} returns", (g_type, g_count), ("int", oracle))
            check_equal(f"{what} returns (reference)", g_count, w_count)


def test_layerwise_lr_groups(student, reference):
    cases = [(0.01, 2.6, []), (1.0, 2.0, ["6.weight", "6.bias"]),
             (3e-4, 1.5, ["0.weight", "4.0.weight", "4.0.bias"]),
             (0.1, 1.0, ["2.weight"]), (0.5, 4.0, ["4.2.bias", "5.weight", "5.bias"])]
    for base_lr, decay, frozen in cases:
        what = f"layerwise_lr_groups(model, {base_lr}, {decay}) with {frozen} frozen"
        got = _probe(student, "layerwise_lr_groups", describe_groups,
                     student.layerwise_lr_groups, base_lr, decay, frozen)
        want = describe_groups(reference.layerwise_lr_groups, base_lr, decay, frozen)
        check_equal(f"{what}: parameters of each group", [g[2] for g in got],
                    [g[2] for g in want])
        check_equal(f"{what}: type of each lr", [g[1] for g in got], ["float"] * len(want))
        # Oracle: the top group has base_lr and each step down divides by decay.
        oracle = torch.tensor([base_lr / decay ** (len(want) - 1 - k) for k in range(len(want))],
                              dtype=torch.float64)
        lrs = torch.tensor([g[0] for g in got], dtype=torch.float64)
        check_tensor(f"{what}: learning rates", lrs, oracle, atol=1e-12 * base_lr)
        check_tensor(f"{what}: learning rates (reference)", lrs,
                     torch.tensor([g[0] for g in want], dtype=torch.float64),
                     atol=1e-12 * base_lr)


def test_slanted_triangular_lr(student, reference):
    for total, lr_max, cut_frac, ratio in [(100, 0.01, 0.1, 32), (20, 1.0, 0.25, 10),
                                           (27, 0.3, 0.1, 32), (7, 2.0, 0.5, 4),
                                           (1000, 1e-3, 0.05, 100), (33, 0.1, 0.2, 2)]:
        cut = int(np.floor(total * cut_frac))
        got = [student.slanted_triangular_lr(t, total, lr_max, cut_frac, ratio)
               for t in range(total)]
        want = [reference.slanted_triangular_lr(t, total, lr_max, cut_frac, ratio)
                for t in range(total)]
        what = f"slanted_triangular_lr(t, {total}, {lr_max}, {cut_frac}, {ratio})"
        check_equal(f"{what}: types", sorted({type(v).__name__ for v in got}), ["float"])
        got_t = torch.tensor(got, dtype=torch.float64)
        check_tensor(f"{what} for t = 0..{total - 1}", got_t,
                     torch.tensor(want, dtype=torch.float64), atol=1e-12 * lr_max)
        # Oracle: straight lines through (0, lr_max/ratio), (cut, lr_max), (cut/cut_frac,
        # lr_max/ratio), as far as that end point reaches.
        end = cut / cut_frac
        ts = np.arange(total)
        inside = ts <= end
        oracle = np.interp(ts[inside], [0, cut, end], [lr_max / ratio, lr_max, lr_max / ratio])
        check_tensor(f"{what} against the triangle", got_t[torch.from_numpy(inside)],
                     torch.from_numpy(oracle), atol=1e-9 * lr_max)
    check_equal("slanted_triangular_lr(5, 100, 0.01) with default cut_frac and ratio",
                round(student.slanted_triangular_lr(5, 100, 0.01), 15),
                round(0.01 * (1 + 0.5 * 31) / 32, 15))


def _columns(gen, dtype, sizes_a, sizes_b, hidden, alpha_scale=1.0, zero_u=False):
    def pair(n_in, n_out):
        return (torch.randn(n_out, n_in, generator=gen, dtype=dtype) / n_in ** 0.5,
                torch.randn(n_out, generator=gen, dtype=dtype))

    col_a = [pair(i, o) for i, o in zip(sizes_a, sizes_a[1:])]
    col_b = [pair(i, o) for i, o in zip(sizes_b, sizes_b[1:])]
    adapters = [None]
    for i in range(1, len(col_b)):
        u = torch.randn(sizes_b[i + 1], hidden, generator=gen, dtype=dtype)
        adapters.append((torch.tensor(alpha_scale, dtype=dtype) * torch.rand((), generator=gen,
                                                                            dtype=dtype),
                         torch.randn(hidden, sizes_a[i], generator=gen, dtype=dtype),
                         u * 0 if zero_u else u))
    return col_a, col_b, adapters


def test_progressive_forward(student, reference):
    gen = torch.Generator().manual_seed(404)
    shapes = [([3, 5, 2], [3, 4, 2], 2), ([4, 6, 5, 3], [4, 7, 7, 3], 3),
              ([2, 3, 3, 3, 2], [2, 4, 4, 4, 5], 1), ([6, 8, 4], [6, 3, 2], 4)]
    for dtype in (torch.float32, torch.float64):
        for sizes_a, sizes_b, hidden in shapes:
            col_a, col_b, adapters = _columns(gen, dtype, sizes_a, sizes_b, hidden)
            x = torch.randn(9, sizes_a[0], generator=gen, dtype=dtype)
            what = f"progressive_forward(x {tuple(x.shape)}, columns {sizes_a} / {sizes_b}, {dtype})"
            given = [x.clone()] + [t.clone() for pair in col_a + col_b for t in pair]
            got = student.progressive_forward(x, col_a, col_b, adapters)
            want = reference.progressive_forward(x, col_a, col_b, adapters)
            tol = _float32_tol(want) if dtype == torch.float32 else 1e-9 * (1 + float(want.abs().max()))
            check_tensor(what, got, want, atol=tol)
            check_tensor(f"{what}: inputs after the call",
                         torch.cat([t.flatten() for t in [x] + [t for p in col_a + col_b for t in p]]),
                         torch.cat([t.flatten() for t in given]))
            # Gradients: none into column A, the reference's into B and the adapters.
            g_out, g_a, g_b, g_ad = _probe(student, "progressive_forward", progressive_grads,
                                            student.progressive_forward,
                                            x, col_a, col_b, adapters)
            w_out, _, w_b, w_ad = progressive_grads(reference.progressive_forward,
                                                    x, col_a, col_b, adapters)
            leaked = [k for k, g in enumerate(g_a) if g is not None and bool(g.abs().max() > 0)]
            check_equal(f"{what}: column A tensors that received a gradient", leaked, [])
            check_equal(f"{what}: B and adapter tensors without a gradient",
                        [k for k, g in enumerate(g_b + g_ad) if g is None], [])
            for name, g_list, w_list in (("column B", g_b, w_b), ("adapter", g_ad, w_ad)):
                got_g = torch.cat([g.flatten() for g in g_list])
                want_g = torch.cat([g.flatten() for g in w_list])
                tol = (_float32_tol(want_g) * 10 if dtype == torch.float32
                       else 1e-9 * (1 + float(want_g.abs().max())))
                check_tensor(f"{what}: gradients of the {name} tensors", got_g, want_g, atol=tol)
        # Oracle: with U = 0 the adapters add nothing and B is a plain MLP (nn.Sequential).
        sizes_a, sizes_b = [3, 6, 5, 2], [3, 5, 5, 4]
        col_a, col_b, adapters = _columns(gen, dtype, sizes_a, sizes_b, 2, zero_u=True)
        mlp = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 5), nn.ReLU(),
                            nn.Linear(5, 4)).to(dtype)
        with torch.no_grad():
            for layer, (w, b) in zip(mlp[::2], col_b):
                layer.weight.copy_(w)
                layer.bias.copy_(b)
        x = torch.randn(6, 3, generator=gen, dtype=dtype)
        with torch.no_grad():
            want = mlp(x)
        tol = _float32_tol(want) if dtype == torch.float32 else 1e-9 * (1 + float(want.abs().max()))
        check_tensor(f"progressive_forward with all U = 0 ({dtype}) against column B alone",
                     student.progressive_forward(x, col_a, col_b, adapters), want, atol=tol)
        # Oracle: a one-layer-deep adapter computed by hand with torch.relu and matmul.
        col_a, col_b, adapters = _columns(gen, dtype, [2, 3, 1], [2, 3, 2], 2)
        x = torch.randn(5, 2, generator=gen, dtype=dtype)
        a1 = torch.relu(x @ col_a[0][0].T + col_a[0][1])
        b1 = torch.relu(x @ col_b[0][0].T + col_b[0][1])
        alpha, v, u = adapters[1]
        want = b1 @ col_b[1][0].T + col_b[1][1] + torch.relu((alpha * a1) @ v.T) @ u.T
        tol = _float32_tol(want) if dtype == torch.float32 else 1e-9 * (1 + float(want.abs().max()))
        check_tensor(f"progressive_forward, two layers ({dtype}), by hand",
                     student.progressive_forward(x, col_a, col_b, adapters), want, atol=tol)


def _forgetting_oracle(R):
    R = np.asarray(R, dtype=np.float64)
    T = len(R)
    bwt = np.mean([R[T - 1, j] - R[j, j] for j in range(T - 1)])
    forget = np.mean([max(R[l, j] for l in range(T - 1)) - R[T - 1, j] for j in range(T - 1)])
    return bwt, forget


def test_forgetting_stats(student, reference):
    gen = torch.Generator().manual_seed(505)
    matrices = [torch.tensor([[0.9, 0.2], [0.4, 0.95]], dtype=torch.float64),
                torch.tensor([[0.5, 0.1, 0.1], [0.8, 0.6, 0.2], [0.7, 0.5, 0.9]],
                             dtype=torch.float64)]
    for T in (2, 3, 4, 5, 6, 8):
        for _ in range(3):
            matrices.append(torch.rand(T, T, generator=gen, dtype=torch.float64))
    for R in matrices:
        what = f"forgetting_stats(R of shape {tuple(R.shape)}) for R = {R.numpy().round(3).tolist()}"
        given = R.clone()
        got = student.forgetting_stats(given)
        check_equal(f"{what} returns", type(got).__name__ + f" of {len(got)}", "tuple of 2")
        check_equal(f"{what}: types", [type(v).__name__ for v in got], ["float", "float"])
        got_t = torch.tensor(got, dtype=torch.float64)
        check_tensor(f"{what}: (bwt, forgetting)", got_t,
                     torch.tensor(_forgetting_oracle(R.numpy()), dtype=torch.float64), atol=1e-12)
        check_tensor(f"{what}: (bwt, forgetting) (reference)", got_t,
                     torch.tensor(reference.forgetting_stats(R), dtype=torch.float64), atol=1e-12)
        check_tensor(f"{what}: R after the call", given, R)


def test_cache_features(student, reference):
    cases = [("1", 0, True, [4, 3]), ("2", 1, True, [5]), ("2.2", 2, False, [3, 3, 2]),
             ("0", 3, False, [6, 1]), ("2.1", 4, True, [7, 2]), ("3", 5, True, [2, 2, 2, 2])]
    for layer, seed, train_mode, sizes in cases:
        mode = "train" if train_mode else "eval"
        what = f"cache_features(model in {mode} mode, {layer!r}, batches of {sizes})"
        got, grad, training, hooks, state, batches = _probe(
            student, "cache_features", run_cache, student.cache_features, layer, seed, train_mode,
            sizes, False)
        want = run_cache(reference.cache_features, layer, seed, train_mode, sizes, False)[0]
        check_tensor(what, got, want, atol=1e-5)
        check_equal(f"{what}: requires_grad of the result", grad, False)
        check_equal(f"{what}: model.training afterwards", training, train_mode)
        check_equal(f"{what}: forward hooks left on the model", hooks, 0)
        # Oracle: the same weights, run layer by layer in eval mode up to the named layer.
        net = _cache_net()
        net.load_state_dict(state)
        net.eval()
        with torch.no_grad():
            h = torch.cat(batches)
            target = net.get_submodule(layer)
            oracle = None
            for module in [net[0], net[1], net[2][0], net[2][1], net[2][2], net[3], net[4]]:
                h = module(h)
                if module is target or (target is net[2] and module is net[2][2]):
                    oracle = h.clone()
                    break
        check_tensor(f"{what} against a step-by-step forward pass", got, oracle, atol=1e-5)
    for train_mode in (True, False):
        what = f"cache_features on a model that raises (in {'train' if train_mode else 'eval'} mode)"
        got, _, training, hooks, _, _ = _probe(student, "cache_features", run_cache,
                                               student.cache_features, "1", 9,
                                               train_mode, [3], True)
        check_equal(f"{what}: forward hooks left on the model", hooks, 0)
        check_equal(f"{what}: model.training afterwards", training, train_mode)
