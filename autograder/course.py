"""The course as nbgrader sees it: where things live and how nbgrader is configured.

``nbgrader_config.py`` (read by nbgrader's command line) and the Python tooling in this package
both call :func:`configure`, so the two can never disagree.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
CHAPTERS = REPO / "chapters"
COURSE = REPO / "autograder"
NOTEBOOK = "exercises"  # every assignment is one notebook: <slug>/exercises.ipynb

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


@dataclass(frozen=True)
class Limits:
    """What one submission may use while it is graded. The defaults are the course's, in one place.

    Students see the limit that stopped them in their feedback; Validate uses the same per-cell time.
    """

    cell_seconds: float = 60.0  # one notebook cell
    part_seconds: float = 60.0  # the hidden tests of one graded part, student calls included
    notebook_seconds: float = 300.0  # everything for one submission
    memory_bytes: int = 2 << 30  # all processes of the submission together
    output_chars: int = 20_000  # what one cell may print (stdout and stderr each); the rest is cut


LIMITS = Limits()


def validate_settings(limits: Limits = LIMITS) -> dict:
    """Settings of nbgrader's ``Execute`` for the Validate button: grading's per-cell time limit,
    and a message that names it when a cell hits it. Validate runs in the student's own kernel,
    so the other limits apply only when grading."""
    seconds = math.ceil(limits.cell_seconds)
    return {
        "timeout": seconds,
        "error_on_timeout": {
            "ename": "CellTimeoutError",
            "evalue": f"did not finish within the time limit of {seconds} s per cell",
            "traceback": [f"This cell did not finish within the time limit of {seconds} s per cell "
                          "(an endless loop?); grading stops it at the same limit."],
        },
    }


def configure(c: Config, root: Path = COURSE, source: Path = SOLUTIONS, limits: Limits = LIMITS,
              unsafe: bool = False) -> Config:
    """Fill ``c`` with the course settings for a course folder ``root`` whose sources are ``source``.

    Autograding runs every submission through :class:`autograder.execute.TrustedExecute`: student
    code in a sandbox, hidden tests on the trusted side. ``unsafe`` drops the sandbox (never for
    real submissions).
    """
    root = Path(root).resolve()
    c.CourseDirectory.root = str(root)
    # nbgrader joins step folders onto the root, so the sources are named relative to it.
    c.CourseDirectory.source_directory = os.path.relpath(Path(source).resolve(), root)
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    # A paired .md (jupytext) would carry solutions into the release; never copy one.
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.md", "*.py"]
    c.ClearSolutions.code_stub = {"python": STUB}
    c.TrustedExecute.cell_seconds = limits.cell_seconds
    c.TrustedExecute.part_seconds = limits.part_seconds
    c.TrustedExecute.notebook_seconds = limits.notebook_seconds
    c.TrustedExecute.memory_bytes = limits.memory_bytes
    c.TrustedExecute.output_chars = limits.output_chars
    c.TrustedExecute.unsafe = unsafe
    for name, value in validate_settings(limits).items():  # the Validate button of instructors
        setattr(c.Execute, name, value)
    c.Autograde.autograde_preprocessors = [
        "autograder.execute.TrustedExecute",  # replaces nbgrader's Execute: see autograder/harness.py
        "nbconvert.preprocessors.ClearMetadataPreprocessor",
        "nbgrader.preprocessors.SaveAutoGrades",
        "nbgrader.preprocessors.AssignLatePenalties",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
        "autograder.feedback.SafeFeedback",
    ]
    c.GenerateFeedback.exporter_class = "autograder.feedback.FeedbackHTML"
    c.HTMLExporter.sanitize_html = True  # bleach the HTML of Markdown cells and outputs in feedback
    return c


def course_config(root: Path = COURSE, source: Path = SOLUTIONS, limits: Limits = LIMITS,
                  unsafe: bool = False) -> Config:
    return configure(Config(), root, source, limits, unsafe)


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
