"""Small helpers shared by the test suites."""

from __future__ import annotations

import html
import re


def page_text(markup: str) -> str:
    """What a reader sees in an HTML page: styles and scripts dropped, tags removed (syntax
    highlighting splits code into many spans), entities decoded, runs of whitespace collapsed."""
    markup = re.sub(r"<(style|script)\b.*?</\1>", "", markup, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", markup)))


def edit_cell(nb, grade_id: str, old: str, new: str):
    """Replace ``old`` by ``new`` in the cell ``grade_id`` of ``nb`` (in place; returns ``nb``).
    Fails when ``old`` is not there, so a reworded solution cannot silently disarm a planted bug."""
    cell = nb.cells[cell_index(nb, grade_id)]
    assert old in cell.source, f"{grade_id} no longer contains {old!r}"
    cell.source = cell.source.replace(old, new)
    return nb


def cell_index(nb, grade_id: str) -> int:
    """Position of the one cell of notebook ``nb`` whose nbgrader ``grade_id`` is ``grade_id``."""
    [index] = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return index
