"""Sequences for the recurrent-network lessons: surnames by language, Hamlet as characters, batching.

The data have fixed splits so that every lesson and every reader measure on the same held-out
examples. Exercise answers never live here.
"""

from __future__ import annotations

import importlib
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import torch

from hiddenrep.data import fetch

# Each language's surnames come from one or more faker locales (faker is pinned, so the lists are fixed).
# Eight Latin-script languages and one in Cyrillic, to show how much the alphabet alone gives away.
SURNAME_LOCALES: dict[str, tuple[str, ...]] = {
    "Czech": ("cs_CZ",),
    "Dutch": ("nl_NL",),
    "English": ("en_US",),
    "Finnish": ("fi_FI",),
    "French": ("fr_FR",),
    "German": ("de_DE", "de_AT"),
    "Italian": ("it_IT",),
    "Russian": ("ru_RU",),
    "Spanish": ("es_ES",),
}
SURNAME_TEST_FRACTION = 0.2
HAMLET_TEST_FRACTION = 0.1
SPLITS = ("train", "test")
PAD = "<pad>"
UNK = "<unk>"


def surname_languages() -> list[str]:
    """The class names of the surname task, in label order (label ``i`` is ``surname_languages()[i]``)."""
    return sorted(SURNAME_LOCALES)


def raw_surnames(language: str) -> set[str]:
    """Every surname faker lists for ``language``, over all of its locales."""
    names: set[str] = set()
    for locale in SURNAME_LOCALES[language]:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        # Some locales store a tuple of names, others a dict from name to sampling weight: keys are names.
        names.update(provider.last_names)
    return names


@dataclass(frozen=True)
class Surnames:
    """Surnames and their integer language labels, in a fixed shuffled order."""

    names: list[str]
    labels: list[int]
    languages: list[str] = field(default_factory=surname_languages)

    def __len__(self) -> int:
        return len(self.names)


def load_surnames(split: str) -> Surnames:
    """The ``"train"`` or ``"test"`` split of the surname -> language task.

    A surname listed for two languages (Adam is German and French) has no single right answer, so
    it is left out altogether. Of each language's remaining names, sorted and shuffled with a fixed
    seed, the last 20 % form the test split: the split is stratified, fixed, and the two splits never
    share a name.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    languages = surname_languages()
    per_language = {lang: raw_surnames(lang) for lang in languages}
    owners = Counter(name for names in per_language.values() for name in names)
    rows: list[tuple[str, int]] = []
    for label, lang in enumerate(languages):
        names = sorted(n for n in per_language[lang] if owners[n] == 1)
        random.Random(f"surnames-{lang}").shuffle(names)
        n_test = round(SURNAME_TEST_FRACTION * len(names))
        chosen = names[len(names) - n_test:] if split == "test" else names[:len(names) - n_test]
        rows += [(name, label) for name in chosen]
    # Interleave the languages so that a prefix of the list is a fair sample of all of them.
    random.Random(f"surnames-{split}").shuffle(rows)
    return Surnames([n for n, _ in rows], [y for _, y in rows], languages)


def load_hamlet(split: str) -> str:
    """Shakespeare's Hamlet as one string: the first 90 % of its lines (``"train"``) or the rest (``"test"``).

    The cut falls at a line break, and the test text is the end of the play, so a language model
    is scored on lines it has never seen, not on random windows mixed into its training text.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    text = fetch("hamlet").read_text(encoding="utf-8")
    cut = text.index("\n", int((1 - HAMLET_TEST_FRACTION) * len(text))) + 1
    return text[:cut] if split == "train" else text[cut:]


class CharVocab:
    """A character vocabulary: optional padding symbol at id 0, optional unknown symbol next, then the
    characters in sorted order.

    With ``unknown=True``, a character that the building texts never showed is encoded as the
    unknown symbol instead of raising: build the vocabulary from training text only and test text
    can still be encoded, as it must be when the test data stay unseen until the end.
    """

    def __init__(self, texts: Iterable[str], pad: bool = True, unknown: bool = False):
        chars = sorted(set("".join(texts)))
        self.symbols: list[str] = ([PAD] if pad else []) + ([UNK] if unknown else []) + chars
        self.index: dict[str, int] = {s: i for i, s in enumerate(self.symbols)}
        self.pad_id: int | None = 0 if pad else None
        self.unk_id: int | None = self.index[UNK] if unknown else None

    def __len__(self) -> int:
        return len(self.symbols)

    def __repr__(self) -> str:
        unknown = "" if self.unk_id is None else f", unk_id={self.unk_id}"
        return f"CharVocab({len(self)} symbols, pad_id={self.pad_id}{unknown})"

    def encode(self, text: str) -> list[int]:
        """The ids of the characters of ``text``.

        A character outside the vocabulary becomes the unknown symbol if there is one, and is an
        error otherwise.
        """
        if self.unk_id is not None:
            return [self.index.get(c, self.unk_id) for c in text]
        try:
            return [self.index[c] for c in text]
        except KeyError as exc:
            raise KeyError(f"character {exc.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Iterable[int]) -> str:
        """The text spelled by ``ids``, padding left out (the unknown symbol is spelled ``<unk>``)."""
        return "".join(self.symbols[i] for i in ids if i != self.pad_id)


def encode_batch(texts: Sequence[str], vocab: CharVocab) -> tuple[torch.Tensor, torch.Tensor]:
    """Encode ``texts`` into a right-padded ``(batch, longest)`` id tensor and their lengths."""
    if vocab.pad_id is None:
        raise ValueError("encode_batch needs a vocabulary with a padding symbol")
    ids = [torch.tensor(vocab.encode(t), dtype=torch.long) for t in texts]
    padded = torch.nn.utils.rnn.pad_sequence(ids, batch_first=True, padding_value=vocab.pad_id)
    return padded, torch.tensor([len(t) for t in texts], dtype=torch.long)


def random_windows(ids: torch.Tensor, length: int, batch_size: int,
                   generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` random windows of a 1-d id tensor: inputs ``(batch, length)`` and the targets one step later."""
    starts = torch.randint(0, len(ids) - length, (batch_size,), generator=generator)
    windows = ids[starts[:, None] + torch.arange(length + 1)]
    return windows[:, :-1], windows[:, 1:]


def plot_confusion(y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str], ax=None,
                   title: str | None = None):
    """A confusion matrix whose rows (true classes) sum to 1, with the share printed in each cell."""
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    cm = confusion_matrix(y_true, y_pred, labels=range(len(labels)), normalize="true")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.55 * len(labels) + 1.5, 0.55 * len(labels) + 1))
    ax.imshow(cm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if cm[i, j] >= 0.005:
                ax.text(j, i, f"{cm[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if cm[i, j] > 0.5 else "black")
    if title:
        ax.set_title(title)
    return ax
