"""Every plausible-bug mutant loses points on its own part; every fair variant keeps full marks.

Mutants live in ``tests/mutants/<slug>.py``, one file per assignment, as
``MUTANTS[answer_cell][name] = [(old, new), ...]``: text replacements applied to the answer cell
with that ``grade_id`` in ``solutions/<slug>/exercises.ipynb``. ``FAIR_VARIANTS`` in the same file,
in the same form, are *correct* answers written differently from the reference (float32 buffers,
another library call, another order of operations): each must keep full marks on its part, so
that the hidden tests do not demand the reference's exact arithmetic. Every ``old`` must occur in
the cell, so rewording a solution cannot silently disarm its mutants.

Each variant is graded by the trusted harness on its own part only (the sandbox still runs the
whole notebook), which is what decides points in ``nbgrader autograde`` too.
"""

from __future__ import annotations

import runpy
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.course import slugs, source_notebook
from autograder.harness import Zygote, grade_notebook
from conftest import MUTANT_PROPERTY
from helpers import cell_index

MUTANT_DIR = Path(__file__).parent / "mutants"
FILES = {p.stem: runpy.run_path(str(p)) for p in sorted(MUTANT_DIR.glob("*.py"))}
MUTANTS = {slug: data["MUTANTS"] for slug, data in FILES.items()}
FAIR = {slug: data.get("FAIR_VARIANTS", {}) for slug, data in FILES.items()}

MIN_MUTANTS = 3


def answer_cells(slug: str) -> list[str]:
    nb = nbformat.read(source_notebook(slug), as_version=4)
    return [c.metadata.nbgrader["grade_id"] for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution", False)]


@pytest.mark.parametrize("slug", slugs())
def test_every_answer_cell_has_enough_mutants(slug):
    counts = {cell: len(MUTANTS.get(slug, {}).get(cell, {})) for cell in answer_cells(slug)}
    assert counts and all(n >= MIN_MUTANTS for n in counts.values()), (
        f"{slug}: each answer cell needs at least {MIN_MUTANTS} mutants in tests/mutants/{slug}.py; have {counts}")


def mutate(slug: str, cell_id: str, edits: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.read(source_notebook(slug), as_version=4)
    cell = nb.cells[cell_index(nb, cell_id)]
    for old, new in edits:
        assert old in cell.source, f"edit no longer applies to {slug}:{cell_id}: {old!r}"
        cell.source = cell.source.replace(old, new)
    return nb


def grade_variant(job: tuple[str, str, str, list[tuple[str, str]]], zygote: Zygote) -> tuple[str, str, bool, str]:
    """Grade one variant on its own part; return (answer cell, name, passed, message)."""
    slug, cell, name, edits = job
    part = f"test_{cell}"
    result = grade_notebook(mutate(slug, cell, edits), slug, only={part}, zygote=zygote).parts[part]
    return cell, name, result.passed, result.message


def grade_all(slug: str, variants: dict) -> list[tuple[str, str, bool, str]]:
    # Each grading mostly waits on its sandbox: two at a time keep both cores busy. The sandboxes are
    # forked from one warm zygote, as in a class run, so no variant pays a Python start and `import torch`.
    jobs = [(slug, cell, name, edits) for cell, by_name in variants.items() for name, edits in by_name.items()]
    with Zygote() as zygote, ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda job: grade_variant(job, zygote), jobs))


@pytest.mark.parametrize("slug", sorted(MUTANTS))
def test_every_mutant_loses_points(slug, record_property):
    outcomes = grade_all(slug, MUTANTS[slug])
    survivors = [f"{cell}: {name}" for cell, name, passed, _ in outcomes if passed]
    record_property(MUTANT_PROPERTY, (slug, len(outcomes) - len(survivors), len(outcomes)))
    assert not survivors, f"{slug}: mutants that still earn full marks on their own part:\n  " + "\n  ".join(survivors)


@pytest.mark.parametrize("slug", sorted(s for s in FAIR if FAIR[s]))
def test_every_fair_variant_keeps_full_marks(slug):
    outcomes = grade_all(slug, FAIR[slug])
    unfair = [f"{cell}: {name}: {message}" for cell, name, passed, message in outcomes if not passed]
    assert not unfair, f"{slug}: correct answers that lose points:\n  " + "\n  ".join(unfair)
