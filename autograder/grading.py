"""Release and scoring, done by nbgrader's own machinery in a course folder of our choosing."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat

from autograder.course import LIMITS, NOTEBOOK, SOLUTIONS, Limits, course_config, source_notebook

STUDENT = "student"
ERROR_CHARS = 500


def _api(root: Path, source: Path = SOLUTIONS, limits: Limits = LIMITS, unsafe: bool = False):
    # Imported here: nbgrader.apps costs ~2.5 s and `reference` users never need it.
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    # nbgrader runs the `alembic` script by name; a venv's python run without activation lacks it on PATH.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    config = course_config(root, source, limits, unsafe)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def _run(action: str, result: dict[str, Any]) -> None:
    if not result["success"]:
        raise RuntimeError(f"nbgrader {action} failed: {_reason(result)}")


def generate(slug: str, root: Path, source: Path = SOLUTIONS) -> Path:
    """Run nbgrader's generate_assignment for ``slug`` in course folder ``root``; return the student notebook."""
    source_notebook(slug)  # a clear error for an unknown slug
    with _quiet():
        _run("generate_assignment", _api(root, source).generate_assignment(slug, force=True, create=True))
    return root / "release" / slug / f"{NOTEBOOK}.ipynb"


def release(slug: str, dest: Path, root: Path | None = None) -> Path:
    """Generate the student version of ``slug`` and copy it to ``dest/<slug>/exercises.ipynb``."""
    with contextlib.ExitStack() as stack:
        course = Path(root) if root else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        generated = generate(slug, course)
        target = Path(dest) / slug / f"{NOTEBOOK}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(generated, target)
    return target


def points(slug: str) -> dict[str, float]:
    """Maximum points per graded cell, read from the reference notebook's nbgrader metadata."""
    nb = nbformat.read(source_notebook(slug), as_version=4)
    return {
        cell.metadata.nbgrader["grade_id"]: float(cell.metadata.nbgrader.get("points", 0))
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("grade", False)
    }


def manual_parts(slug: str) -> set[str]:
    """The graded cells an instructor grades by hand (written answers): nbgrader's "manually graded answer"."""
    nb = nbformat.read(source_notebook(slug), as_version=4)
    return {cell.metadata.nbgrader["grade_id"] for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("grade") and cell.metadata.nbgrader.get("solution")}


def _result(slug: str, cells: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Totals over every graded cell; ``manual_max_score`` is the part of ``max_score`` graded by hand."""
    return {
        "assignment": slug,
        "score": sum(c["score"] for c in cells.values()),
        "max_score": sum(c["max_score"] for c in cells.values()),
        "manual_max_score": sum(c["max_score"] for c in cells.values() if c["manual"]),
        "cells": cells,
    }


def failed(slug: str, message: str) -> dict[str, Any]:
    """A result of zero for every cell, each carrying ``message``."""
    manual = manual_parts(slug)
    return _result(slug, {gid: {"score": 0.0, "max_score": m, "error": message, "manual": gid in manual}
                          for gid, m in points(slug).items()})


def read_submission(path: Path, slug: str) -> nbformat.NotebookNode:
    """Read a submitted notebook, or raise ValueError saying in one line why it cannot be graded."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except FileNotFoundError:
        raise ValueError(f"no such file: {path}") from None
    except Exception as exc:  # nbformat raises many types for broken JSON and schema violations
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{path.name} is not a valid Jupyter notebook ({first[:200]})") from None
    return repair(nb, slug)


def repair(nb: nbformat.NotebookNode, slug: str) -> nbformat.NotebookNode:
    """Undo the metadata damage students commonly do, which would otherwise stop nbgrader outright.

    - A copied cell duplicates a grade_id. nbgrader keeps the last copy but leaves an empty
      ``nbgrader`` dict on the others, which its schema check then rejects; drop those dicts instead.
    - Edited or pasted metadata (no ``schema_version``, no ``points``, an unknown grade_id): the
      cell's metadata is restored from the source notebook, or removed if the source has no such cell.
    """
    source = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader
              for c in nbformat.read(source_notebook(slug), as_version=4).cells
              if "nbgrader" in c.metadata}
    seen: set[str] = set()
    for cell in reversed(nb.cells):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        grade_id = meta.get("grade_id")
        if grade_id in seen or grade_id not in source:
            del cell.metadata["nbgrader"]
            continue
        seen.add(grade_id)
        cell.metadata["nbgrader"] = dict(source[grade_id])
    return nb


def score(path: Path, slug: str, limits: Limits = LIMITS, unsafe: bool = False) -> dict[str, Any]:
    """Grade one notebook as ``nbgrader autograde`` would and return its scores per graded cell.

    Raises :class:`autograder.harness.SandboxUnavailable` when student code cannot be isolated
    here and ``unsafe`` is not set.
    """
    path = Path(path)
    check_sandbox(unsafe)
    try:
        nb = read_submission(path, slug)
    except ValueError as exc:
        return failed(slug, str(exc))
    with tempfile.TemporaryDirectory(prefix="hiddenrep-score-") as tmp:
        root = Path(tmp)
        shutil.copyfile(_gradebook(slug), root / "gradebook.db")
        submitted = root / "submitted" / STUDENT / slug / f"{NOTEBOOK}.ipynb"
        submitted.parent.mkdir(parents=True)
        nbformat.write(nb, submitted)
        return _grade_student(_api(root, limits=limits, unsafe=unsafe), root, slug, STUDENT)


def check_sandbox(unsafe: bool = False) -> None:
    """Refuse to grade, with the command that fixes it, when bubblewrap is missing (unless ``unsafe``)."""
    if unsafe:
        return
    from autograder.harness import BWRAP_ENV, INSTALL_HINT, SandboxUnavailable

    bwrap = os.environ.get(BWRAP_ENV) or shutil.which("bwrap")
    if not bwrap or not os.path.exists(bwrap):
        raise SandboxUnavailable(
            f"bubblewrap (bwrap) is not installed, so student code cannot be isolated: {INSTALL_HINT}. "
            f"To grade anyway without any isolation (only for notebooks you trust), pass --unsafe-no-sandbox.")


def _grade_student(api, root: Path, slug: str, student: str, feedback: bool = False) -> dict[str, Any]:
    """nbgrader autograde of one submission (and its feedback), then its scores per graded cell."""
    with _quiet():
        outcome = api.autograde(slug, student, force=True, create=True)
    if not outcome["success"]:
        return failed(slug, f"grading failed: {_reason(outcome)}"[:ERROR_CHARS])
    if feedback:
        with _quiet():
            api.generate_feedback(slug, student, force=True)
    return _result(slug, _cell_scores(root, slug, student))


def _reason(outcome: dict[str, Any]) -> str:
    """The informative line of a failed nbgrader run's log: the exception, else the last error."""
    log = (outcome.get("log") or "").splitlines()
    exceptions = [ln.strip() for ln in log if re.match(r"\s*[\w.]*(Error|Exception|Timeout)\w*: ", ln)]
    errors = [ln.removeprefix("[ERROR]").strip() for ln in log
              if ln.startswith("[ERROR]") and "see the the above traceback" not in ln]
    return (exceptions or errors or ["nbgrader reported an error"])[-1]


def _gradebook(slug: str) -> Path:
    """A gradebook holding assignment ``slug`` as generated from its current source, made once per source.

    Generating costs ~5 s (nbgrader opens the database several times, each running alembic), so the
    result is cached under the temporary folder, keyed by the source notebook's content.
    """
    digest = hashlib.sha256(source_notebook(slug).read_bytes()).hexdigest()[:16]
    cached = Path(tempfile.gettempdir()) / "hiddenrep-gradebooks" / f"{slug}-{digest}.db"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cached.parent) as tmp:
            generate(slug, Path(tmp))
            os.replace(Path(tmp) / "gradebook.db", cached)  # atomic: parallel scorers never see half a file
    return cached


def _cell_scores(root: Path, slug: str, student: str) -> dict[str, dict[str, Any]]:
    from nbgrader.api import Gradebook

    graded = nbformat.read(root / "autograded" / student / slug / f"{NOTEBOOK}.ipynb", as_version=4)
    errors = {gid: "this cell is missing from the submitted notebook" for gid in points(slug)}
    manual = manual_parts(slug)
    for cell in graded.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in errors:
            errors[grade_id] = None
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    # A verdict of the trusted grader is its message alone; other errors keep their type.
                    text = (out.get("evalue") if out.get("ename") == "Failed"
                            else f"{out.get('ename')}: {out.get('evalue')}")
                    errors[grade_id] = str(text)[:ERROR_CHARS]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        grades = {g.name: g for g in gb.find_submission_notebook(NOTEBOOK, slug, student).grades}
        # Report cells in notebook order.
        return {
            gid: {"score": float(grades[gid].score), "max_score": float(grades[gid].max_score),
                  "error": errors.get(gid), "manual": gid in manual}
            for gid in points(slug)
        }


def grade_class(slug: str, root: Path, limits: Limits = LIMITS, unsafe: bool = False, jobs: int | None = None,
                force: bool = True, scheduler: str | None = None, on_done=None) -> dict[str, dict[str, Any]]:
    """Autograde every submission of ``slug`` under ``root/submitted``, write feedback, a CSV and a report.

    Each student is graded on their own: an unreadable notebook, damaged metadata or a crashing
    kernel costs that student points, never the others their grades. A submission whose metadata
    needed repair is kept beside the repaired copy as ``exercises.ipynb.orig``. Submissions are
    graded ``jobs`` at a time (default: every core), or on the Dask cluster at ``scheduler``;
    without ``force`` only new or changed ones are (see :mod:`autograder.classgrade`). Returns
    the results per student; the CSV is ``root/grades/<slug>.csv``, the report
    ``root/grades/<slug>-report.html``.
    """
    from autograder.classgrade import grade_class as run

    outcomes = run(slug, root, limits, unsafe, jobs=jobs, force=force, scheduler=scheduler, on_done=on_done)
    return {student: outcome.result for student, outcome in outcomes.items()}


def cell_scores_from(root: Path, slug: str, student: str) -> dict[str, Any]:
    """The result of one autograded student, read back from the gradebook and the graded notebook."""
    return _result(slug, _cell_scores(root, slug, student))


def _ensure_assignment(slug: str, root: Path) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        try:
            gb.find_assignment(slug)
            return
        except MissingEntry:
            pass
    generate(slug, root)


def write_csv(results: dict[str, dict[str, Any]], slug: str, path: Path) -> None:
    """One row per student: the score of every graded cell, the total, and any errors."""
    cells = list(points(slug))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", *cells, "score", "max_score", "errors"])
        for student, result in sorted(results.items()):
            errors = "; ".join(f"{gid}: {c['error']}" for gid, c in result["cells"].items() if c["error"])
            writer.writerow([student, slug, *(f"{result['cells'][gid]['score']:g}" for gid in cells),
                             f"{result['score']:g}", f"{result['max_score']:g}", errors])


@contextlib.contextmanager
def _quiet():
    """Keep nbgrader's and the kernel's chatter off the terminal; errors are reported by the caller."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logging.disable(previous)
