"""Small helpers shared by the test suites."""

from __future__ import annotations

import html
import re


def page_text(markup: str) -> str:
    """What a reader sees in an HTML page: styles and scripts dropped, tags removed (syntax
    highlighting splits code into many spans), entities decoded, runs of whitespace collapsed."""
    markup = re.sub(r"<(style|script)\b.*?</\1>", "", markup, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", markup)))
