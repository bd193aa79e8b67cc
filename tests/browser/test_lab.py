"""Check 7: JupyterLab opens an exercise notebook, nbgrader's Validate button runs, and its result
names each graded part in words a student can act on (not a library traceback).

JupyterLab is started the way `make lab` starts it: the command is read from `make -n lab`, so this
test follows the Makefile; only the folder (a temporary copy of one chapter from the folder
`make lab` serves), the port, the token and "no browser" are set here.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from bookcheck import REPO, drain, normalise

SLUG = "02-text-as-tensors"
CHECK = "7 JupyterLab Validate names each part"


def make_lab_command() -> tuple[list[str], Path, Path]:
    """The `jupyter lab` command of `make lab` (argv, working folder, folder it serves)."""
    dry = subprocess.run(["make", "-n", "lab"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, f"`make -n lab` failed:\n{dry.stderr}"
    [line] = [ln for ln in dry.stdout.splitlines() if re.search(r"jupyter[ -]lab\b", ln)][-1:] or [None]
    assert line, f"`make -n lab` runs no `jupyter lab`:\n{dry.stdout}"
    cwd, argv = REPO, []
    for part in line.split("&&"):
        words = shlex.split(part)
        if words[:1] == ["cd"]:
            cwd = (cwd / words[1]).resolve()
        elif any(re.search(r"jupyter(-lab)?$", w) for w in words):
            argv = words
    start = next(i for i, w in enumerate(argv) if re.search(r"jupyter(-lab)?$", w))
    argv = argv[start:]
    argv[0] = str((cwd / argv[0]).resolve()) if "/" in argv[0] else argv[0]
    served = cwd
    for i, word in enumerate(argv):
        if re.match(r"--(notebook-dir|ServerApp\.root_dir|root-dir)=", word):
            served = (cwd / word.split("=", 1)[1]).resolve()
        elif word in {"--notebook-dir", "--ServerApp.root_dir", "--root-dir"}:
            served = (cwd / argv[i + 1]).resolve()
    return argv, cwd, served


def with_folder(argv: list[str], folder: Path) -> list[str]:
    out, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif re.match(r"--(notebook-dir|ServerApp\.root_dir|root-dir)=", word):
            continue
        elif word in {"--notebook-dir", "--ServerApp.root_dir", "--root-dir"}:
            skip = True
        else:
            out.append(word)
    return out + [f"--notebook-dir={folder}"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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

    argv, cwd, served = make_lab_command()
    source = served / SLUG
    assert (source / "exercises.ipynb").is_file(), f"`make lab` serves {served}, which has no {SLUG}/exercises.ipynb"
    tmp = tmp_path_factory.mktemp("lab")
    folder = tmp / "notebooks"
    shutil.copytree(source, folder / SLUG, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port, token = free_port(), "browser-suite-" + os.urandom(8).hex()
    env = dict(os.environ, PATH=f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
    cmd = with_folder(argv, folder) + [
        "--no-browser", f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:  # containers and CI run as root; Jupyter refuses that without this flag
        cmd.append("--allow-root")
    log = open(tmp / "lab.log", "w")
    lab = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert lab.poll() is None, f"jupyter lab exited ({lab.returncode}):\n{(tmp / 'lab.log').read_text()[-3000:]}"
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, f"jupyter lab did not answer in 120 s:\n{(tmp / 'lab.log').read_text()[-3000:]}"
                time.sleep(1)
        driver.get(f"{base}/lab/tree/{SLUG}/exercises.ipynb?token={token}")
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
        lab.terminate()
        try:
            lab.wait(30)
        except subprocess.TimeoutExpired:
            lab.kill()
            lab.wait(10)
        log.close()


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
