"""Unit tests for hiddenrep.sequences: the fixed surname and Hamlet splits, the character vocabulary,
the batching helpers and the confusion-matrix plot."""

from __future__ import annotations

import functools
from collections import Counter

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from hiddenrep.sequences import (PAD, UNK, CharVocab, Surnames, encode_batch, load_hamlet,  # noqa: E402
                                 load_surnames, plot_confusion, random_windows, raw_surnames,
                                 surname_languages)


@functools.lru_cache(maxsize=None)
def surnames(split: str) -> Surnames:
    return load_surnames(split)


def test_languages_are_sorted_and_labels_index_them():
    languages = surname_languages()
    assert languages == sorted(languages) and len(languages) == 9
    for split in ("train", "test"):
        data = surnames(split)
        assert data.languages == languages
        assert len(data.names) == len(data.labels) == len(data)
        assert set(data.labels) == set(range(len(languages)))


def test_dict_and_tuple_locales_are_both_read():
    # en_US stores a dict of weights, it_IT a tuple; both must yield plain name strings.
    english, italian = raw_surnames("English"), raw_surnames("Italian")
    assert "Smith" in english and "Rossi" in italian
    assert all(isinstance(n, str) for n in english | italian)


def test_splits_are_disjoint_complete_and_unambiguous():
    train_set, test_set = surnames("train"), surnames("test")
    assert not set(train_set.names) & set(test_set.names)
    everything = train_set.names + test_set.names
    assert len(everything) == len(set(everything))  # no name twice, not even with two labels
    owners = Counter(n for lang in surname_languages() for n in raw_surnames(lang))
    expected = {n for n, c in owners.items() if c == 1}
    assert set(everything) == expected
    assert "Adam" not in expected  # listed as German and as French


def test_split_is_stratified_and_fixed():
    train_counts, test_counts = Counter(surnames("train").labels), Counter(surnames("test").labels)
    for label, n_test in test_counts.items():
        assert abs(n_test / (n_test + train_counts[label]) - 0.2) < 0.01
    again = load_surnames("test")
    assert again.names == surnames("test").names and again.labels == surnames("test").labels


def test_surname_labels_are_right():
    data = surnames("train")
    languages = data.languages
    for name, label in zip(data.names, data.labels):
        assert name in raw_surnames(languages[label])


def test_bad_split_is_refused():
    with pytest.raises(ValueError, match="split"):
        load_surnames("valid")
    with pytest.raises(ValueError, match="split"):
        load_hamlet("dev")


def test_hamlet_split_at_a_line_break():
    train_text, test_text = load_hamlet("train"), load_hamlet("test")
    assert train_text.endswith("\n")
    assert 0.88 < len(train_text) / (len(train_text) + len(test_text)) < 0.92
    assert "HAMLET" in train_text and "HAMLET" in test_text
    assert set(test_text) <= set(train_text)


def test_char_vocab_round_trip_and_padding():
    vocab = CharVocab(["abc", "cab!"])
    assert vocab.symbols == [PAD, "!", "a", "b", "c"] and vocab.pad_id == 0 and len(vocab) == 5
    assert vocab.encode("cab") == [4, 2, 3]
    assert vocab.decode([4, 2, 3, 0, 0]) == "cab"
    with pytest.raises(KeyError, match="'z'"):
        vocab.encode("z")
    plain = CharVocab(["ba"], pad=False)
    assert plain.symbols == ["a", "b"] and plain.pad_id is None
    assert plain.decode(plain.encode("abba")) == "abba"


def test_encode_batch_pads_right_and_reports_lengths():
    vocab = CharVocab(["abc"])
    ids, lengths = encode_batch(["abc", "b"], vocab)
    assert ids.tolist() == [[1, 2, 3], [2, 0, 0]] and ids.dtype == torch.long
    assert lengths.tolist() == [3, 1]
    with pytest.raises(ValueError, match="padding"):
        encode_batch(["a"], CharVocab(["a"], pad=False))


def test_random_windows_targets_are_shifted_inputs():
    ids = torch.arange(100)
    x, y = random_windows(ids, 7, 5, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (5, 7)
    assert torch.equal(y, x + 1)  # on arange, the next element is the value plus one
    assert int(y.max()) <= 99


def test_plot_confusion_rows_sum_to_one():
    ax = plot_confusion([0, 0, 1, 2], [0, 1, 1, 2], ["a", "b", "c"], title="t")
    image = ax.images[0].get_array()
    assert image.shape == (3, 3)
    assert [round(float(s), 6) for s in image.sum(1)] == [1.0, 1.0, 1.0]
    assert ax.get_title() == "t"


def test_unknown_characters_map_to_the_unknown_symbol():
    vocab = CharVocab(["abc"], unknown=True)
    assert vocab.symbols == [PAD, UNK, "a", "b", "c"]
    assert (vocab.pad_id, vocab.unk_id) == (0, 1)
    assert vocab.encode("cañ") == [4, 2, 1]  # an unseen character does not raise
    assert vocab.decode(vocab.encode("ab")) == "ab"
    ids, lengths = encode_batch(["ñ", "ab"], vocab)
    assert ids.tolist() == [[1, 0], [2, 3]] and lengths.tolist() == [1, 2]
    with pytest.raises(KeyError, match="not in the vocabulary"):
        CharVocab(["abc"]).encode("ñ")  # without an unknown symbol, still an error
