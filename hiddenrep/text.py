"""Text utilities the lessons share. Exercise answers never live here."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def word_tokenize(text: str) -> list[str]:
    """Lower-case ``text`` and return its words, numbers and contractions; punctuation is dropped.

    >>> word_tokenize("Don't panic: it's 42!")
    ["don't", 'panic', "it's", '42']
    """
    # Curly apostrophes are common in news text; normalise so "don’t" and "don't" are one word.
    return _WORD.findall(text.lower().replace("\u2019", "'"))
