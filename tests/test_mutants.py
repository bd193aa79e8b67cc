"""Every plausible-bug mutant of a reference solution must lose points on the test of its own answer.

Mutants live in ``tests/mutants/<slug>.py``, one file per assignment, as
``MUTANTS[answer_cell][name] = [(old, new), ...]``: text replacements applied to the answer cell
with that ``grade_id`` in ``solutions/<slug>/exercises.ipynb``. Each mutant is graded through
``autograder.grading.score`` (nbgrader itself) and must lose points on ``test_<answer_cell>``. Every
``old`` must occur in the cell, so rewording a solution cannot silently disarm its mutants.
"""

from __future__ import annotations

import multiprocessing
import runpy
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.course import slugs, source_notebook
from autograder.grading import score
from conftest import MUTANT_PROPERTY
from helpers import cell_index

MUTANT_DIR = Path(__file__).parent / "mutants"
MUTANTS = {p.stem: runpy.run_path(str(p))["MUTANTS"] for p in sorted(MUTANT_DIR.glob("*.py"))}

MIN_MUTANTS = 3


def answer_cells(slug: str) -> list[str]:
    nb = nbformat.read(source_notebook(slug), as_version=4)
    return [c.metadata.nbgrader["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution", False)]


@pytest.mark.parametrize("slug", slugs())
def test_every_answer_cell_has_enough_mutants(slug):
    counts = {cell: len(MUTANTS.get(slug, {}).get(cell, {})) for cell in answer_cells(slug)}
    assert counts and all(n >= MIN_MUTANTS for n in counts.values()), (
        f"{slug}: each answer cell needs at least {MIN_MUTANTS} mutants in tests/mutants/{slug}.py; have {counts}")


def mutate(slug: str, cell_id: str, edits: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.read(source_notebook(slug), as_version=4)
    cell = nb.cells[cell_index(nb, cell_id)]
    for old, new in edits:
        assert old in cell.source, f"mutant edit no longer applies to {slug}:{cell_id}: {old!r}"
        cell.source = cell.source.replace(old, new)
    return nb


def grade_mutant(job: tuple[str, str, str, list[tuple[str, str]], str]) -> tuple[str, str, float, float]:
    """Score one mutant; return (answer cell, mutant name, points on its own test, max points there)."""
    slug, cell, name, edits, folder = job
    path = Path(folder) / slug / "exercises.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(mutate(slug, cell, edits), path)
    own = score(path, slug)["cells"][f"test_{cell}"]
    return cell, name, own["score"], own["max_score"]


@pytest.mark.parametrize("slug", sorted(MUTANTS))
def test_every_mutant_loses_points(slug, tmp_path, record_property):
    # Mutants are independent and each grading run mostly waits on a kernel: grade two at a time,
    # so this test does not leave the other test worker's core idle at the end of the run.
    mutants = [(cell, name, edits) for cell, by_name in MUTANTS[slug].items() for name, edits in by_name.items()]
    jobs = [(slug, cell, name, edits, str(tmp_path / f"m{i}")) for i, (cell, name, edits) in enumerate(mutants)]
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        outcomes = list(pool.map(grade_mutant, jobs))
    survivors = [f"{cell}: {name} ({got:g}/{full:g})" for cell, name, got, full in outcomes if got >= full]
    record_property(MUTANT_PROPERTY, (slug, len(outcomes) - len(survivors), len(outcomes)))
    assert not survivors, f"{slug}: mutants that still earn full marks on their own test:\n  " + "\n  ".join(survivors)
