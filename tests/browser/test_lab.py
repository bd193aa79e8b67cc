"""Check 7: JupyterLab opens an exercise notebook, nbgrader's Validate button runs, and its result
names each graded part in words a student can act on (not a library traceback).

JupyterLab is started the way `make lab` starts it: the command is read from `make -n lab`, so this
test follows the Makefile; only the folder (a temporary copy of one chapter from the folder
`make lab` serves), the port, the token and "no browser" are set here.
"""

from __future__ import annotations

import ast
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from bookcheck import drain, normalise
from test_lab_config import Lab, make_command

SLUG = "02-text-as-tensors"
CHECK = "7 JupyterLab Validate names each part"


def served_folder() -> Path:
    """The folder `make lab` serves (its --notebook-dir), read from the Makefile's command."""
    argv, cwd = make_command("lab")
    for i, word in enumerate(argv):
        if re.match(r"--(notebook-dir|ServerApp\.root_dir|root-dir)=", word):
            return (cwd / word.split("=", 1)[1]).resolve()
        if word in {"--notebook-dir", "--ServerApp.root_dir", "--root-dir"}:
            return (cwd / argv[i + 1]).resolve()
    return cwd


def graded_parts(nb) -> dict[str, set[str]]:
    """grade_id of each autograded test cell -> the names a student knows the part by: the
    grade_id without `test_`, and the functions and classes its solution cells define."""
    parts, defined = {}, set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("solution"):
            try:
                defined |= {n.name for n in ast.parse(cell.source).body
                            if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
            except SyntaxError:
                pass
        if meta.get("grade"):
            parts[meta["grade_id"]] = {re.sub(r"^test_", "", meta["grade_id"])} | defined
            defined = set()
    return parts


@pytest.fixture(scope="module")
def validation(driver, tmp_path_factory):
    """Start JupyterLab, open the exercise notebook, press Validate: the dialog's text and pieces."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    served = served_folder()
    source = served / SLUG
    assert (source / "exercises.ipynb").is_file(), f"`make lab` serves {served}, which has no {SLUG}/exercises.ipynb"
    tmp = tmp_path_factory.mktemp("lab")
    folder = tmp / "notebooks"
    shutil.copytree(source, folder / SLUG, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    lab = Lab("lab", folder, tmp)  # as `make lab` starts it, on the copy
    try:
        driver.get(f"{lab.base}/lab/tree/{SLUG}/exercises.ipynb?token={lab.token}")
        button = WebDriverWait(driver, 120).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, ".jp-NotebookPanel-toolbar jp-button.validate-button, jp-button.validate-button")))
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"))
        started = time.perf_counter()
        driver.execute_script("arguments[0].click()", button)
        message = WebDriverWait(driver, 240).until(EC.presence_of_element_located((By.ID, "validation-message")))
        result = driver.execute_script(
            "const m = arguments[0]; return {text: m.innerText, className: m.className,"
            " pres: [...m.querySelectorAll('pre')].map(p => p.innerText),"
            " title: (document.querySelector('.jp-Dialog-header') || {}).innerText || ''};", message)
        result["seconds"] = time.perf_counter() - started
        result["parts"] = graded_parts(nbformat.read(folder / SLUG / "exercises.ipynb", as_version=4))
        result["sources"] = {normalise(c.source) for c in nbformat.read(folder / SLUG / "exercises.ipynb",
                                                                       as_version=4).cells}
        yield result
    finally:
        # Leave the shared browser as a fresh one: JupyterLab's "leave the page?" guard logs an
        # error when the next test navigates away, which would be blamed on the next page.
        driver.get("about:blank")
        drain(driver)
        lab.close()


def what_it_says(result) -> str:
    """The dialog's words outside the test cells' own source, which nbgrader echoes back."""
    text = result["text"]
    for pre in result["pres"]:
        if normalise(pre) in result["sources"]:
            text = text.replace(pre, "")
    return text


def missing_parts(result) -> list[str]:
    said = what_it_says(result)
    return [f"{grade_id} (known as {', '.join(sorted(names))})" for grade_id, names in result["parts"].items()
            if not any(re.search(rf"\b{re.escape(n)}\b", said) for n in names)]


def library_tracebacks(result) -> list[str]:
    return [line.strip() for line in result["text"].splitlines() if "site-packages" in line]


def test_validate_names_each_graded_part(validation, record_property):
    record_property("check", CHECK)
    record_property("page", f"lab {SLUG}/exercises.ipynb")
    record_property("counts", {"parts": len(validation["parts"]), "validate s": round(validation["seconds"])})
    assert len(validation["parts"]) >= 3, f"too few graded parts found: {validation['parts']}"
    assert "validation-failed" in validation["className"], (
        f"an unanswered notebook should fail Validate; the dialog says:\n{validation['text'][:2000]}")
    missing = missing_parts(validation)
    assert not missing, (f"the Validate dialog does not name {len(missing)} of {len(validation['parts'])} "
                         f"parts outside the echoed test code: {missing}\n--- dialog ---\n{validation['text'][:3000]}")


def test_validate_shows_no_library_traceback(validation, record_property):
    record_property("check", CHECK)
    record_property("page", f"lab {SLUG}/exercises.ipynb (no site-packages)")
    found = library_tracebacks(validation)
    record_property("counts", {"site-packages lines": len(found)})
    assert not found, f"the Validate dialog shows {len(found)} library traceback lines, e.g. {found[:5]}"
