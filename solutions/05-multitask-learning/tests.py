"""Hidden tests of 05-multitask-learning: run by the trusted grader, never shipped to students.

Each ``test_<part>(student, reference)`` checks one graded part: ``student.f(...)`` runs the
student's function in the sandbox, ``reference.f`` is the reference solution (see
``autograder/harness.py``). Every check compares with the reference on seeded inputs and with an
independent oracle written here.
"""

import math
import random

import torch

from hiddenrep.testing import check_equal, check_tensor


# ---- 1. MultiHeadMLP -------------------------------------------------------------------------

def build_and_run(cls, n_in, hidden, n_classes, x, seed):
    """Build the module, give its parameters seeded values, run it; report structure and outputs."""
    import torch

    torch.random.manual_seed(seed)
    net = cls(n_in, hidden, n_classes)
    fill = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=fill) * 0.5)
    out = net(x)
    kinds = [type(m).__name__ for m in net.shared]
    heads = [type(m).__name__ for m in net.heads]
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    return {"kinds": kinds, "heads": heads, "is_list": isinstance(out, list),
            "out": [o.detach() for o in out], "state": state}


def mlp_oracle(state, n_hidden, n_tasks, x):
    h = x
    for i in range(n_hidden):
        h = torch.relu(h @ state[f"shared.{2 * i}.weight"].T + state[f"shared.{2 * i}.bias"])
    return [h @ state[f"heads.{t}.weight"].T + state[f"heads.{t}.bias"] for t in range(n_tasks)]


def test_MultiHeadMLP(student, reference):
    rng = random.Random(501)
    gen = torch.Generator().manual_seed(501)
    for trial in range(6):
        n_in = rng.randint(1, 6)
        hidden = [rng.randint(1, 7) for _ in range(rng.randint(1, 3))]
        n_classes = [rng.randint(1, 5) for _ in range(rng.randint(1, 4))]
        x = torch.randn(rng.randint(1, 5), n_in, generator=gen)
        call = f"MultiHeadMLP({n_in}, {hidden}, {n_classes})"
        got = student.probe(build_and_run, student.MultiHeadMLP, n_in, hidden, n_classes, x, trial)
        want = build_and_run(reference.MultiHeadMLP, n_in, hidden, n_classes, x, trial)
        check_equal(f"{call}: the layers of .shared", got["kinds"], want["kinds"])
        check_equal(f"{call}: the layers of .heads", got["heads"], want["heads"])
        check_equal(f"{call}: forward returns a list", got["is_list"], True)
        check_equal(f"{call}: parameter names and shapes",
                    {k: tuple(v.shape) for k, v in got["state"].items()},
                    {k: tuple(v.shape) for k, v in want["state"].items()})
        oracle = mlp_oracle(got["state"], len(hidden), len(n_classes), x)
        check_equal(f"{call}: number of outputs", len(got["out"]), len(n_classes))
        for t, (o, e) in enumerate(zip(got["out"], oracle)):
            check_tensor(f"{call}: logits of task {t} on a batch of {len(x)}", o, e, atol=1e-5)
        for t, (o, e) in enumerate(zip(got["out"], want["out"])):
            check_tensor(f"{call}: logits of task {t} (seeded weights)", o, e, atol=1e-5)


# ---- 2. masked_multitask_loss ------------------------------------------------------------------

def loss_with_grads(f, logits, labels, weights):
    import torch

    leaves = [l.clone().requires_grad_() for l in logits]
    loss = f(leaves, labels, weights)
    if loss.requires_grad:  # a batch without any label has nothing to differentiate
        loss.backward()
    return loss.detach(), [l.grad if l.grad is not None else torch.zeros_like(l) for l in leaves]


def masked_oracle(logits, labels, weights):
    total = torch.zeros((), dtype=logits[0].dtype)
    for t, (lg, w) in enumerate(zip(logits, weights)):
        rows = [i for i in range(len(labels)) if labels[i, t] >= 0]
        if rows:
            per = [-torch.log_softmax(lg[i], 0)[labels[i, t]] for i in rows]
            total = total + w * sum(per) / len(rows)
    return total


def test_masked_multitask_loss(student, reference):
    rng = random.Random(502)
    gen = torch.Generator().manual_seed(502)
    for trial in range(40):
        dtype = torch.float64 if trial % 2 else torch.float32
        atol = 1e-10 if dtype == torch.float64 else 1e-5
        batch, tasks = rng.randint(1, 6), rng.randint(1, 4)
        classes = [rng.randint(2, 5) for _ in range(tasks)]
        logits = [torch.randn(batch, c, generator=gen, dtype=dtype) * 2 for c in classes]
        labels = torch.tensor([[rng.randrange(c) if rng.random() < 0.6 else -1 for c in classes]
                               for _ in range(batch)], dtype=torch.long).reshape(batch, tasks)
        if trial % 5 == 0:
            labels[:, rng.randrange(tasks)] = -1  # one task without any label
        weights = [round(rng.uniform(0.1, 2.0), 2) for _ in range(tasks)]
        call = f"masked_multitask_loss(logits {[tuple(l.shape) for l in logits]}, labels {labels.tolist()}, {weights})"
        given = [l.clone() for l in logits]
        got = student.masked_multitask_loss(given, labels, weights)
        check_tensor(call, got, masked_oracle(logits, labels, weights), atol=atol)
        check_tensor(call + " (against the reference)", got,
                     reference.masked_multitask_loss(logits, labels, weights), atol=atol)
        for t in range(tasks):
            check_tensor(f"the logits of task {t} after {call}", given[t], logits[t])
        value, grads = student.probe(loss_with_grads, student.masked_multitask_loss, logits, labels,
                                     weights)
        _, want = loss_with_grads(reference.masked_multitask_loss, logits, labels, weights)
        for t in range(tasks):
            check_tensor(f"gradient on the logits of task {t} for {call}", grads[t], want[t], atol=atol)


# ---- 3. temperature_probs ----------------------------------------------------------------------

def test_temperature_probs(student, reference):
    rng = random.Random(503)
    for trial in range(60):
        sizes = [rng.choice([1, 2, 7, 100, 5000, 10**6, 10**9]) for _ in range(rng.randint(1, 5))]
        temperature = rng.choice([0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 10.0, 100.0])
        call = f"temperature_probs({sizes}, {temperature})"
        got = student.temperature_probs(list(sizes), temperature)
        # Oracle in exact rational-free form: ratios to the largest size, in float64 logs.
        biggest = max(sizes)
        powers = [math.exp(math.log(n / biggest) / temperature) for n in sizes]
        raw = torch.tensor(powers, dtype=torch.float64)
        check_tensor(call, got, raw / raw.sum(), atol=1e-12)
        check_tensor(call + " (against the reference)", got,
                     reference.temperature_probs(list(sizes), temperature), atol=1e-12)


# ---- 4. project_conflicting --------------------------------------------------------------------

def test_project_conflicting(student, reference):
    gen = torch.Generator().manual_seed(504)
    for trial in range(60):
        dtype = torch.float64 if trial % 2 else torch.float32
        atol = 1e-10 if dtype == torch.float64 else 1e-5
        n = int(torch.randint(1, 8, (1,), generator=gen))
        g_a = torch.randn(n, generator=gen, dtype=dtype)
        g_b = torch.randn(n, generator=gen, dtype=dtype)
        if trial % 3 == 0:  # make sure both cases occur often
            g_b = -g_b if torch.dot(g_a, g_b) > 0 else g_b
        call = f"project_conflicting({g_a.tolist()}, {g_b.tolist()})"
        given_a, given_b = g_a.clone(), g_b.clone()
        new_a, new_b = student.project_conflicting(given_a, given_b)
        check_tensor(f"g_a after {call}", given_a, g_a)
        check_tensor(f"g_b after {call}", given_b, g_b)
        dot = torch.dot(g_a, g_b)
        if dot < 0:
            want_a = g_a - dot / torch.dot(g_b, g_b) * g_b
            want_b = g_b - dot / torch.dot(g_a, g_a) * g_a
        else:
            want_a, want_b = g_a, g_b
        check_tensor(f"{call}: g_a'", new_a, want_a, atol=atol)
        check_tensor(f"{call}: g_b'", new_b, want_b, atol=atol)
        ref_a, ref_b = reference.project_conflicting(g_a, g_b)
        check_tensor(f"{call}: g_a' (against the reference)", new_a, ref_a, atol=atol)
        check_tensor(f"{call}: g_b' (against the reference)", new_b, ref_b, atol=atol)


# ---- 5. dwa_weights ----------------------------------------------------------------------------

def test_dwa_weights(student, reference):
    rng = random.Random(505)
    for trial in range(60):
        k = rng.randint(1, 5)
        history = [[round(rng.uniform(0.05, 3.0), 3) for _ in range(k)]
                   for _ in range(rng.choice([1, 1, 2, 3, 5]))]
        temperature = rng.choice([0.5, 1.0, 2.0, 5.0])
        call = f"dwa_weights({history}, {temperature})"
        got = student.dwa_weights([list(h) for h in history], temperature)
        if len(history) < 2:
            want = [1.0] * k
        else:
            ratios = [a / b for a, b in zip(history[-1], history[-2])]
            exps = [math.exp(r / temperature) for r in ratios]
            want = [k * e / sum(exps) for e in exps]
        check_tensor(call, got, torch.tensor(want, dtype=torch.float64), atol=1e-12)
        check_tensor(call + " (against the reference)", got,
                     reference.dwa_weights([list(h) for h in history], temperature), atol=1e-12)


# ---- 6. soft_sharing_penalty -------------------------------------------------------------------

def penalty_with_grads(f, params_a, params_b):
    a = [p.clone().requires_grad_() for p in params_a]
    b = [p.clone().requires_grad_() for p in params_b]
    value = f(a, b)
    value.backward()
    import torch

    zeros = torch.zeros_like
    return (value.detach(), [p.grad if p.grad is not None else zeros(p) for p in a],
            [p.grad if p.grad is not None else zeros(p) for p in b])


def test_soft_sharing_penalty(student, reference):
    gen = torch.Generator().manual_seed(506)
    rng = random.Random(506)
    for trial in range(30):
        dtype = torch.float64 if trial % 2 else torch.float32
        atol = 1e-9 if dtype == torch.float64 else 1e-4
        shapes = [tuple(rng.randint(1, 4) for _ in range(rng.randint(0, 3)))
                  for _ in range(rng.randint(1, 4))]
        a = [torch.randn(s, generator=gen, dtype=dtype) for s in shapes]
        b = [torch.randn(s, generator=gen, dtype=dtype) for s in shapes]
        call = f"soft_sharing_penalty(tensors of shapes {shapes}, {dtype})"
        value, grads_a, grads_b = student.probe(penalty_with_grads, student.soft_sharing_penalty, a, b)
        oracle = sum(float(((x.double() - y.double()) ** 2).sum()) for x, y in zip(a, b))
        check_tensor(call, value, torch.tensor(oracle, dtype=dtype), atol=atol * max(1.0, oracle))
        ref_value, _, _ = penalty_with_grads(reference.soft_sharing_penalty, a, b)
        check_tensor(call + " (against the reference)", value, ref_value, atol=atol * max(1.0, oracle))
        for i, (x, y) in enumerate(zip(a, b)):
            check_tensor(f"{call}: gradient on tower a's tensor {i}", grads_a[i], 2 * (x - y), atol=atol)
            check_tensor(f"{call}: gradient on tower b's tensor {i}", grads_b[i], 2 * (y - x), atol=atol)
