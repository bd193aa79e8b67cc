"""No solution and no hidden test reaches students: not in the HTML book, not in a notebook they get.

`make test` builds the book (warnings are errors) before running this suite; these tests read
`_build/html`, the student notebooks and the lessons.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from autograder.course import CHAPTERS, REPO, slugs, source_notebook
from helpers import page_text

HTML = REPO / "_build" / "html"
MIN_CHARS = 16  # shorter lines (`return out`, `import copy`) are too generic to betray anything
# Imports name public libraries and block headers (`with torch.no_grad():`, `for t in range(T):`)
# are idioms every lesson uses; neither betrays a solution. Nor do the pieces a formatter cuts a
# long call into: its opening line (`probs = torch.softmax(`) and a lone keyword argument
# (`dtype=torch.float64)`); the lines between them, its arguments, are still searched.
GENERIC = re.compile(r"(from \S+ )?import |(with|for|if|elif|else|try|except|while)\b.*:$"
                     r"|\w+=[\w.\"']+[,)]*$|.*[(\[{]$")
BLOCKS = [("### BEGIN SOLUTION", "### END SOLUTION"), ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")]


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def block_lines(source: str) -> tuple[list[str], list[str]]:
    """The lines of ``source`` inside solution/hidden-test blocks, and the lines outside them."""
    inside, outside, depth = [], [], 0
    for line in source.splitlines():
        stripped = line.strip()
        if any(stripped == begin for begin, _ in BLOCKS):
            depth += 1
        elif any(stripped == end for _, end in BLOCKS):
            depth -= 1
        else:
            (inside if depth else outside).append(normalise(line))
    return inside, outside


def hidden_test_lines(slug: str) -> list[str]:
    """The code lines of ``solutions/<slug>/tests.py`` (docstrings and comments left out)."""
    import ast
    import io
    import tokenize

    source = (source_notebook(slug).parent / "tests.py").read_text()
    skip = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            skip.update(range(body[0].lineno, body[0].end_lineno + 1))
    code_lines = {tok.start[0] for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                  if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                                      tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER)}
    return [normalise(line) for i, line in enumerate(source.splitlines(), 1)
            if i in code_lines and i not in skip]


def secrets(slug: str) -> set[str]:
    """Lines only a reference solution or a hidden test contains, long enough to be telling."""
    nb = nbformat.read(source_notebook(slug), as_version=4)
    inside, outside = hidden_test_lines(slug), []
    for cell in nb.cells:
        i, o = block_lines(cell.source)
        inside += i
        outside += o
    telling = {line for line in inside if len(line) >= MIN_CHARS and not GENERIC.match(line)}
    return telling - set(outside)


def notebook_text(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") if isinstance(out.get("text", ""), str) else "")
            parts.append(str(out.get("data", {}).get("text/plain", "")))
            parts.extend(out.get("traceback", []))
    return "\n".join(parts)


def student_facing() -> dict[str, str]:
    """Every text a student can read: the book's pages and sources, the chapters' notebooks, the library."""
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: build the book first (`make book`; `make test` does it)")
    texts = {}
    for path in sorted(HTML.rglob("*")):
        if path.suffix == ".html":
            texts[str(path.relative_to(REPO))] = page_text(path.read_text(errors="replace"))
        elif path.suffix == ".ipynb":
            texts[str(path.relative_to(REPO))] = normalise(notebook_text(path))
        elif path.suffix in {".md", ".txt", ".py"}:
            texts[str(path.relative_to(REPO))] = normalise(path.read_text(errors="replace"))
    for path in sorted(CHAPTERS.rglob("*")):
        if path.suffix == ".ipynb" and ".ipynb_checkpoints" not in path.parts:
            texts[str(path.relative_to(REPO))] = normalise(notebook_text(path))
        elif path.suffix == ".md":
            texts[str(path.relative_to(REPO))] = normalise(path.read_text())
    # Students import the course library, so its source is theirs to read too.
    for path in sorted((REPO / "hiddenrep").rglob("*.py")):
        texts[str(path.relative_to(REPO))] = normalise(path.read_text())
    return texts


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return student_facing()


@pytest.mark.parametrize("slug", slugs())
def test_no_solution_or_hidden_test_line_reaches_students(slug, texts):
    lines = secrets(slug)
    assert len(lines) >= 10, f"{slug}: too few telling lines to make this check meaningful: {lines}"
    leaks = [(line, where) for line in sorted(lines) for where, text in texts.items() if line in text]
    assert not leaks, "solution or hidden-test lines visible to students:\n" + "\n".join(
        f"  {where}: {line}" for line, where in leaks[:20])


@pytest.mark.parametrize("slug", slugs())
def test_exercise_page_is_in_the_book_with_its_visible_tests(slug, texts):
    """The control for the leak test: what students should see is found by the same search."""
    page = texts.get(f"_build/html/chapters/{slug}/exercises.html")
    assert page, f"the book has no page for chapters/{slug}/exercises.ipynb"
    nb = nbformat.read(source_notebook(slug), as_version=4)
    visible = [line for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
               for line in block_lines(c.source)[1] if len(line) >= MIN_CHARS]
    assert visible and all(line in page for line in visible), "visible tests missing from the exercise page"
    assert "raise NotImplementedError()" in page


def test_leak_search_finds_a_planted_line():
    [slug, *_] = slugs()
    line = sorted(secrets(slug))[0]
    planted = f"<html><body><pre><span>{line[:5]}</span>{line[5:].replace('<', '&lt;')}</pre></body></html>"
    assert line in page_text(planted)
