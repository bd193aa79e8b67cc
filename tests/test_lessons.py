"""Every lesson's stored outputs still hold: the book build re-ran it, and what it printed matches.

`make test` builds the book first, which executes every lesson (a failing cell fails the build,
`raise_on_error`). Rather than executing each lesson a second time under nbval, this suite reads
the book's own executed copies (``_build/jupyter_execute``) and compares them with the outputs
stored in the repository, for the cells tagged ``nbval-check-output`` (deterministic text), after
the same sanitizers nbval would apply (``tests/sanitize.cfg``). A rebuild that changes a number the
prose quotes therefore fails here.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import nbformat
import pytest

from autograder.course import CHAPTERS, REPO

EXECUTED = REPO / "_build" / "jupyter_execute"
TAG = "nbval-check-output"
LESSONS = sorted(CHAPTERS.glob("*/[0-9][0-9]-*.ipynb"))


def sanitizers() -> list[tuple[re.Pattern, str]]:
    parser = configparser.ConfigParser(interpolation=None)  # the regexes hold literal %
    parser.read(REPO / "tests" / "sanitize.cfg")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


SANITIZERS = sanitizers()


def text_of(cell) -> str:
    """The text a reader sees in a cell's outputs, sanitized."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    text = "".join(parts)
    for pattern, replacement in SANITIZERS:
        text = pattern.sub(replacement, text)
    return text.strip()


@pytest.mark.parametrize("path", LESSONS, ids=[str(p.relative_to(CHAPTERS)) for p in LESSONS])
def test_book_build_reproduces_the_stored_outputs(path):
    executed = EXECUTED / path.relative_to(REPO)
    if not executed.exists():
        pytest.fail(f"{executed.relative_to(REPO)} is missing: build the book first (`make book`)")
    stored = nbformat.read(path, as_version=4)
    fresh = nbformat.read(executed, as_version=4)
    code = [c for c in stored.cells if c.cell_type == "code"]
    fresh_code = [c for c in fresh.cells if c.cell_type == "code"]
    assert len(code) == len(fresh_code), f"{path.name}: the built copy has other cells"
    for i, (mine, theirs) in enumerate(zip(code, fresh_code)):
        assert not any(o.get("output_type") == "error" for o in theirs.get("outputs", [])), (
            f"{path.name}: code cell {i} raised when the book was built")
        if TAG in mine.metadata.get("tags", []):
            assert text_of(theirs) == text_of(mine), (
                f"{path.name}: code cell {i} printed something else when the book was built:\n"
                f"stored:\n{text_of(mine)[:1500]}\nbuilt:\n{text_of(theirs)[:1500]}")


def test_a_changed_output_is_caught(tmp_path):
    """The control: the comparison sees a number that moved."""
    cell = nbformat.v4.new_code_cell("print(x)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="accuracy 0.9312\n")]
    moved = nbformat.v4.new_code_cell("print(x)")
    moved.outputs = [nbformat.v4.new_output("stream", name="stdout", text="accuracy 0.9313\n")]
    assert text_of(cell) != text_of(moved)
    timing = nbformat.v4.new_code_cell("print(t)")
    timing.outputs = [nbformat.v4.new_output("stream", name="stdout", text="took 3.2 s\n")]
    other = nbformat.v4.new_code_cell("print(t)")
    other.outputs = [nbformat.v4.new_output("stream", name="stdout", text="took 4.7 s\n")]
    assert text_of(timing) == text_of(other)
