"""Unit tests for hiddenrep.transfer: the POS-tagged sentences, the split and the array cache."""

from __future__ import annotations

import numpy as np

from hiddenrep.transfer import (cached_array, load_pos_sentences, parse_tagged_line,
                                split_sentences)


def test_parse_splits_on_the_last_slash_and_keeps_the_first_of_two_tags():
    words, tags = parse_tagged_line("1/2/CD cup/NN|JJ of/IN tea/NN ./.")
    assert words == ["1/2", "cup", "of", "tea", "."]
    assert tags == ["CD", "NN", "IN", "NN", "."]


def test_pos_sentences_are_whole_tagged_sentences():
    sentences = load_pos_sentences()
    assert 17_000 < len(sentences) < 17_300  # 20,000 lines minus 2,813 fragments
    assert all(len(words) == len(tags) >= 3 for words, tags in sentences)
    tags = {t for _, ts in sentences for t in ts}
    assert "NN" in tags and "VBZ" in tags and not any("|" in t for t in tags)
    assert len(tags) <= 46


def test_split_is_seeded_and_disjoint():
    items = list(range(100))
    pool, test = split_sentences(items, n_test=10, seed=3)
    assert len(pool) == 90 and len(test) == 10 and sorted(pool + test) == items
    assert split_sentences(items, 10, seed=3) == (pool, test)
    assert split_sentences(items, 10, seed=4) != (pool, test)


def test_cached_array_computes_once(tmp_path, monkeypatch):
    monkeypatch.setenv("HIDDENREP_CACHE", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return np.arange(6).reshape(2, 3)

    first = cached_array("demo", compute)
    second = cached_array("demo", compute)
    assert calls == [1] and np.array_equal(first, second)
    assert (tmp_path / "arrays" / "demo.npy").exists()
