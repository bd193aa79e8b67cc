"""Hidden tests of 07-sequence-to-sequence (trusted side: never shipped to students)."""

import functools
import math
import random

import torch

from hiddenrep.testing import check_equal, check_tensor


# --- probes: they run next to the student's code and only gather facts --------------------------


def decode_with_tiny_rnn(decode, weights, args):
    """Run ``decode(next_logits, *args)`` with a small random RNN decoder built from ``weights``."""
    import torch

    embed, recurrent, readout = weights

    def next_logits(prefix):
        h = torch.zeros(recurrent.shape[0], dtype=recurrent.dtype)
        for token in prefix:
            h = torch.tanh(embed[token] + recurrent @ h)
        return readout @ h

    return decode(next_logits, *args)


def tree_with_grads(compose, tree, leaves, W, b):
    """The vector of ``tree`` and the gradients of its sum with respect to every input."""
    leaves, W, b = (t.clone().requires_grad_() for t in (leaves, W, b))
    h = compose(tree, leaves, W, b)
    h.sum().backward()
    grads = [None if t.grad is None else t.grad for t in (leaves, W, b)]
    return h.detach(), grads


# --- helpers of the trusted side ----------------------------------------------------------------


def tiny_rnn(vocab: int, hidden: int, seed: int, sharp: float, dtype=torch.float32):
    weights_rng = torch.Generator().manual_seed(seed)
    return (sharp * torch.randn(vocab, hidden, generator=weights_rng, dtype=dtype),
            torch.randn(hidden, hidden, generator=weights_rng, dtype=dtype) / math.sqrt(hidden),
            sharp * torch.randn(vocab, hidden, generator=weights_rng, dtype=dtype))


def rnn_log_probs(weights, prefix):
    embed, recurrent, readout = weights
    h = torch.zeros(recurrent.shape[0], dtype=recurrent.dtype)
    for token in prefix:
        h = torch.tanh(embed[token] + recurrent @ h)
    return torch.log_softmax(readout @ h, dim=-1)


def brute_force_best(weights, bos, eos, max_len, alpha):
    """Every complete output (ends in eos, or max_len ids without it), the best by normalised score."""
    vocab = weights[0].shape[0]
    best, best_score = None, -math.inf

    def walk(prefix, score):
        nonlocal best, best_score
        log_probs = rnn_log_probs(weights, prefix).tolist()
        for token in range(vocab):
            new, new_score = prefix + [token], score + log_probs[token]
            if token == eos or len(new) - 1 == max_len:
                normalised = new_score / (len(new) - 1) ** alpha
                if normalised > best_score:
                    best, best_score = new[1:], normalised
            else:
                walk(new, new_score)

    walk([bos], 0.0)
    return best, best_score


def levenshtein_oracle(a, b):
    @functools.lru_cache(maxsize=None)
    def d(i, j):
        if i == 0 or j == 0:
            return i + j
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))

    return d(len(a), len(b))


def compose_oracle(tree, leaves, W, b):
    """Post-order evaluation with an explicit stack (no recursion)."""
    stack, values = [(tree, False)], []
    while stack:
        node, expanded = stack.pop()
        if isinstance(node, int):
            values.append(leaves[node])
        elif expanded:
            right, left = values.pop(), values.pop()
            values.append(torch.tanh(W @ torch.cat([left, right]) + b))
        else:
            stack += [(node, True), (node[1], False), (node[0], False)]
    return values[0]


def random_tree(rng: random.Random, n_leaves: int, depth: int):
    if depth == 0 or rng.random() < 0.25:
        return rng.randrange(n_leaves)
    return (random_tree(rng, n_leaves, depth - 1), random_tree(rng, n_leaves, depth - 1))


# --- tests ------------------------------------------------------------------------------------------


def test_shift_targets(student, reference):
    gen = torch.Generator().manual_seed(7)
    for trial in range(40):
        batch, T = int(torch.randint(1, 6, (1,), generator=gen)), int(torch.randint(0, 7, (1,), generator=gen))
        targets = torch.randint(3, 20, (batch, T), generator=gen)
        lengths = torch.randint(0, T + 1, (batch,), generator=gen)
        bos, eos, pad = [(1, 2, 0), (5, 6, 9), (0, 1, 2)][trial % 3]
        given, given_lengths = targets.clone(), lengths.clone()
        got_in, got_out = student.shift_targets(targets, lengths, bos, eos, pad)
        want_in, want_out = reference.shift_targets(given.clone(), given_lengths.clone(), bos, eos, pad)
        what = f"shift_targets({given.tolist()}, lengths={given_lengths.tolist()}, {bos}, {eos}, {pad})"
        check_tensor(f"{what} decoder_in", got_in, want_in)
        check_tensor(f"{what} decoder_out", got_out, want_out)
        # independent oracle from lists
        for b in range(batch):
            real = given[b, :int(given_lengths[b])].tolist()
            pad_n = T - len(real)
            check_equal(f"{what} decoder_in row {b}", got_in[b].tolist(), [bos] + real + [pad] * pad_n)
            check_equal(f"{what} decoder_out row {b}", got_out[b].tolist(), real + [eos] + [pad] * pad_n)
        check_tensor(f"{what}: targets after the call", targets, given)
        check_tensor(f"{what}: lengths after the call", lengths, given_lengths)


def test_attention_context(student, reference):
    gen = torch.Generator().manual_seed(11)
    for trial in range(30):
        dtype = torch.float32 if trial % 2 else torch.float64
        tol = 1e-5 if dtype == torch.float32 else 1e-10
        batch = int(torch.randint(1, 5, (1,), generator=gen))
        S, d, e = (int(torch.randint(1, 7, (1,), generator=gen)) for _ in range(3))
        query = torch.randn(batch, d, generator=gen, dtype=dtype)
        keys = 2 * torch.randn(batch, S, d, generator=gen, dtype=dtype)
        values = torch.randn(batch, S, e, generator=gen, dtype=dtype)
        lengths = torch.randint(1, S + 1, (batch,), generator=gen)
        mask = torch.arange(S).unsqueeze(0) < lengths.unsqueeze(1)
        if trial % 5 == 4:  # masks that are not a prefix
            mask = torch.rand(batch, S, generator=gen) < 0.6
            mask[:, 0] = True
        keys_in, values_in = keys.clone(), values.clone()
        keys_in[~mask] = 50.0  # padding with large values must not leak in
        values_in[~mask] = 1000.0
        what = f"attention_context (batch {batch}, S {S}, d {d}, e {e}, {dtype})"
        weights, context = student.attention_context(query, keys_in, values_in, mask)
        want_w, want_c = reference.attention_context(query, keys_in, values_in, mask)
        check_tensor(f"{what} weights", weights, want_w, atol=tol)
        check_tensor(f"{what} context", context, want_c, atol=tol)
        oracle = torch.nn.functional.scaled_dot_product_attention(
            query.unsqueeze(1), keys_in, values_in, attn_mask=mask.unsqueeze(1)).squeeze(1)
        check_tensor(f"{what} context (against PyTorch's attention)", context, oracle, atol=tol)
        check_tensor(f"{what} weights at padding", weights[~mask], torch.zeros_like(weights[~mask]))


def test_greedy_decode(student, reference):
    for seed in range(25):
        vocab, eos = 3 + seed % 5, seed % 3
        bos = (eos + 1) % vocab
        max_len = 1 + seed % 7
        weights = tiny_rnn(vocab, 6, seed, sharp=1.5)
        args = (bos, eos, max_len)
        got = student.probe(decode_with_tiny_rnn, student.greedy_decode, weights, args)
        want = decode_with_tiny_rnn(reference.greedy_decode, weights, args)
        check_equal(f"greedy_decode on a random decoder (vocab {vocab}, bos {bos}, eos {eos}, "
                    f"max_len {max_len}, seed {seed})", got, want)
        check_equal(f"greedy_decode returns a list of ints (seed {seed})",
                    [type(t).__name__ for t in got], ["int"] * len(want))
    # a decoder that never ends: exactly max_len ids
    weights = tiny_rnn(4, 4, 0, sharp=0.0)
    weights[0][:, 0] = 1.0  # the first state unit is always on
    weights[2][1, 0] = 5.0  # and it votes for id 1
    got = student.probe(decode_with_tiny_rnn, student.greedy_decode, weights, (0, 3, 5))
    check_equal("greedy_decode of a decoder whose best id is always 1 (eos 3, max_len 5)",
                got, [1, 1, 1, 1, 1])


def test_beam_search(student, reference):
    for seed in range(14):
        vocab, max_len = 3 + seed % 2, 2 + seed % 3
        eos, bos = seed % vocab, (seed + 1) % vocab
        dtype = torch.float64 if seed % 2 else torch.float32
        weights = tiny_rnn(vocab, 5, 100 + seed, sharp=1.2, dtype=dtype)
        for alpha in (0.0, 0.7, 1.0):
            tol = 1e-4 if dtype == torch.float32 else 1e-9
            what = (f"beam_search on a random decoder (vocab {vocab}, bos {bos}, eos {eos}, "
                    f"max_len {max_len}, alpha {alpha}, seed {seed}")
            # a beam wide enough to keep everything is exhaustive search
            ids, score = student.probe(decode_with_tiny_rnn, student.beam_search, weights,
                                       (bos, eos, max_len, vocab ** max_len, alpha))
            best, best_score = brute_force_best(weights, bos, eos, max_len, alpha)
            check_equal(f"{what}, exhaustive width) ids", ids, best)
            check_equal(f"{what}, exhaustive width) score", round(score, 3), round(best_score, 3))
            check_tensor(f"{what}, exhaustive width) score", torch.tensor(score, dtype=torch.float64),
                         torch.tensor(best_score, dtype=torch.float64), atol=tol)
            for width in (1, 2, 3):
                args = (bos, eos, max_len, width, alpha)
                got = student.probe(decode_with_tiny_rnn, student.beam_search, weights, args)
                want = decode_with_tiny_rnn(reference.beam_search, weights, args)
                check_equal(f"{what}, width {width}) ids", got[0], want[0])
                check_tensor(f"{what}, width {width}) score", torch.tensor(got[1], dtype=torch.float64),
                             torch.tensor(want[1], dtype=torch.float64), atol=tol)
        greedy = decode_with_tiny_rnn(reference.greedy_decode, weights, (bos, eos, max_len))
        got = student.probe(decode_with_tiny_rnn, student.beam_search, weights,
                            (bos, eos, max_len, 1, 0.0))
        check_equal(f"beam_search with width 1 against greedy decoding (seed {seed})", got[0], greedy)


def test_edit_distance(student, reference):
    rng = random.Random(5)
    cases = [("", ""), ("a", ""), ("", "ab"), ("flaw", "lawn"), ("intention", "execution"),
             (["AH0", "B"], ["B", "AH0"]), ((1, 2, 3), (1, 2, 3))]
    for _ in range(150):
        alphabet = rng.choice(["ab", "abc", "abcdef"])
        a = "".join(rng.choices(alphabet, k=rng.randint(0, 8)))
        b = "".join(rng.choices(alphabet, k=rng.randint(0, 8)))
        cases.append((a, b) if rng.random() < 0.5 else (list(a), list(b)))
    for a, b in cases:
        got = student.edit_distance(a, b)
        check_equal(f"edit_distance({a!r}, {b!r})", got, levenshtein_oracle(tuple(a), tuple(b)))
        check_equal(f"edit_distance({a!r}, {b!r})", got, reference.edit_distance(a, b))
        check_equal(f"type of edit_distance({a!r}, {b!r})", type(got).__name__, "int")


def test_add_target_token(student, reference):
    gen = torch.Generator().manual_seed(3)
    for trial in range(40):
        batch, T = int(torch.randint(1, 6, (1,), generator=gen)), int(torch.randint(0, 6, (1,), generator=gen))
        src = torch.randint(4, 30, (batch, T), generator=gen)
        lengths = torch.randint(0, T + 1, (batch,), generator=gen)
        tokens = torch.randint(30, 34, (batch,), generator=gen)
        pad = [0, 3, 99][trial % 3]
        given = (src.clone(), lengths.clone(), tokens.clone())
        what = f"add_target_token({src.tolist()}, lengths={lengths.tolist()}, {tokens.tolist()}, {pad})"
        new_src, new_lengths = student.add_target_token(src, lengths, tokens, pad)
        want_src, want_lengths = reference.add_target_token(*(t.clone() for t in given), pad)
        check_tensor(f"{what} new_src", new_src, want_src)
        check_tensor(f"{what} new_lengths", new_lengths, want_lengths)
        for b in range(batch):
            real = given[0][b, :int(given[1][b])].tolist()
            check_equal(f"{what} row {b}", new_src[b].tolist(),
                        [int(given[2][b])] + real + [pad] * (T - len(real)))
        for name, after, before in zip(("src", "lengths", "token_ids"), (src, lengths, tokens), given):
            check_tensor(f"{what}: {name} after the call", after, before)


def test_compose_tree(student, reference):
    rng = random.Random(17)
    gen = torch.Generator().manual_seed(17)
    trees = [0, (0, 1), (1, 0), ((0, 1), 2), (0, (1, 2)), ((0, 0), (1, 1))]
    trees += [random_tree(rng, 4, rng.randint(1, 5)) for _ in range(20)]
    for i, tree in enumerate(trees):
        dtype = torch.float64 if i % 2 else torch.float32
        tol = 1e-10 if dtype == torch.float64 else 1e-5
        d = 1 + i % 4
        leaves = torch.randn(4, d, generator=gen, dtype=dtype)
        W = torch.randn(d, 2 * d, generator=gen, dtype=dtype)
        b = torch.randn(d, generator=gen, dtype=dtype)
        what = f"compose_tree({tree}, d={d}, {dtype})"
        got = student.compose_tree(tree, leaves, W, b)
        check_tensor(what, got, compose_oracle(tree, leaves, W, b), atol=tol)
        check_tensor(what, got, reference.compose_tree(tree, leaves, W, b), atol=tol)
        if not isinstance(tree, int):
            h, grads = student.probe(tree_with_grads, student.compose_tree, tree, leaves, W, b)
            _, want = tree_with_grads(reference.compose_tree, tree, leaves, W, b)
            for name, g, w in zip(("leaves", "W", "b"), grads, want):
                if g is None:
                    raise AssertionError(f"{what}: no gradient reaches {name}")
                check_tensor(f"{what}: gradient of the sum with respect to {name}", g, w, atol=tol)
