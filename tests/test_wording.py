"""No grading-harness wording in anything a student reads.

Lessons, chapter opening pages and the generated student notebooks speak to students. Words that
belong to the course's own tooling ("quality bar", "-> met", "mutant", "bench", "hidden test")
must not appear in their text, in their code or in their stored outputs. The import of the
``hiddenrep.bench`` module, which records a lesson's figures, is the one allowed use of "bench".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HARNESS_WORDS = re.compile(r"quality bars?|->\s*(?:NOT\s+)?met\b|mutants?\b|\bbench\b|hidden tests?",
                           re.IGNORECASE)
# The module that records figures is named hiddenrep.bench; naming it is not harness wording.
ALLOWED = re.compile(r"hiddenrep\.bench\b")


def student_files(root: Path = ROOT) -> list[Path]:
    """Every lesson notebook, chapter opening page and generated exercise notebook."""
    chapters = root / "chapters"
    return sorted([*chapters.glob("*/[0-9]*.ipynb"), *chapters.glob("*/index.md"),
                   *chapters.glob("*/exercises.ipynb")])


def texts(path: Path) -> list[tuple[str, str]]:
    """``(where, text)`` for every piece of ``path`` a student can read: cells and their outputs."""
    if path.suffix == ".md":
        return [("text", path.read_text(encoding="utf-8"))]
    notebook = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for number, cell in enumerate(notebook.get("cells", [])):
        found.append((f"cell {number}", "".join(cell.get("source", ""))))
        for output in cell.get("outputs", []):
            pieces = [output.get("text", "")]
            for mime in ("text/plain", "text/markdown", "text/html"):
                pieces.append(output.get("data", {}).get(mime, ""))
            pieces += [output.get("evalue", ""), *output.get("traceback", [])]
            text = "\n".join("".join(p) if isinstance(p, list) else p for p in pieces)
            found.append((f"output of cell {number}", text))
    return found


def harness_words(path: Path) -> list[str]:
    """``"<where>: <word>"`` for each harness word found in ``path``."""
    hits = []
    for where, text in texts(path):
        for match in HARNESS_WORDS.finditer(ALLOWED.sub("", text)):
            hits.append(f"{where}: {match.group(0)!r}")
    return hits


@pytest.mark.parametrize("path", student_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_harness_wording(path: Path):
    hits = harness_words(path)
    assert not hits, f"{path.relative_to(ROOT)} uses harness wording: " + "; ".join(hits)


# The book does not number its chapters: a reference says which one by its title.
CHAPTER_NUMBER = re.compile(r"\bchapters? \d+\b", re.IGNORECASE)


def chapter_numbers(path: Path) -> list[str]:
    """``"<where>: <reference>"`` for each reference to a chapter by number in ``path``."""
    return [f"{where}: {m.group(0)!r}" for where, text in texts(path) if not where.startswith("output")
            for m in CHAPTER_NUMBER.finditer(text)]


@pytest.mark.parametrize("path", student_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_chapters_are_named_not_numbered(path: Path):
    hits = chapter_numbers(path)
    assert not hits, (f"{path.relative_to(ROOT)} refers to a chapter by a number the book does not "
                      "show; name it (*Word embeddings*): " + "; ".join(hits))


def test_the_check_catches_a_planted_word(tmp_path: Path):
    chapter = tmp_path / "chapters" / "99-planted"
    chapter.mkdir(parents=True)
    lesson = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# A lesson\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1,
         "source": ["from hiddenrep.bench import record\n", "print('ratio 1.1')\n"],
         "outputs": [{"output_type": "stream", "name": "stdout",
                      "text": ["ratio 1.1 (quality bar: at least 1.0) -> met\n"]}]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (chapter / "01-planted.ipynb").write_text(json.dumps(lesson), encoding="utf-8")
    (chapter / "index.md").write_text("# Planted\n\nThe mutants are killed, see chapter 3.\n",
                                      encoding="utf-8")
    (chapter / "notes.txt").write_text("quality bar\n", encoding="utf-8")  # not a student file

    files = student_files(tmp_path)
    assert [p.name for p in files] == ["01-planted.ipynb", "index.md"]
    lesson_hits = harness_words(files[0])
    assert lesson_hits == ["output of cell 1: 'quality bar'", "output of cell 1: '-> met'"]
    assert harness_words(files[1]) == ["text: 'mutants'"]
    assert chapter_numbers(files[1]) == ["text: 'chapter 3'"] and chapter_numbers(files[0]) == []
    # The module import alone, and ordinary words such as "benchmark", are not flagged.
    clean = chapter / "02-clean.ipynb"
    lesson["cells"][1]["outputs"][0]["text"] = ["a word-similarity benchmark\n"]
    clean.write_text(json.dumps(lesson), encoding="utf-8")
    assert harness_words(clean) == []
