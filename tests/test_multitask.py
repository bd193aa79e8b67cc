"""The chapter 05 data helpers: labels the right way round, no sentence in two data sets, stable encodings."""

import torch

from hiddenrep.multitask import (WordVocab, average_vectors, encode_sentences, labels_of,
                                 load_polarity, load_reviews, load_uncertainty, split)


def test_polarity_is_balanced_and_binary():
    data = load_polarity()
    labels = labels_of(data)
    assert len(data) == 4000 and set(labels.tolist()) == {0, 1} and int(labels.sum()) == 2000


def test_reviews_exclude_the_polarity_sentences():
    polarity = load_polarity()
    reviews = load_reviews(exclude=[w for w, _ in polarity])
    keys = {" ".join(w) for w, _ in polarity}
    assert len(reviews) > 8000
    assert not any(" ".join(w) in keys for w, _ in reviews)
    assert len({" ".join(w) for w, _ in reviews}) == len(reviews)  # de-duplicated


def test_uncertainty_label_one_marks_hedging():
    data = load_uncertainty()
    hedged = [sum("many" in w for w, y in data if y == k) for k in (0, 1)]
    assert len(data) == 3000 and hedged[1] > 2 * hedged[0]


def test_split_is_seeded_and_disjoint():
    items = list(range(50))
    pool, test = split(items, 10, seed=3)
    assert (pool, test) == split(items, 10, seed=3)
    assert len(test) == 10 and sorted(pool + test) == items


def test_vocab_and_encoding():
    vocab = WordVocab.build([["b", "a", "b"], ["a", "c"]], min_count=2)
    assert vocab.words == ["<pad>", "<unk>", "a", "b"]  # ties broken alphabetically
    ids = encode_sentences([["a", "c", "b"], []], vocab, max_len=4)
    assert ids.tolist() == [[2, 1, 3, 0], [1, 0, 0, 0]]


def test_average_vectors_skips_unknown_words():
    vectors = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    out = average_vectors([["x", "y", "zz"], ["zz"]], ["x", "y"], vectors)
    assert torch.allclose(out, torch.tensor([[0.5, 1.0], [0.0, 0.0]]))
