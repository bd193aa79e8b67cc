"""Every plausible-bug mutant of a reference solution must lose points on the test of its own answer.

Mutants live in ``tests/mutants/<slug>.py``, one file per assignment, as
``MUTANTS[answer_cell][name] = [(old, new), ...]``: text replacements applied to the answer cell
with that ``grade_id`` in ``solutions/<slug>/exercises.ipynb``. Each mutant is graded through
``autograder.grading.score`` (nbgrader itself) and must lose points on ``test_<answer_cell>``. Every
``old`` must occur in the cell, so rewording a solution cannot silently disarm its mutants.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import nbformat
import pytest

from autograder.course import slugs, source_notebook
from autograder.grading import score
from conftest import MUTANT_PROPERTY

MUTANT_DIR = Path(__file__).parent / "mutants"
MUTANTS = {p.stem: runpy.run_path(str(p))["MUTANTS"] for p in sorted(MUTANT_DIR.glob("*.py"))}

MIN_MUTANTS = 3

CASES = [
    pytest.param(slug, cell, name, edits, id=f"{slug}:{cell}:{name}")
    for slug, cells in MUTANTS.items()
    for cell, mutants in cells.items()
    for name, edits in mutants.items()
]


def answer_cells(slug: str) -> list[str]:
    nb = nbformat.read(source_notebook(slug), as_version=4)
    return [c.metadata.nbgrader["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution", False)]


@pytest.mark.parametrize("slug", slugs())
def test_every_answer_cell_has_enough_mutants(slug):
    counts = {cell: len(MUTANTS.get(slug, {}).get(cell, {})) for cell in answer_cells(slug)}
    assert counts and all(n >= MIN_MUTANTS for n in counts.values()), (
        f"{slug}: each answer cell needs at least {MIN_MUTANTS} mutants in tests/mutants.py; have {counts}")


def mutate(slug: str, cell_id: str, edits: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.read(source_notebook(slug), as_version=4)
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell_id]
    for old, new in edits:
        assert old in cell.source, f"mutant edit no longer applies to {slug}:{cell_id}: {old!r}"
        cell.source = cell.source.replace(old, new)
    return nb


@pytest.mark.parametrize("slug, cell, name, edits", CASES)
def test_mutant_loses_points(slug, cell, name, edits, tmp_path, record_property):
    record_property(MUTANT_PROPERTY, slug)
    path = tmp_path / slug / "exercises.ipynb"
    path.parent.mkdir()
    nbformat.write(mutate(slug, cell, edits), path)
    result = score(path, slug)
    own = result["cells"][f"test_{cell}"]
    assert own["score"] < own["max_score"], f"mutant {name!r} of {cell} still earns full marks on test_{cell}"
    assert result["score"] < result["max_score"]
