"""Student notebooks are generated from solutions/, never edited by hand, and carry no solutions."""

from __future__ import annotations

import json

import nbformat
import pytest
import yaml

from autograder.course import REPO, STUB, slugs, source_notebook, student_notebook
from autograder.grading import release
from autograder.harness import hidden_tests, is_test_cell


def comparable(path) -> dict:
    return json.loads(path.read_text())


@pytest.mark.parametrize("slug", slugs())
def test_committed_student_notebook_equals_a_fresh_release(slug, tmp_path):
    fresh = release(slug, tmp_path)
    committed = student_notebook(slug)
    assert committed.exists(), f"{committed} is missing: run `make release`"
    assert comparable(committed) == comparable(fresh), (
        f"{committed.relative_to(REPO)} differs from a fresh release of solutions/{slug}: "
        f"it was edited by hand or not regenerated; run `make release`")


@pytest.mark.parametrize("slug", slugs())
def test_student_notebook_has_stubs_and_no_solutions_or_hidden_tests(slug):
    nb = nbformat.read(student_notebook(slug), as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    for marker in ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "reference("]:
        assert marker not in text
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    stub_lines = [line.strip() for line in STUB.splitlines()]
    for cell in answers:
        if cell.cell_type == "code":
            assert all(line in cell.source for line in stub_lines), cell.source


@pytest.mark.parametrize("slug", slugs())
def test_hidden_tests_live_in_tests_py_one_per_graded_cell(slug):
    """Every autograded cell has its hidden test function, and nothing in the notebook loads the reference."""
    source = nbformat.read(source_notebook(slug), as_version=4)
    graded = {c.metadata.nbgrader["grade_id"] for c in source.cells if is_test_cell(c)}
    functions = {name for name in dir(hidden_tests(slug)) if name.startswith("test_")}
    assert graded == functions, f"{slug}: graded cells without tests {graded - functions}, tests without cells {functions - graded}"
    text = "\n".join(c.source for c in source.cells)
    for marker in ["BEGIN HIDDEN TESTS", "autograder"]:
        assert marker not in text, f"solutions/{slug}/exercises.ipynb still contains {marker!r}"


def test_book_lists_every_chapter_that_exists_and_nothing_else():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [ch["file"] for part in toc["parts"] for ch in part["chapters"]]
    files += [s["file"] for part in toc["parts"] for ch in part["chapters"] for s in ch.get("sections", [])]
    for f in files:
        assert any((REPO / f"{f}{ext}").exists() for ext in (".md", ".ipynb")), f"_toc.yml lists missing {f}"
    chapters = sorted(p.name for p in (REPO / "chapters").iterdir() if p.is_dir())
    for chapter in chapters:
        pages = sorted(p.stem for p in (REPO / "chapters" / chapter).glob("*.ipynb"))
        for page in pages:
            assert f"chapters/{chapter}/{page}" in files, f"chapters/{chapter}/{page} is not in _toc.yml"
    assert sorted(slugs()) == sorted(c for c in chapters if (REPO / "solutions" / c).exists())
