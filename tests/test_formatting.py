"""Code in lessons and exercises is formatted by ruff at 88 columns: no reader scrolls sideways.

Authors run `.venv/bin/ruff format <notebook>` (settings in pyproject.toml); tests/mutants are
text edits of the formatted reference, so format a solution before writing its mutants.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import CHAPTERS, REPO, SOLUTIONS

WIDTH = 88
NOTEBOOKS = sorted(CHAPTERS.glob("*/*.ipynb")) + sorted(SOLUTIONS.glob("*/exercises.ipynb"))
RUFF = Path(sys.executable).with_name("ruff")


def test_every_notebook_is_formatted_by_ruff():
    done = subprocess.run([str(RUFF), "format", "--check", "--diff", *map(str, NOTEBOOKS)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (f"run `.venv/bin/ruff format` on these notebooks:\n"
                                  f"{done.stdout[-3000:]}{done.stderr[-2000:]}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(REPO)) for p in NOTEBOOKS])
def test_no_code_line_is_wider_than_the_page(path):
    """ruff leaves long strings and comments as they are: those are wrapped by hand."""
    cells = json.loads(path.read_text())["cells"]
    wide = [f"cell {i}: {line[:60]}... ({len(line)} characters)"
            for i, cell in enumerate(cells) if cell["cell_type"] == "code"
            for line in "".join(cell["source"]).splitlines() if len(line) > WIDTH]
    assert not wide, f"lines wider than {WIDTH} characters:\n  " + "\n  ".join(wide)
