"""The course as nbgrader sees it: where things live and how nbgrader is configured.

``nbgrader_config.py`` (read by nbgrader's command line) and the Python tooling in this package
both call :func:`configure`, so the two can never disagree.
"""

from __future__ import annotations

import os
from pathlib import Path

from traitlets.config import Config

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
CHAPTERS = REPO / "chapters"
COURSE = REPO / "autograder"
NOTEBOOK = "exercises"  # every assignment is one notebook: <slug>/exercises.ipynb

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def configure(c: Config, root: Path = COURSE, source: Path = SOLUTIONS) -> Config:
    """Fill ``c`` with the course settings for a course folder ``root`` whose sources are ``source``."""
    root = Path(root).resolve()
    c.CourseDirectory.root = str(root)
    # nbgrader joins step folders onto the root, so the sources are named relative to it.
    c.CourseDirectory.source_directory = os.path.relpath(Path(source).resolve(), root)
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    # A paired .md (jupytext) would carry solutions into the release; never copy one.
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.md", "*.py"]
    c.ClearSolutions.code_stub = {"python": STUB}
    # One slow or looping cell must not hold up a grading run for long.
    c.Execute.timeout = 60
    c.Execute.interrupt_on_timeout = True
    # ipykernel warns on every start that TCP is unencrypted (kernels here are local); keep logs readable.
    c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
    c.Autograde.autograde_preprocessors = [
        "autograder.execute.ResilientExecute",  # nbgrader's Execute, surviving a dead kernel
        "nbgrader.preprocessors.IgnorePattern",
        "nbconvert.preprocessors.ClearMetadataPreprocessor",
        "nbgrader.preprocessors.LimitOutput",
        "nbgrader.preprocessors.SaveAutoGrades",
        "nbgrader.preprocessors.AssignLatePenalties",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
        "autograder.feedback.HideHiddenTestTracebacks",
        "nbgrader.preprocessors.ClearHiddenTests",
    ]
    return c


def course_config(root: Path = COURSE, source: Path = SOLUTIONS) -> Config:
    return configure(Config(), root, source)


def slugs() -> list[str]:
    """Every assignment, i.e. every folder of ``solutions/`` that holds an exercise notebook."""
    return sorted(p.parent.name for p in SOLUTIONS.glob(f"*/{NOTEBOOK}.ipynb"))


def source_notebook(slug: str) -> Path:
    path = SOLUTIONS / slug / f"{NOTEBOOK}.ipynb"
    if not path.exists():
        raise SystemExit(f"no assignment {slug!r}: {path} does not exist; known: {', '.join(slugs())}")
    return path


def student_notebook(slug: str) -> Path:
    return CHAPTERS / slug / f"{NOTEBOOK}.ipynb"
