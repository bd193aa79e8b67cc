"""Unit tests for hiddenrep.wordvectors: loaders, the pair generator, the trainer, the analogy scorer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hiddenrep.wordvectors import (analogy_accuracy, epoch_pairs, keyed_vectors, load_analogies,
                                   load_en_it_pairs, load_glove, load_simlex999, load_toy_vectors,
                                   load_wordsim353, read_word2vec_text, read_word_pairs,
                                   train_skipgram)


def test_word_pair_benchmarks():
    wordsim, simlex = load_wordsim353(), load_simlex999()
    assert len(wordsim) == 353 and len(simlex) == 999
    assert ("tiger", "cat", 7.35) in wordsim
    assert ("old", "new", 1.58) in simlex
    assert all(0 <= score <= 10 for _, _, score in wordsim + simlex)


def test_read_word_pairs_skips_comments_and_lowercases(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("# header\nCat\tDog\t7.5\n\nsun\tmoon\t3\n")
    assert read_word_pairs(path) == [("cat", "dog", 7.5), ("sun", "moon", 3.0)]


def test_analogies():
    sections = load_analogies()
    assert len(sections) == 14
    assert sum(len(q) for q in sections.values()) == 19_544
    assert sections["capital-common-countries"][0] == ("athens", "greece", "baghdad", "iraq")
    assert all(len(q) == 4 and q == tuple(w.lower() for w in q) for qs in sections.values() for q in qs)


def test_glove():
    words, vectors = load_glove(top=1_000)
    assert len(words) == 1_000 and vectors.shape == (1_000, 50) and vectors.dtype == np.float32
    assert words[:2] == ["the", ","]
    all_words, all_vectors = load_glove()
    assert len(all_words) == 400_000 and all_vectors.shape == (400_000, 50)
    np.testing.assert_array_equal(all_vectors[:1_000], vectors)


def test_toy_vectors_and_pairs():
    en_words, en = load_toy_vectors("en")
    it_words, it = load_toy_vectors("it")
    assert en.shape == it.shape == (20, 300)
    pairs = load_en_it_pairs()
    assert len(pairs) == 20 and pairs[0] == ("one", "uno")
    assert {e for e, _ in pairs} == set(en_words) and {i for _, i in pairs} == set(it_words)
    with pytest.raises(ValueError, match="language"):
        load_toy_vectors("fr")


def test_read_word2vec_text_checks_the_width(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("2 3\na 1 2 3\nb 4 5\n")
    with pytest.raises(ValueError, match="'b' has 2 values, expected 3"):
        read_word2vec_text(path)


def test_keyed_vectors_round_trip():
    vectors = torch.randn(4, 3)
    kv = keyed_vectors(["a", "b", "c", "d"], vectors)
    assert kv.index_to_key == ["a", "b", "c", "d"]
    np.testing.assert_allclose(kv["c"], vectors[2].numpy())


def test_epoch_pairs_respects_window_and_documents():
    ids = torch.arange(30)
    doc = torch.repeat_interleave(torch.arange(3), 10)  # three documents of ten tokens
    gen = torch.Generator().manual_seed(0)
    center, context = epoch_pairs(ids, doc, torch.ones(30, dtype=torch.float64), 3, gen)
    distance = (center - context).abs()
    assert distance.min() >= 1 and distance.max() <= 3
    assert torch.equal(doc[center], doc[context])  # never across a document boundary
    # With window 1 every neighbour within the document is a context, on both sides.
    center, context = epoch_pairs(ids, doc, torch.ones(30, dtype=torch.float64), 1, gen)
    assert len(center) == 3 * 2 * 9
    nothing = epoch_pairs(ids, doc, torch.zeros(30, dtype=torch.float64), 3, gen)
    assert len(nothing[0]) == 0


def test_train_skipgram_learns_cooccurrence():
    # Two topics that never share a document: words 0-4 and words 5-9.
    rng = np.random.default_rng(0)
    docs = [list(rng.integers(0, 5, 200)) if k % 2 else list(rng.integers(5, 10, 200)) for k in range(40)]
    keep, noise = np.ones(10), np.full(10, 0.1)
    threads = torch.get_num_threads()
    run = train_skipgram(docs, keep, noise, dim=8, window=2, negative=3, pool=8, epochs=3,
                         lr=0.01, batch_size=64, seed=0, progress=False)
    assert run.vectors.shape == (10, 8) and len(run.pairs_per_epoch) == 3
    assert np.mean(run.losses[-20:]) < np.mean(run.losses[:5])
    assert math.isclose(run.losses[0], 4 * math.log(2), rel_tol=1e-5)  # zero output vectors at the start
    unit = torch.nn.functional.normalize(run.vectors, dim=1)
    cos = unit @ unit.T
    same = (cos[:5, :5].sum() - 5) / 20
    across = cos[:5, 5:].mean()
    assert same > across + 0.5
    assert torch.get_num_threads() == threads  # the trainer restores the caller's setting


def test_train_skipgram_reports_divergence():
    docs = [list(range(10)) * 50]
    with pytest.raises(FloatingPointError, match="diverged"):
        train_skipgram(docs, np.ones(10), np.full(10, 0.1), dim=4, window=2, lr=1e6, batch_size=64,
                       progress=False)


def test_analogy_accuracy_matches_gensim():
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(60)]
    vectors = rng.normal(size=(60, 5)).astype(np.float32) * rng.uniform(0.5, 3, size=(60, 1)).astype(np.float32)
    questions = [tuple(words[i] for i in rng.choice(60, 4, replace=False)) for _ in range(200)]
    # Make a few questions answerable and add one with an unknown word.
    questions += [("w0", "w1", "w2", None)]
    kv = keyed_vectors(words, vectors)
    for k, (a, b, c, _) in enumerate(questions[:50]):
        questions[k] = (a, b, c, kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0])
    questions[-1] = ("w0", "w1", "w2", "unknown")
    result = analogy_accuracy(words, vectors, {"s": questions})
    correct, asked = result["s"]
    assert asked == 200
    expected = sum(kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] == d
                   for a, b, c, d in questions[:200])
    assert correct == expected >= 50


def test_analogy_accuracy_on_glove_sample():
    words, vectors = load_glove(top=20_000)
    questions = load_analogies()["family"][:40]
    known = set(words)
    result = analogy_accuracy(words, vectors, {"family": questions})
    correct, asked = result["family"]
    assert asked == sum(all(w in known for w in q) for q in questions) >= 20
    assert correct >= asked / 2  # GloVe gets about 70% of this section
