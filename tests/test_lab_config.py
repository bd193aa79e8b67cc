"""`make lab` gives students JupyterLab with nbgrader's Validate and none of the instructor tools,
and Validate uses grading's per-cell time limit; `make lab-instructor` keeps nbgrader's tools.

Each server is started with the command `make -n <target>` prints (its `cd`, its flags), on a
temporary copy of one chapter, and asked over HTTP what it serves: no browser needed.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from autograder.course import LIMITS, REPO

SLUG = "02-text-as-tensors"
INSTRUCTOR_SERVER = {
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
}
INSTRUCTOR_PLUGINS = {
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:menu",
}
VALIDATE_PLUGIN = "@jupyter/nbgrader:validate-assignment"


def make_command(target: str) -> tuple[list[str], Path]:
    """The `jupyter lab` command of `make <target>`: its words and the folder it runs in."""
    dry = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True,
                         timeout=60)
    assert dry.returncode == 0, dry.stderr
    lines = [ln for ln in dry.stdout.splitlines() if re.search(r"jupyter[ -]lab\b", ln)]
    assert lines, f"`make -n {target}` runs no `jupyter lab`:\n{dry.stdout}"
    cwd, argv = REPO, []
    for part in lines[-1].split("&&"):
        words = shlex.split(part)
        if words[:1] == ["cd"]:
            cwd = (cwd / words[1]).resolve()
        elif any(re.search(r"jupyter(-lab)?$", w) for w in words):
            start = next(i for i, w in enumerate(words) if re.search(r"jupyter(-lab)?$", w))
            argv = words[start:]
    return argv, cwd


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running `jupyter lab` started as `make <target>` starts it, serving ``folder``."""

    def __init__(self, target: str, folder: Path, tmp: Path):
        argv, self.cwd = make_command(target)
        argv = [w for w in argv if not re.match(r"--(notebook-dir|ServerApp\.root_dir)=", w)]
        self.port, self.token = free_port(), "lab-config-" + os.urandom(8).hex()
        self.log_path = tmp / f"{target}.log"
        cmd = argv + [
            f"--notebook-dir={folder}", "--no-browser", f"--port={self.port}",
            "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}", f"--LabApp.workspaces_dir={tmp / 'ws'}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while True:
            assert self.proc.poll() is None, f"jupyter lab exited:\n{self.output()}"
            try:
                self.get("/api/status")
                break
            except OSError:
                assert time.monotonic() < deadline, f"no answer in 120 s:\n{self.output()}"
                time.sleep(0.5)

    def output(self) -> str:
        return self.log_path.read_text()[-3000:]

    def request(self, path: str, data: dict | None = None, timeout: float = 30):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read().decode()

    def get(self, path: str):
        return self.request(path)

    def status(self, path: str) -> int:
        try:
            return self.get(path)[0]
        except urllib.error.HTTPError as exc:
            return exc.code

    def page_config(self, page: str = "/lab") -> dict:
        _, html = self.get(page)
        found = re.search(r'<script id="jupyter-config-data"[^>]*>(.*?)</script>', html, flags=re.S)
        assert found, f"the {page} page has no jupyter-config-data"
        return json.loads(found.group(1))

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def disabled(config: dict) -> set[str]:
    value = config.get("disabledExtensions", [])
    return set(value) if isinstance(value, list) else {k for k, v in value.items() if v}


@pytest.fixture(scope="module")
def chapter(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("served")
    shutil.copytree(REPO / "chapters" / SLUG, folder / SLUG,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return folder


@pytest.fixture(scope="module")
def student_lab(chapter, tmp_path_factory):
    lab = Lab("lab", chapter, tmp_path_factory.mktemp("student"))
    yield lab
    lab.close()


def test_nbgrader_plugins_the_student_lab_disables_exist():
    """A renamed plugin in a new nbgrader would silently come back: its ids must still exist."""
    static = REPO / ".venv" / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader"
    ids = set()
    for js in static.rglob("*.js"):
        ids |= set(re.findall(r'"(@jupyter/nbgrader:[a-z-]+)"', js.read_text(errors="replace")))
    assert INSTRUCTOR_PLUGINS | {VALIDATE_PLUGIN} <= ids, sorted(ids)


def test_make_lab_loads_no_instructor_server_extension(student_lab):
    log = student_lab.output()
    validate = "nbgrader.server_extensions.validate_assignment"
    assert f"{validate} | extension was successfully loaded" in log
    for name in INSTRUCTOR_SERVER:
        assert f"{name} | extension was successfully" not in log, f"`make lab` loads {name}"
    assert student_lab.status("/formgrader") == 404
    assert student_lab.status("/assignments") == 404  # the assignment list's handler
    assert student_lab.status("/courses") == 404
    assert student_lab.status("/formgraders") == 404  # the course list's handler
    status, body = student_lab.get("/nbgrader_version?version=0.0")
    assert status == 200 and "success" in body  # Validate's handler is there


@pytest.mark.parametrize("page", ["/lab", "/tree"])  # JupyterLab, and the Notebook interface
def test_make_lab_disables_the_instructor_plugins(student_lab, page):
    off = disabled(student_lab.page_config(page))
    assert INSTRUCTOR_PLUGINS <= off, f"`make lab` leaves on: {sorted(INSTRUCTOR_PLUGINS - off)}"
    assert VALIDATE_PLUGIN not in off


def test_validate_uses_the_grading_time_limit(student_lab):
    """The Validate handler reads nbgrader_config.py from the server's folder, as nbgrader does."""
    code = ("import os, sys, json; from nbgrader.apps import NbGrader; app = NbGrader();"
            " app.load_config_file(); c = app.config.Execute;"
            " print(json.dumps({'timeout': c.timeout, 'message': c.error_on_timeout}))")
    out = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-c", code], cwd=student_lab.cwd,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    config = json.loads(out.stdout.strip().splitlines()[-1])
    assert config["timeout"] == math.ceil(LIMITS.cell_seconds)
    assert f"{math.ceil(LIMITS.cell_seconds)} s" in "".join(config["message"]["traceback"])


def test_validate_lists_each_part_in_one_line(student_lab):
    """Validate on the untouched student notebook: one failure per graded part, each one line
    naming the part as not written yet, and no traceback of a library."""
    status, body = student_lab.request("/assignments/validate",
                                       {"path": f"{SLUG}/exercises.ipynb"}, timeout=300)
    reply = json.loads(body)
    assert status == 200 and reply["success"], reply
    value = json.loads(reply["value"]) if isinstance(reply["value"], str) else reply["value"]
    failed = value.get("failed", [])
    notebook = json.loads((REPO / "chapters" / SLUG / "exercises.ipynb").read_text())
    tests = {"".join(c["source"]).strip() for c in notebook["cells"] if c["cell_type"] == "code"
             and c["metadata"].get("nbgrader", {}).get("grade")}
    errors = [f["raw_error"].strip() for f in failed if f["source"] in tests]
    assert len(errors) == len(tests), [f["raw_error"] for f in failed]
    for error in errors:
        assert "site-packages" not in error and "Traceback" not in error, error
        assert re.fullmatch(r"\w+ is not written yet: replace raise NotImplementedError\(\) "
                            r"with your code", error), error
    others = [f["raw_error"].strip() for f in failed if f["source"] not in tests]
    assert set(others) <= {"You did not provide a response."}, others  # written answers


def test_make_lab_instructor_has_the_nbgrader_tools(chapter, tmp_path_factory):
    lab = Lab("lab-instructor", chapter, tmp_path_factory.mktemp("instructor"))
    try:
        assert lab.cwd == REPO / "autograder"  # where the course's nbgrader_config.py is
        log = lab.output()
        for name in INSTRUCTOR_SERVER | {"nbgrader.server_extensions.validate_assignment"}:
            assert f"{name} | extension was successfully loaded" in log, name
        for page in ["/lab", "/tree"]:
            assert not (INSTRUCTOR_PLUGINS | {VALIDATE_PLUGIN}) & disabled(lab.page_config(page))
    finally:
        lab.close()
