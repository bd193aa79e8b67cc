"""Hidden tests of 06-recurrent-networks: run by the trusted grader, never shipped to students.

Each ``test_<part>(student, reference)`` checks one graded part: ``student.f(...)`` runs the
student's function in the sandbox, ``reference.f`` is the reference solution (see
``autograder/harness.py``). Every check compares with the reference on seeded random inputs and
with PyTorch (``nn.RNN``, autograd, ``clip_grad_norm_``), which run here, on the trusted side. The
parts are specified for float32 inputs; their tolerances are what float32 arithmetic achieves.
"""

import math

import torch
from torch import nn

from autograder.rules import check_by_hand, check_close
from hiddenrep.testing import check_equal, check_tensor

# What "by hand" rules out, part by part: the library routines the tests use as oracles.
AUTOGRAD = {"autograd", "backward", "enable_grad", "set_grad_enabled", "requires_grad",
            "requires_grad_", "grad", "func", "functorch", "vjp", "jvp", "jacrev", "jacfwd",
            "jacobian", "hessian"}
RECURRENT_LAYERS = {"RNN", "RNNCell", "RNNBase", "LSTM", "GRU", "rnn_tanh", "rnn_relu",
                    "rnn_tanh_cell", "rnn_relu_cell", "_VF"}
CLIPPING = {"clip_grad_norm_", "clip_grad_norm", "clip_grads_with_norm_", "get_total_norm",
            "clip_grad_value_"}
STATE_NAMES = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]


# --- helpers (trusted side) -------------------------------------------------------------------


def relu_rnn_states(weights, x):
    """The states of nn.RNN(d, 2d, relu) with the given weights on x of shape (batch, time, d)."""
    d = x.shape[-1]
    rnn = nn.RNN(d, 2 * d, nonlinearity="relu", batch_first=True)
    rnn.load_state_dict(dict(zip(STATE_NAMES, weights)))
    with torch.no_grad():
        states, _ = rnn(x)
    return states


def tanh_states(xs, h0, W, U, b):
    """h_1 .. h_T of h_t = tanh(W x_t + U h_{t-1} + b), stacked."""
    h, out = h0, []
    for x in xs:
        h = torch.tanh(W @ x + U @ h + b)
        out.append(h)
    return torch.stack(out)


def random_rnn(rng, T, d, H):
    """A float32 sequence, start state and parameters of moderate size."""
    xs = torch.randn(T, d, generator=rng)
    h0 = torch.randn(H, generator=rng) * 0.5
    W = torch.randn(H, d, generator=rng)
    U = torch.randn(H, H, generator=rng) / H ** 0.5
    b = torch.randn(H, generator=rng) * 0.3
    return xs, h0, W, U, b


# --- the tests --------------------------------------------------------------------------------


def test_running_sum_weights(student, reference):
    expected = reference.running_sum_weights
    gen = torch.Generator().manual_seed(6001)
    for d in [1, 2, 3, 5]:
        weights = student.running_sum_weights(d)
        check_equal(f"running_sum_weights({d}) returns", f"{type(weights).__name__} of {len(weights)}",
                    "tuple of 4")
        check_equal(f"shapes of running_sum_weights({d})", [tuple(w.shape) for w in weights],
                    [tuple(w.shape) for w in expected(d)])
        check_equal(f"dtypes of running_sum_weights({d})", [w.dtype for w in weights],
                    [torch.float32] * 4)
        for _ in range(3):
            steps = int(torch.randint(1, 12, (1,), generator=gen))
            x = torch.randn(4, steps, d, generator=gen) * 3
            states = relu_rnn_states(weights, x)
            # Oracle: the running sum itself.
            check_tensor(f"h[:d] - h[d:] of nn.RNN with running_sum_weights({d}) on {steps} random steps",
                         states[..., :d] - states[..., d:], x.cumsum(dim=1), atol=1e-4)


def test_rnn_unroll(student, reference):
    check_by_hand(student, "rnn_unroll", RECURRENT_LAYERS, "unroll the RNN by hand, without PyTorch's recurrent layers")
    expected = reference.rnn_unroll
    gen = torch.Generator().manual_seed(6002)
    for trial in range(25):
        B, T = int(torch.randint(1, 5, (1,), generator=gen)), int(torch.randint(1, 7, (1,), generator=gen))
        d, H = int(torch.randint(1, 4, (1,), generator=gen)), int(torch.randint(2, 5, (1,), generator=gen))
        if trial % 5 == 0:
            d = H  # square input weights: a transposed weight_ih would run without an error
        x = torch.randn(B, T, d, generator=gen)
        lengths = torch.randint(1, T + 1, (B,), generator=gen)
        lengths[0] = T
        params = [torch.randn(H, d, generator=gen), torch.randn(H, H, generator=gen),
                  torch.randn(H, generator=gen), torch.randn(H, generator=gen)]
        rnn = nn.RNN(d, H, batch_first=True)
        rnn.load_state_dict(dict(zip(STATE_NAMES, params)))
        h0 = None if trial % 2 else torch.randn(B, H, generator=gen)
        given = [t.clone() for t in (x, lengths, *params)] + [None if h0 is None else h0.clone()]
        call = (f"rnn_unroll(x of shape {(B, T, d)}, lengths={lengths.tolist()}, H={H}, "
                f"h0={'None' if h0 is None else 'random'})")
        got = student.rnn_unroll(*given)
        check_equal(f"{call} returns", f"{type(got).__name__} of {len(got)}", "tuple of 2")
        ref_out, ref_last = expected(x, lengths, *params, h0)
        check_tensor(f"{call} outputs", got[0], ref_out, atol=1e-5)
        check_tensor(f"{call} h_last", got[1], ref_last, atol=1e-5)
        # Oracle: PyTorch's RNN on the packed batch.
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        with torch.no_grad():
            out, h_n = rnn(packed, None if h0 is None else h0[None])
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
        check_tensor(f"{call} outputs against nn.RNN", got[0], out, atol=1e-5)
        check_tensor(f"{call} h_last against nn.RNN", got[1], h_n[0], atol=1e-5)
        for name, before, after in zip(["x", "lengths", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "h0"],
                                       [x, lengths, *params, h0], given):
            if before is not None:
                check_tensor(f"{name} after {call}", after, before)


def test_bptt_gradients(student, reference):
    check_by_hand(student, "bptt_gradients", AUTOGRAD, "compute the gradients by hand, without autograd")
    expected = reference.bptt_gradients
    gen = torch.Generator().manual_seed(6003)
    for trial in range(20):
        T, d, H = [int(torch.randint(lo, hi, (1,), generator=gen)) for lo, hi in [(1, 8), (1, 4), (1, 5)]]
        inputs = (*random_rnn(gen, T, d, H), torch.randn(T, H, generator=gen))
        given = tuple(t.clone() for t in inputs)
        call = f"bptt_gradients(T={T}, d={d}, H={H}, float32)"
        got = student.bptt_gradients(*given)
        check_equal(f"{call} returns", f"{type(got).__name__} of {len(got)}", "tuple of 3")
        # Oracle: autograd, in float64, on the loss whose direct gradients are g, L = sum_t g_t . h_t.
        xs, h0, W, U, b, g = (t.double() for t in inputs)
        params = [p.clone().requires_grad_() for p in (W, U, b)]
        oracle = torch.autograd.grad((g * tanh_states(xs, h0, *params)).sum(), params)
        for name, mine, theirs, auto in zip(["dW", "dU", "db"], got, expected(*inputs), oracle):
            check_close(f"{call}: {name}", mine, theirs, rtol=1e-4, atol=1e-5)
            check_close(f"{call}: {name} against autograd", mine, auto.float(), rtol=1e-4, atol=1e-5)
        for name, before, after in zip(["xs", "h0", "W", "U", "b", "g"], inputs, given):
            check_tensor(f"{name} after {call}", after, before)


def test_rtrl_sensitivities(student, reference):
    check_by_hand(student, "rtrl_sensitivities", AUTOGRAD, "compute the sensitivities by hand, without autograd")
    expected = reference.rtrl_sensitivities
    gen = torch.Generator().manual_seed(6004)
    for trial in range(15):
        T, d, H = [int(torch.randint(lo, hi, (1,), generator=gen)) for lo, hi in [(1, 7), (1, 4), (2, 5)]]
        inputs = random_rnn(gen, T, d, H)
        given = tuple(t.clone() for t in inputs)
        call = f"rtrl_sensitivities(T={T}, d={d}, H={H}, float32)"
        got = student.rtrl_sensitivities(*given)
        check_close(call, got, expected(*inputs), rtol=1e-4, atol=1e-5)
        # Oracle: autograd's Jacobian of every state with respect to U, in float64.
        xs, h0, W, U, b = (t.double() for t in inputs)
        jacobian = torch.autograd.functional.jacobian(lambda U_: tanh_states(xs, h0, W, U_, b), U)
        check_close(f"{call} against autograd", got, jacobian.float(), rtol=1e-4, atol=1e-5)
        for name, before, after in zip(["xs", "h0", "W", "U", "b"], inputs, given):
            check_tensor(f"{name} after {call}", after, before)


def test_clip_by_global_norm(student, reference):
    check_by_hand(student, "clip_by_global_norm", CLIPPING, "clip by hand, without PyTorch's clipping functions")
    expected = reference.clip_by_global_norm
    gen = torch.Generator().manual_seed(6005)
    for trial in range(30):
        shapes = [tuple(int(s) for s in torch.randint(1, 4, (int(torch.randint(1, 3, (1,), generator=gen)),),
                                                      generator=gen))
                  for _ in range(int(torch.randint(1, 5, (1,), generator=gen)))]
        grads = [torch.randn(s, generator=gen) * float(torch.rand(1, generator=gen) * 3) for s in shapes]
        norm = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
        max_norm = norm * [0.1, 0.5, 0.9, 1.5, 3.0][trial % 5]  # clipping needed in 3 of 5 cases
        given = [g.clone() for g in grads]
        call = f"clip_by_global_norm(tensors of shapes {shapes}, max_norm={max_norm:.3f})"
        got = student.clip_by_global_norm(given, max_norm)
        check_equal(f"{call} returns", f"{type(got).__name__} of {len(got)}", "tuple of 2")
        clipped, got_norm = got
        ref_clipped, ref_norm = expected(grads, max_norm)
        check_equal(f"{call}: norm is a float", isinstance(got_norm, float), True)
        check_equal(f"{call}: norm rounded", round(got_norm, 4), round(ref_norm, 4))
        check_equal(f"{call}: number of tensors", len(clipped), len(grads))
        # Oracle: PyTorch's clip_grad_norm_ on parameters carrying these gradients.
        params = [torch.zeros(s, requires_grad=True) for s in shapes]
        for p, g_ in zip(params, grads):
            p.grad = g_.clone()
        torch_norm = nn.utils.clip_grad_norm_(params, max_norm)
        check_equal(f"{call}: norm against torch", round(got_norm, 4), round(torch_norm.item(), 4))
        for i, (mine, theirs, p) in enumerate(zip(clipped, ref_clipped, params)):
            check_tensor(f"{call}[{i}]", mine, theirs, atol=1e-5)
            check_tensor(f"{call}[{i}] against torch", mine, p.grad, atol=1e-5)
        for i, (before, after) in enumerate(zip(grads, given)):
            check_tensor(f"gradient {i} after {call}", after, before)


def test_sample_with_temperature(student, reference):
    expected = reference.sample_with_temperature
    gen = torch.Generator().manual_seed(6006)
    for trial in range(40):
        B, V = int(torch.randint(2, 6, (1,), generator=gen)), int(torch.randint(2, 9, (1,), generator=gen))
        scale = [1.0, 5.0, 60.0][trial % 3]
        logits = torch.randn(B, V, generator=gen) * scale
        temperature = [0.0, 0.05, 0.5, 1.0, 2.0][trial % 5]
        u = torch.rand(B, generator=gen)
        if temperature > 0:
            # Keep u away from the cumulative probabilities, where rounding could decide the answer.
            cdf = torch.softmax(logits.double() / temperature, -1).cumsum(-1)
            if (cdf - u.double()[:, None]).abs().min() < 1e-4:
                continue
        given_logits, given_u = logits.clone(), u.clone()
        call = (f"sample_with_temperature(logits of shape {(B, V)} and scale {scale}, {temperature}, "
                f"u={[round(v, 3) for v in u.tolist()]})")
        got = student.sample_with_temperature(given_logits, temperature, given_u)
        check_tensor(call, got, expected(logits, temperature, u))
        check_tensor(f"logits after {call}", given_logits, logits)
        check_tensor(f"u after {call}", given_u, u)
    # Oracle: over an even grid of u, each symbol is picked with its softmax probability.
    n = 2000
    for temperature in [0.5, 1.0, 3.0]:
        row = torch.randn(1, 6, generator=gen) * 2
        picks = student.sample_with_temperature(row.expand(n, 6).contiguous(), temperature,
                                                (torch.arange(n) + 0.5) / n)
        freq = torch.bincount(picks, minlength=6).double() / n
        check_tensor(f"frequencies of sample_with_temperature on an even grid of u (temperature "
                     f"{temperature}) against torch.softmax", freq,
                     torch.softmax(row[0].double() / temperature, -1), atol=2e-3)


def recurrent_layers(model):
    """Probe: whether ``model`` is an nn.Module, and the class names of its recurrent layers."""
    from torch import nn

    if not isinstance(model, nn.Module):
        return False, []
    return True, [type(m).__name__ for m in model.modules() if isinstance(m, (nn.RNNBase, nn.RNNCellBase))]


def test_train_recall_model(student, reference):
    generator = torch.Generator().manual_seed(6007)
    x_train, y_train = reference.recall_data(2000, generator)
    x_test, y_test = reference.recall_data(1000, generator)
    model = student.train_recall_model(x_train, y_train)
    is_module, layers = student.probe(recurrent_layers, model)
    check_equal("train_recall_model returns an nn.Module", is_module, True)
    gated = sorted({name for name in layers if name in ("GRU", "LSTM", "GRUCell", "LSTMCell")})
    check_equal(f"train_recall_model's model has a gated recurrent layer (its recurrent layers: {layers})",
                bool(gated), True)
    logits = model(x_test)
    check_equal("shape of model(x) for 1000 sequences of 40 symbols", tuple(logits.shape), (1000, 4))
    accuracy = (logits.detach().argmax(dim=1) == y_test).double().mean().item()
    check_equal(f"accuracy on 1000 new sequences is {accuracy:.3f}; at least 0.9", accuracy >= 0.9, True)
