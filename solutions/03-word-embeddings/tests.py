"""Hidden tests of 03-word-embeddings: run by the trusted grader, never shipped to students.

Each ``test_<part>(student, reference)`` checks one graded part: ``student.f(...)`` runs the
student's function in the sandbox, ``reference.f`` is the reference solution (see
``autograder/harness.py``). Every check compares with the reference on seeded random inputs and,
where one exists, with an independent oracle (gensim, scipy, numpy, autograd). Tolerances are what
a correct implementation in the dtype the prompt names achieves.
"""

import random

import torch
import torch.nn.functional as F

from autograder.rules import check_by_hand, check_close
from hiddenrep.testing import check_equal, check_tensor

# What "without autograd" rules out: the names and attributes through which PyTorch differentiates.
AUTOGRAD = {"autograd", "backward", "enable_grad", "set_grad_enabled", "requires_grad",
            "requires_grad_", "grad", "func", "functorch", "vjp", "jvp", "jacrev", "jacfwd",
            "jacobian", "hessian", "inference_mode"}


# --- helpers (trusted side) -------------------------------------------------------------------


def call_without_grad(f, *args):
    """Probe: call f with autograd switched off, as the prompt of sgns_loss_and_grads announces."""
    import torch

    with torch.no_grad():
        return f(*args)


# --- the tests --------------------------------------------------------------------------------


def test_skipgram_pairs(student, reference):
    expected = reference.skipgram_pairs
    rng = random.Random(3001)
    for _ in range(300):
        ids = [rng.randint(0, 9) for _ in range(rng.randint(0, 12))]
        window = rng.randint(1, 5)
        given = list(ids)
        call = f"skipgram_pairs({ids}, {window})"
        got = student.skipgram_pairs(given, window)
        check_equal(call, got, expected(ids, window))
        # Independent of the reference: every pair of distinct positions at most `window` apart.
        oracle = sorted((ids[i], ids[j]) for i in range(len(ids)) for j in range(len(ids))
                        if 0 < abs(i - j) <= window)
        check_equal(f"{call}, sorted", sorted(got), oracle)
        check_equal(f"the sentence after {call}", given, ids)


def test_keep_probability(student, reference):
    from gensim.models import Word2Vec

    expected = reference.keep_probability
    gen = torch.Generator().manual_seed(3002)
    for size in [1, 3, 10, 50, 200]:
        for sample in [1e-1, 1e-2, 1e-3, 1e-5]:
            counts = torch.randint(1, 100_000, (size,), generator=gen)
            given = counts.clone()
            call = f"keep_probability(counts of {size} words, {sample})"
            got = student.keep_probability(given, sample)
            check_close(call, got, expected(counts, sample), rtol=1e-5)
            check_tensor(f"the counts after {call}", given, counts)
    # Oracle: the keep probabilities gensim stores in its vocabulary (integers scaled by 2**32 - 1).
    rng = random.Random(3002)
    words = [f"w{i}" for i in range(30)]
    corpus = [[rng.choice(words[:rng.randint(1, 30)]) for _ in range(50)] for _ in range(40)]
    for sample in [1e-1, 1e-2, 1e-3]:
        model = Word2Vec(vector_size=4, min_count=1, sample=sample, workers=1)
        model.build_vocab(corpus)
        kv = model.wv
        counts = torch.tensor([kv.get_vecattr(w, "count") for w in kv.index_to_key])
        scaled = [kv.get_vecattr(w, "sample_int") / (2**32 - 1) for w in kv.index_to_key]
        oracle = torch.tensor(scaled, dtype=torch.float64)
        check_tensor(f"keep_probability(counts of a random corpus, {sample}) against gensim",
                     student.keep_probability(counts, sample), oracle, atol=1e-6)


def test_noise_distribution(student, reference):
    from gensim.models import Word2Vec

    expected = reference.noise_distribution
    gen = torch.Generator().manual_seed(3003)
    for size in [1, 4, 25, 300]:
        for power in [0.75, 0.5, 1.0, 0.0, 1.5]:
            counts = torch.randint(1, 10_000, (size,), generator=gen)
            given = counts.clone()
            call = f"noise_distribution(counts of {size} words, power={power})"
            check_close(call, student.noise_distribution(given, power=power),
                        expected(counts, power=power), rtol=1e-5)
            check_tensor(f"the counts after {call}", given, counts)
    # Oracle: gensim's cumulative table of the noise distribution.
    rng = random.Random(3003)
    words = [f"w{i}" for i in range(40)]
    corpus = [[rng.choice(words[:rng.randint(1, 40)]) for _ in range(50)] for _ in range(40)]
    for power in [0.75, 0.5, 1.0]:
        model = Word2Vec(vector_size=4, min_count=1, negative=5, ns_exponent=power, workers=1)
        model.build_vocab(corpus)
        kv = model.wv
        counts = torch.tensor([kv.get_vecattr(w, "count") for w in kv.index_to_key])
        cum = torch.tensor(model.cum_table, dtype=torch.float64)
        oracle = torch.diff(cum, prepend=torch.zeros(1, dtype=torch.float64)) / cum[-1]
        check_tensor(f"noise_distribution(counts of a random corpus, power={power}) against gensim",
                     student.noise_distribution(counts, power=power), oracle, atol=1e-6)


def sgns_oracle(inputs):
    """Loss and gradients by autograd, on the loss as the prompt defines it."""
    lv, lp, ln = [t.clone().requires_grad_() for t in inputs]
    per_pair = -F.logsigmoid((lv * lp).sum(-1)) - F.logsigmoid(-(ln @ lv.unsqueeze(-1)).squeeze(-1)).sum(-1)
    per_pair.backward(torch.ones_like(per_pair))
    return per_pair.detach(), lv.grad, lp.grad, ln.grad


def test_sgns_loss_and_grads(student, reference):
    check_by_hand(student, "sgns_loss_and_grads", AUTOGRAD, "compute the gradients by hand, without autograd")
    expected = reference.sgns_loss_and_grads
    gen = torch.Generator().manual_seed(3004)
    for B, K, d in [(1, 1, 1), (2, 3, 5), (7, 5, 8), (16, 4, 3), (5, 10, 6)]:
        for scale in [0.1, 1.0, 3.0]:
            inputs = [scale * torch.randn(B, d, generator=gen), scale * torch.randn(B, d, generator=gen),
                      scale * torch.randn(B, K, d, generator=gen)]
            given = [t.clone() for t in inputs]
            call = f"sgns_loss_and_grads(B={B}, K={K}, d={d}, entries of size ~{scale})"
            got = student.probe(call_without_grad, student.sgns_loss_and_grads, *given)
            check_equal(f"{call} returns", type(got).__name__ + f" of {len(got)}", "tuple of 4")
            names = ["loss", "grad_v", "grad_pos", "grad_neg"]
            for name, g, r in zip(names, got, expected(*inputs)):
                check_tensor(f"{call}: {name}", g, r, atol=1e-5)
            for name, g, r in zip(names, got, sgns_oracle(inputs)):
                check_tensor(f"{call}: {name} against autograd", g, r, atol=1e-5)
            for name, g, t in zip(["v", "u_pos", "u_neg"], given, inputs):
                check_tensor(f"{name} after {call}", g, t)


def test_nearest_neighbours(student, reference):
    from gensim.models import KeyedVectors

    expected = reference.nearest_neighbours
    gen = torch.Generator().manual_seed(3005)
    for V, d in [(2, 3), (5, 2), (12, 4), (40, 8), (25, 16)]:
        for _ in range(4):
            # Rows of very different lengths, so that a dot product ranks differently from the cosine.
            vectors = torch.randn(V, d, generator=gen) * torch.rand(V, 1, generator=gen).mul(10).add(0.1)
            query = int(torch.randint(V, (1,), generator=gen))
            k = int(torch.randint(1, V, (1,), generator=gen))
            given = vectors.clone()
            call = f"nearest_neighbours(vectors of shape {(V, d)}, query={query}, k={k})"
            got = student.nearest_neighbours(given, query, k)
            check_tensor(call, got, expected(vectors, query, k))
            check_tensor(f"vectors after {call}", given, vectors)
            # Oracle: gensim's most_similar.
            kv = KeyedVectors(d)
            kv.add_vectors([str(i) for i in range(V)], vectors.numpy())
            oracle = torch.tensor([int(w) for w, _ in kv.most_similar(str(query), topn=k)])
            check_tensor(f"{call} against gensim", got, oracle)
    # A row that is a positive multiple of the query (cosine 1, like the query itself, and listed
    # first): the query is then not necessarily its own top hit.
    for V, d, twin in [(6, 3, 0), (9, 4, 2), (12, 5, 7)]:
        vectors = torch.randn(V, d, generator=gen)
        query = twin + 1
        vectors[twin] = 2.5 * vectors[query]
        given = vectors.clone()
        for k in [1, 3]:
            call = (f"nearest_neighbours(vectors of shape {(V, d)} whose row {twin} is 2.5 times row "
                    f"{query}, query={query}, k={k})")
            got = student.nearest_neighbours(given, query, k)
            check_tensor(call, got, expected(vectors, query, k))
            check_equal(f"{call}: row {query} among its own neighbours", query in got.tolist(), False)


def test_solve_analogies(student, reference):
    from gensim.models import KeyedVectors

    expected = reference.solve_analogies
    gen = torch.Generator().manual_seed(3006)
    for V, d, Q in [(4, 2, 1), (8, 3, 5), (20, 5, 12), (50, 8, 20), (30, 4, 30)]:
        vectors = torch.randn(V, d, generator=gen) * torch.rand(V, 1, generator=gen).mul(10).add(0.1)
        questions = torch.stack([torch.randperm(V, generator=gen)[:3] for _ in range(Q)])
        a, b, c = questions.unbind(1)
        given = [t.clone() for t in (vectors, a, b, c)]
        call = f"solve_analogies(vectors of shape {(V, d)}, {Q} questions)"
        got = student.solve_analogies(*given)
        check_tensor(call, got, expected(vectors, a, b, c))
        for name, g, t in zip(["vectors", "a", "b", "c"], given, (vectors, a, b, c)):
            check_tensor(f"{name} after {call}", g, t)
        # Oracle: gensim's most_similar(positive=[b, c], negative=[a]), one question at a time.
        kv = KeyedVectors(d)
        kv.add_vectors([str(i) for i in range(V)], vectors.numpy())
        oracle = torch.tensor([
            int(kv.most_similar(positive=[str(int(bi)), str(int(ci))], negative=[str(int(ai))],
                                topn=1)[0][0])
            for ai, bi, ci in zip(a, b, c)])
        check_tensor(f"{call} against gensim", got, oracle)


def test_spearman(student, reference):
    from scipy.stats import rankdata, spearmanr

    expected = reference.spearman
    rng = random.Random(3007)
    for _ in range(120):
        n = rng.randint(2, 40)
        top = rng.choice([2, 3, 5, 10, 1000])  # small ranges give many ties
        x = [rng.randint(0, top) for _ in range(n)]
        y = [rng.randint(0, top) / 2 for _ in range(n)]
        if len(set(x)) < 2 or len(set(y)) < 2:
            continue
        given_x, given_y = torch.tensor(x, dtype=torch.float64), list(y)
        call = f"spearman({x}, {y})"
        got = student.spearman(given_x, given_y)
        check_equal(f"{call} returns a", type(got).__name__, "float")
        got = torch.tensor([got], dtype=torch.float64)
        check_tensor(call, got, torch.tensor([expected(x, y)], dtype=torch.float64), atol=1e-6)
        # Oracle: scipy.
        check_tensor(f"{call} against scipy", got,
                     torch.tensor([spearmanr(x, y).statistic], dtype=torch.float64), atol=1e-6)
        ranks = student.average_ranks(torch.tensor(x, dtype=torch.float64))
        check_tensor(f"average_ranks(tensor({x}, dtype=float64)) against scipy", ranks,
                     torch.tensor(rankdata(x), dtype=torch.float64), atol=1e-9)
        check_equal(f"x after {call}", given_x.tolist(), [float(v) for v in x])
        check_equal(f"y after {call}", given_y, y)


def test_train_word_vectors(student, reference):
    # A corpus the student never sees the topics of: another seed, so other word ids.
    sentences, topic_of = reference.topic_corpus(2000, seed=3009)
    vectors = student.train_word_vectors(sentences, len(topic_of))
    check_equal("train_word_vectors returns a", type(vectors).__name__, "Tensor")
    check_equal("number of rows of the vectors", tuple(vectors.shape)[:1], (len(topic_of),))
    check_equal("dtype of the vectors", vectors.dtype, torch.float32)
    rate = reference.same_topic_rate(vectors.detach(), topic_of)
    check_equal(f"on a new corpus, nearest neighbour in the same topic for {rate:.1%} of the words; "
                f"at least 90 %", rate >= 0.9, True)
