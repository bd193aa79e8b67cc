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


def test_stacked_linear_is_independent_linear_layers():
    from hiddenrep.multitask import StackedLinear, stacked_accuracy, stacked_cross_entropy

    torch.manual_seed(0)
    layer = StackedLinear(3, 4, 2)
    assert layer.weight.abs().max() <= 0.5 and layer.bias.shape == (3, 1, 2)
    x = torch.randn(3, 5, 4)
    out = layer(x)
    for r in range(3):
        assert torch.allclose(out[r], x[r] @ layer.weight[r] + layer.bias[r], atol=1e-6)
    labels = torch.randint(0, 2, (3, 5))
    loss = stacked_cross_entropy(out, labels)
    want = sum(torch.nn.functional.cross_entropy(out[r], labels[r]) for r in range(3))
    assert torch.allclose(loss, want, atol=1e-6)
    # Copy 1's loss alone moves copy 1's weights only, by the gradient it would get on its own.
    torch.nn.functional.cross_entropy(out[1], labels[1]).backward()
    assert layer.weight.grad[0].abs().sum() == 0 and layer.weight.grad[2].abs().sum() == 0
    acc = stacked_accuracy(out, labels)
    assert acc.shape == (3,) and torch.allclose(
        acc[0], 100 * (out[0].argmax(-1) == labels[0]).double().mean())
