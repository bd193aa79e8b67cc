"""Checks 1-6 on every page of the built book, each page loaded once in headless Chromium at 1366 px.

1. no console error and no request to another host than the local server;
2. every formula typeset by MathJax, no MathJax error, no raw TeX left in the text;
3. every local link and anchor resolves, every image loads;
4. no code block, cell output or display equation is wider than the page;
5. every cell that trains a model shows a one-line summary (steps, time, loss or metric);
6. what the download button offers holds no solution or hidden-test line.
"""

from __future__ import annotations

import pytest

import bookcheck
from conftest import PAGES
from bookcheck import HTML

CHECKS = {
    "console": "1 no console error, no external request",
    "math": "2 every formula typeset",
    "links": "3 links, anchors and images resolve",
    "overflow": "4 no horizontal scrolling at 1366 px",
    "training": "5 training cells show a summary",
    "downloads": "6 downloads free of solutions",
}


def report(problems: list[str], what: str) -> str:
    more = f"\n  ... and {len(problems) - 25} more" if len(problems) > 25 else ""
    return f"{len(problems)} {what}:\n  " + "\n  ".join(problems[:25]) + more


@pytest.fixture
def page_visit(request, visits):
    page = request.node.callspec.params["page"]
    request.node.user_properties.append(("page", page))
    return visits(page)


def tag(record_property, check):
    record_property("check", CHECKS[check])


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_offline_without_console_errors(page, page_visit, record_property):
    tag(record_property, "console")
    problems = bookcheck.console_problems(page_visit)
    record_property("counts", {"pages with errors": int(bool(problems)), "errors": len(problems)})
    assert not problems, report(problems, "console errors or external requests")


@pytest.mark.parametrize("page", PAGES)
def test_every_formula_is_typeset(page, page_visit, record_property):
    tag(record_property, "math")
    problems = bookcheck.math_problems(page_visit)
    record_property("counts", {"formulas": len(page_visit.data.get("math", [])), "problems": len(problems)})
    assert not problems, report(problems, "formula problems")


@pytest.mark.parametrize("page", PAGES)
def test_links_and_images_resolve(page, page_visit, record_property):
    tag(record_property, "links")
    problems = bookcheck.link_problems(page_visit)
    record_property("counts", {"links": len(page_visit.data.get("links", [])),
                               "images": len(page_visit.data.get("images", [])), "broken": len(problems)})
    assert not problems, report(problems, "broken links or images")


@pytest.mark.parametrize("page", PAGES)
def test_code_and_outputs_fit_without_scrolling(page, page_visit, record_property):
    tag(record_property, "overflow")
    c = bookcheck.overflow_counts(page_visit)
    record_property("counts", {"code overflowing": c["code"], "code blocks": c["code_total"],
                               "outputs overflowing": c["outputs"], "outputs": c["outputs_total"],
                               "equations overflowing": c["equations"], "equations": c["equations_total"]})
    assert page_visit.missing or page_visit.data["innerWidth"] == 1366, "the window is not 1366 px wide"
    problems = bookcheck.overflow_problems(page_visit)
    assert not problems, report(problems, f"blocks wider than the page (innerWidth {page_visit.data.get('innerWidth')})")


@pytest.mark.parametrize("page", PAGES)
def test_training_cells_show_a_summary(page, page_visit, record_property):
    tag(record_property, "training")
    problems = bookcheck.training_problems(page_visit)
    record_property("counts", {"training cells": len(bookcheck.training_cells(page_visit)) if not page_visit.missing else 0,
                               "without summary": 0 if page_visit.missing else len(problems)})
    assert not problems, report(problems, "training cells without a summary")


@pytest.mark.parametrize("page", PAGES)
def test_downloads_hold_no_solution(page, page_visit, record_property):
    tag(record_property, "downloads")
    problems = bookcheck.download_problems(page_visit)
    record_property("counts", {"downloads": len(page_visit.data.get("downloads", [])), "leaks": len(problems)})
    assert not problems, report(problems, "problems with the downloads")


def test_every_source_file_of_the_book_holds_no_solution(record_property):
    """Also the sources no page links to: all of _build/html/_sources can be fetched."""
    record_property("check", CHECKS["downloads"])
    record_property("page", "_sources/**")
    files = [p for p in sorted((HTML / "_sources").rglob("*")) if p.is_file()]
    assert len(files) >= 10, "_build/html/_sources is (nearly) empty"
    found = [f"{p.relative_to(HTML)}: {line!r}" for p in files for line in bookcheck.leaks(p)[:5]]
    assert not found, report(found, "solution or hidden-test lines in downloadable sources")
