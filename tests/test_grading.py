"""Grading: full marks for every reference, zero for every stub, and robustness against broken work.

Everything goes through nbgrader (via autograder.grading), as an instructor's autograde would.
"""

from __future__ import annotations

import copy
import csv
import json
import re
import subprocess
import sys

import nbformat
import pytest

from autograder import reference
from autograder.course import REPO, slugs, source_notebook, student_notebook
from autograder.grading import grade_class, score
from autograder.reference import reference_cells
from helpers import cell_index, edit_cell, page_text

EXAMPLE = "02-text-as-tensors"  # the worked example chapter, used for the robustness cases


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600)


def write(nb, tmp_path, slug: str = EXAMPLE):
    path = tmp_path / slug / "exercises.ipynb"
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("slug", slugs())
def test_reference_solution_earns_full_marks(slug):
    proc = run_cli("score", str(source_notebook(slug)), "--assignment", slug, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert set(result) == {"assignment", "score", "max_score", "manual_max_score", "cells"}
    assert result["assignment"] == slug
    assert result["max_score"] > result["manual_max_score"] >= 0
    auto = {gid: c for gid, c in result["cells"].items() if not c["manual"]}
    failing = {gid: c for gid, c in auto.items() if c["score"] != c["max_score"]}
    assert not failing, f"the reference solution of {slug} loses points: {failing}"
    assert result["score"] == result["max_score"] - result["manual_max_score"]
    # Written answers wait for the instructor: no score, and no error, from the autograder.
    assert all(c["score"] == 0 and c["error"] is None for c in result["cells"].values() if c["manual"])


@pytest.mark.parametrize("slug", slugs())
def test_untouched_student_version_scores_zero(slug):
    result = score(student_notebook(slug), slug)
    assert result["max_score"] > 0
    assert result["score"] == 0
    for gid, cell in result["cells"].items():
        if not cell["manual"]:
            assert cell["error"] and "NotImplementedError" in cell["error"], (gid, cell)


def test_cli_table_defaults_assignment_to_folder_name():
    proc = run_cli("score", str(student_notebook(EXAMPLE)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1].split()[-3:] == ["0", "/", "18"]


def test_unreadable_notebook_scores_zero_with_a_clear_message(tmp_path):
    path = tmp_path / EXAMPLE / "exercises.ipynb"
    path.parent.mkdir()
    path.write_text('{"cells": [ this is not json')
    proc = run_cli("score", str(path), "--json")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "not a valid Jupyter notebook" in proc.stderr
    result = json.loads(proc.stdout)
    assert result["score"] == 0 and result["max_score"] == 18


def test_json_that_is_not_a_notebook_scores_zero(tmp_path):
    path = tmp_path / "exercises.ipynb"
    path.write_text('{"hello": "world"}')
    result = score(path, EXAMPLE)
    assert result["score"] == 0
    assert all("not a valid Jupyter notebook" in c["error"] for c in result["cells"].values())


def test_unknown_assignment_is_a_usage_error(tmp_path):
    proc = run_cli("score", str(source_notebook(EXAMPLE)), "--assignment", "99-nothing")
    assert proc.returncode == 2
    assert "99-nothing" in proc.stderr and "Traceback" not in proc.stderr


def test_copied_cells_and_damaged_metadata_are_still_graded(tmp_path):
    nb = nbformat.read(source_notebook(EXAMPLE), as_version=4)
    # A student duplicates an answer cell and a test cell to experiment ...
    for gid in ["char_ngrams", "test_build_vocab"]:
        i = cell_index(nb, gid)
        nb.cells.insert(i + 1, copy.deepcopy(nb.cells[i]))
        nb.cells[i + 1]["id"] = f"copy-of-{gid}"
    # ... and an old tool strips schema versions and points.
    for cell in nb.cells:
        cell.metadata.get("nbgrader", {}).pop("schema_version", None)
        cell.metadata.get("nbgrader", {}).pop("points", None)
    result = score(write(nb, tmp_path), EXAMPLE)
    assert result["score"] == result["max_score"] - result["manual_max_score"] == 16


def test_a_dead_kernel_costs_only_the_cell_that_killed_it(tmp_path):
    nb = nbformat.read(source_notebook(EXAMPLE), as_version=4)
    edit_cell(nb, "char_ngrams", "    marked =", "    import os; os._exit(3)\n    marked =")
    result = score(write(nb, tmp_path), EXAMPLE)
    assert result["cells"]["test_char_ngrams"]["score"] == 0
    assert "the Python process died while running char_ngrams" in result["cells"]["test_char_ngrams"]["error"]
    # Later parts are graded from the notebook's own state, untouched by the crash.
    assert result["cells"]["test_bag_of_words"]["score"] == 2
    assert result["score"] == 14


def test_a_deleted_test_cell_scores_zero_and_says_so(tmp_path):
    nb = nbformat.read(source_notebook(EXAMPLE), as_version=4)
    del nb.cells[cell_index(nb, "test_encode_decode")]
    result = score(write(nb, tmp_path), EXAMPLE)
    assert result["cells"]["test_encode_decode"] == {
        "score": 0.0, "max_score": 2.0, "error": "this cell is missing from the submitted notebook",
        "manual": False}
    assert result["score"] == 14


def test_grading_a_class_isolates_students_and_hides_hidden_tests(tmp_path):
    """The instructor workflow: a good, a buggy and a broken submission, graded together."""
    source = nbformat.read(source_notebook(EXAMPLE), as_version=4)
    buggy = copy.deepcopy(source)
    edit_cell(buggy, "pad_batch", "mask[row, : len(seq)] = True", "mask[row, len(seq) :] = True")
    submissions = {"ada": nbformat.writes(source), "bob": nbformat.writes(buggy), "cy": "{ broken"}
    for student, text in submissions.items():
        path = tmp_path / "submitted" / student / EXAMPLE / "exercises.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(text)

    results = grade_class(EXAMPLE, tmp_path)

    assert {s: r["score"] for s, r in results.items()} == {"ada": 16, "bob": 13, "cy": 0}
    with open(tmp_path / "grades" / f"{EXAMPLE}.csv") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert rows["bob"]["test_pad_batch"] == "0" and rows["bob"]["score"] == "13"
    assert "not a valid Jupyter notebook" in rows["cy"]["errors"]

    feedback = page_text((tmp_path / "feedback" / "bob" / EXAMPLE / "exercises.html").read_text())
    assert re.search(r"pad_batch\(\[.*\) mask: \d+ of \d+ entries differ", feedback)  # explained
    hidden = (source_notebook(EXAMPLE).parent / "tests.py").read_text()
    for line in ["pad_sequence([torch.tensor(s, dtype=torch.long) for s in seqs]",
                 "expected = reference.pad_batch"]:
        assert line in hidden
        assert line not in feedback, f"feedback shows hidden-test code: {line!r}"
    assert "Traceback" not in feedback and "testing.py" not in feedback


def test_reference_loads_solutions_without_running_tests():
    char_ngrams = reference(EXAMPLE, "char_ngrams")
    assert char_ngrams("ab", 2) == ["<a", "ab", "b>"]
    nb = nbformat.read(source_notebook(EXAMPLE), as_version=4)
    sources = reference_cells(nb)
    assert not any("visible_tests(" in s for s in sources)  # no test cell
    assert any("BEGIN SOLUTION" in s for s in sources)
    with pytest.raises(KeyError, match="no_such_function"):
        reference(EXAMPLE, "no_such_function")
