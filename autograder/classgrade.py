"""Grading a whole class: many submissions at once, on this machine or on a Dask cluster.

The trusted work of one submission (its sandbox and its hidden tests) is :func:`grade_payload`: it
takes the sanitized notebook as JSON and returns the graded notebook as JSON plus the verdict of
every part. It runs in threads of this process (``--jobs N``, one warm :class:`Zygote` shared by
all of them) or on the workers of a Dask cluster (``--scheduler tcp://HOST:PORT``; every worker
machine has the venv, the repository and bubblewrap, and keeps one zygote per worker process).

nbgrader's bookkeeping stays in this process, one submission at a time, through nbgrader's own
converters (:class:`Bookkeeper`): the sanitizing step of ``nbgrader autograde`` before grading,
its saving steps after (with the graded notebook standing in for the execution step), then
``generate_feedback``. So the gradebook ends up exactly as ``nbgrader autograde`` leaves it, without
paying nbgrader's application start for every submission.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbformat
from nbconvert.preprocessors import Preprocessor

from autograder.course import LIMITS, NOTEBOOK, SOLUTIONS, Limits, source_notebook

# The messages of autograder/harness.py that name a resource limit (Limits in course.py).
LIMIT = re.compile(r"time limit|the limit for one cell|GiB of memory|more than \d+ processes|its budget")

# --- the trusted work of one submission, wherever it runs ----------------------------------------------

_ZYGOTE = None
_ZYGOTE_LOCK = threading.Lock()


def _zygote():
    """This process's warm sandbox, started on first use (or by :func:`launch_zygote`) and restarted
    if it died."""
    with _ZYGOTE_LOCK:
        zygote = _launched()
        if zygote.control is None:
            zygote.connect()
        return zygote


def launch_zygote() -> None:
    """Start this process's warm sandbox now, from the calling thread, and return at once.

    It spends ~1.7 s importing torch, which then overlaps nbgrader's set-up here; the first
    submission waits for whatever is left. If it fails, that submission starts it again and says why.
    """
    with _ZYGOTE_LOCK, contextlib.suppress(Exception):
        _launched()


def _launched():
    """The warm sandbox, launched but perhaps not yet connected; a new one if there is none or it died.

    Call with ``_ZYGOTE_LOCK`` held.
    """
    global _ZYGOTE
    from autograder.harness import Zygote

    if _ZYGOTE is None or _ZYGOTE.proc is None or _ZYGOTE.proc.poll() is not None:
        if _ZYGOTE is not None:
            with contextlib.suppress(Exception):
                _ZYGOTE.close()
        _ZYGOTE = None
        zygote = Zygote()
        zygote.launch()
        _ZYGOTE = zygote
    return _ZYGOTE


def close_zygote() -> None:
    global _ZYGOTE
    with _ZYGOTE_LOCK:
        if _ZYGOTE is not None:
            _ZYGOTE.close()
            _ZYGOTE = None


def grade_payload(slug: str, notebook: str, limits: dict, unsafe: bool = False,
                  zygote: bool = True) -> dict[str, Any]:
    """Grade one sanitized notebook (JSON text); return the graded notebook (JSON) and the verdicts.

    Runs where the grading happens (this process or a Dask worker): student code in a sandbox forked
    from this process's zygote, hidden tests in this process. Only plain data goes in and out.
    """
    from autograder.harness import SandboxUnavailable, grade_notebook

    nb = nbformat.reads(notebook, as_version=4)
    start = time.monotonic()
    try:
        report = grade_notebook(nb, slug, Limits(**limits), unsafe,
                                zygote=_zygote() if zygote and not unsafe else None)
    except SandboxUnavailable:
        raise
    except BaseException as exc:  # this submission could not be graded; the class run goes on
        return {"error": f"{type(exc).__name__}: {exc}"[:500], "seconds": time.monotonic() - start,
                "host": socket.gethostname()}
    limits_hit = [r.message for r in report.parts.values() if not r.passed and LIMIT.search(r.message)]
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") != "Failed" and LIMIT.search(str(out.get("evalue"))):
                limits_hit.append(f"a cell: {out.get('evalue')}")
    return {"notebook": nbformat.writes(nb), "limits": limits_hit,
            "parts": {g: {"passed": r.passed, "message": r.message, "seconds": round(r.seconds, 3)}
                      for g, r in report.parts.items()},
            "seconds": round(report.seconds, 3), "peak_memory": report.peak_memory,
            "budget_exhausted": report.budget_exhausted, "leftover_processes": report.leftover_processes,
            "host": socket.gethostname(), "pid": os.getpid()}


# --- nbgrader's bookkeeping, done with nbgrader's own converters -------------------------------------------

_GRADED: dict[tuple[str, str], nbformat.NotebookNode] = {}


class InjectGraded(Preprocessor):
    """Stands where the execution step stands: hands on the notebook graded by :func:`grade_payload`."""

    enabled = True  # nbconvert skips a preprocessor that is not enabled

    def preprocess(self, nb, resources):
        key = (resources["nbgrader"]["assignment"], resources["nbgrader"]["student"])
        graded = _GRADED.pop(key)
        if [c.get("source") for c in graded.cells] != [c.get("source") for c in nb.cells]:
            raise RuntimeError("the graded notebook does not match the sanitized submission")
        return graded, resources


class Bookkeeper:
    """``nbgrader autograde`` and ``generate_feedback`` for one student at a time, set up once."""

    def __init__(self, root: Path, slug: str, limits: Limits = LIMITS, unsafe: bool = False):
        from nbgrader.converters import Autograde, GenerateFeedback
        from nbconvert.writers import FilesWriter
        from nbgrader.coursedir import CourseDirectory

        from autograder.course import course_config
        from autograder.grading import _api

        _api(root)  # puts the venv's bin (alembic) on PATH, as for any nbgrader run
        config = course_config(root, SOLUTIONS, limits, unsafe)
        steps = list(config.Autograde.autograde_preprocessors)
        assert steps[0] == "autograder.execute.TrustedExecute", steps
        config.Autograde.autograde_preprocessors = ["autograder.classgrade.InjectGraded", *steps[1:]]
        config.Autograde.force = True
        config.GenerateFeedback.force = True
        self.coursedir = CourseDirectory(config=config)
        self.coursedir.assignment_id = slug
        self.slug = slug
        self.autograde = Autograde(coursedir=self.coursedir, config=config)
        self.feedback = GenerateFeedback(coursedir=self.coursedir, config=config)
        for conv in (self.autograde, self.feedback):  # what BaseConverter.start does, once
            conv.writer = FilesWriter(parent=conv, config=conv.config)
            conv.exporter = conv.exporter_class(parent=conv, config=conv.config)
            for pp in conv.preprocessors:
                conv.exporter.register_preprocessor(pp)
        self.root = Path(root)

    def sanitize(self, student: str) -> nbformat.NotebookNode:
        """Everything ``nbgrader autograde`` does before executing: gradebook rows, copies, sanitizers."""
        from nbgrader.converters.base import BaseConverter

        conv = self.autograde
        path = str(self.root / "submitted" / student / self.slug / f"{NOTEBOOK}.ipynb")
        conv.notebooks = [path]
        conv.init_destination(self.slug, student)
        conv.init_assignment(self.slug, student)
        conv._sanitizing = True
        conv._init_preprocessors()
        BaseConverter.convert_single_notebook(conv, path)
        return nbformat.read(self._autograded(student), as_version=4)

    def save(self, student: str, graded: nbformat.NotebookNode) -> None:
        """Everything ``nbgrader autograde`` does after executing, then ``generate_feedback``."""
        from nbgrader import utils
        from nbgrader.converters.base import BaseConverter

        conv = self.autograde
        _GRADED[(self.slug, student)] = graded
        conv._sanitizing = False
        conv._init_preprocessors()
        try:
            with utils.setenv(NBGRADER_EXECUTION="autograde"):
                BaseConverter.convert_single_notebook(conv, str(self._autograded(student)))
            if (self.slug, student) in _GRADED:  # never score a notebook the trusted grader did not grade
                raise RuntimeError("the graded notebook was not used")
        finally:
            conv._sanitizing = True
            _GRADED.pop((self.slug, student), None)
        conv.set_permissions(self.slug, student)
        fb = self.feedback
        fb.notebooks = [str(self._autograded(student))]
        fb.init_destination(self.slug, student)
        fb.init_assignment(self.slug, student)
        fb.convert_single_notebook(str(self._autograded(student)))
        fb.set_permissions(self.slug, student)

    def fail(self, student: str) -> None:
        """A submission that could not be graded leaves no autograded notebook (as nbgrader does)."""
        path = self._autograded(student)
        if path.exists():
            path.unlink()

    def _autograded(self, student: str) -> Path:
        return autograded_path(self.root, self.slug, student)


def autograded_path(root: Path, slug: str, student: str) -> Path:
    """Where nbgrader keeps a student's autograded notebook."""
    return Path(root) / "autograded" / student / slug / f"{NOTEBOOK}.ipynb"


# --- the class run -------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    student: str
    result: dict[str, Any]
    status: str = "graded"  # graded | unchanged | not graded
    reason: str = ""  # why a student could not be graded or hit a limit
    seconds: float = 0.0
    peak_memory: int = 0
    host: str = ""
    parts: dict[str, Any] = field(default_factory=dict)


def submission_digest(path: Path, slug: str) -> str:
    """What decides whether a stored grade is still valid: the submitted file and the grader's inputs."""
    digest = hashlib.sha256(path.read_bytes())
    for source in (source_notebook(slug), SOLUTIONS / slug / "tests.py"):
        if source.exists():
            digest.update(source.read_bytes())
    return digest.hexdigest()


def state_path(root: Path, slug: str) -> Path:
    return Path(root) / "grades" / f".{slug}-state.json"


def grade_class(slug: str, root: Path, limits: Limits = LIMITS, unsafe: bool = False, jobs: int | None = None,
                force: bool = False, scheduler: str | None = None,
                on_done: Callable[[Outcome, int, int], None] | None = None) -> dict[str, Outcome]:
    """Grade every ``root/submitted/*/slug`` that is new or changed since the last run (all with ``force``)."""
    if not unsafe and scheduler is None:
        launch_zygote()
    from autograder.grading import (_ensure_assignment, _gradebook, _quiet, cell_scores_from, check_sandbox, failed,
                                    read_submission, write_csv)
    from autograder.harness import hidden_tests, reference_namespace

    check_sandbox(unsafe)
    root = Path(root)
    bindir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` by name
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    with _quiet():
        if not (root / "gradebook.db").exists():  # a new course: start from the assignment's generated gradebook
            root.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_gradebook(slug), root / "gradebook.db")
        _ensure_assignment(slug, root)
    state_file = state_path(root, slug)
    state = json.loads(state_file.read_text()) if state_file.exists() and not force else {}
    folders = sorted((root / "submitted").glob(f"*/{slug}"))
    students = [f.parent.name for f in folders]
    state = {s: v for s, v in state.items() if s in students}
    outcomes: dict[str, Outcome] = {}
    todo: list[tuple[str, nbformat.NotebookNode, str]] = []
    total, done = len(students), 0
    for student in students:
        path = root / "submitted" / student / slug / f"{NOTEBOOK}.ipynb"
        try:
            nb = read_submission(path, slug)
        except ValueError as exc:
            outcomes[student] = Outcome(student, failed(slug, str(exc)), "not graded", str(exc))
            continue
        if nb != nbformat.read(path, as_version=4):
            shutil.copyfile(path, path.with_name(path.name + ".orig"))
            nbformat.write(nb, path)
        digest = submission_digest(path, slug)
        old = state.get(student)
        feedback = root / "feedback" / student / slug / f"{NOTEBOOK}.html"
        if old and old.get("digest") == digest and autograded_path(root, slug, student).exists() and feedback.exists():
            outcomes[student] = Outcome(**{**old["outcome"], "status": "unchanged"})
            continue
        todo.append((student, nb, digest))
    for student in [s for s in students if s in outcomes]:
        done += 1
        if on_done:
            on_done(outcomes[student], done, total)

    if todo:
        with _executor(jobs, scheduler) as (submit, as_completed):
            with _quiet():
                keeper = Bookkeeper(root, slug, limits, unsafe)
            hidden_tests(slug)  # load once here, before worker threads share them
            if not unsafe and scheduler is None:
                reference_namespace(slug)
            limit_fields = asdict(limits)
            pending = {}
            for student, nb, digest in todo:
                try:
                    with _quiet():
                        sanitized = keeper.sanitize(student)
                except Exception as exc:
                    outcomes[student] = Outcome(student, failed(slug, f"grading failed: {exc}"[:500]), "not graded",
                                                f"nbgrader could not read it: {exc}"[:300])
                    done += 1
                    if on_done:
                        on_done(outcomes[student], done, total)
                    continue
                future = submit(grade_payload, slug, nbformat.writes(sanitized), limit_fields, unsafe)
                pending[future] = (student, digest)
            for future in as_completed(pending):
                student, digest = pending[future]
                try:
                    payload = future.result()
                except Exception as exc:  # the worker itself failed (e.g. no sandbox there)
                    payload = {"error": f"{type(exc).__name__}: {exc}"[:500]}
                outcome = _finish(keeper, slug, student, payload, cell_scores_from, failed)
                outcomes[student] = outcome
                state[student] = {"digest": digest, "outcome": asdict(outcome)}
                _write_state(state_file, state)
                done += 1
                if on_done:
                    on_done(outcome, done, total)
    results = {s: outcomes[s].result for s in students}
    write_csv(results, slug, root / "grades" / f"{slug}.csv")
    _write_state(state_file, {s: v for s, v in state.items() if s in students})
    from autograder.report import write_report

    write_report(slug, outcomes, root / "grades" / f"{slug}-report.html", root / "grades" / f"{slug}.csv")
    return outcomes


def _finish(keeper: Bookkeeper, slug: str, student: str, payload: dict, cell_scores_from, failed) -> Outcome:
    from autograder.grading import _quiet

    if "error" in payload:
        keeper.fail(student)
        reason = f"could not be graded: {payload['error']}"
        return Outcome(student, failed(slug, reason[:500]), "not graded", reason[:300],
                       payload.get("seconds", 0.0), host=payload.get("host", ""))
    graded = nbformat.reads(payload["notebook"], as_version=4)
    try:
        with _quiet():
            keeper.save(student, graded)
    except Exception as exc:
        keeper.fail(student)
        reason = f"grading failed: {exc}"
        return Outcome(student, failed(slug, reason[:500]), "not graded", reason[:300])
    result = cell_scores_from(keeper.root, slug, student)
    limited = payload.get("limits") or []
    reason = limited[0][:300] if limited else ""
    return Outcome(student, result, "graded", reason, payload["seconds"], payload.get("peak_memory", 0),
                   payload.get("host", ""), payload["parts"])


def _write_state(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, path)


@contextlib.contextmanager
def _executor(jobs: int | None, scheduler: str | None):
    """Yield ``(submit, as_completed)`` for threads of this process or for a Dask cluster."""
    if scheduler:
        from distributed import Client, as_completed

        with Client(scheduler, set_as_default=False) as client:
            # Dask's as_completed looks for a default client unless it is given this one's loop.
            yield (lambda fn, *args: client.submit(fn, *args, pure=False),
                   lambda futures: as_completed(list(futures), loop=client.loop))
        return
    workers = max(1, jobs or os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="grade") as pool:
        yield pool.submit, concurrent.futures.as_completed


# --- what the instructor watches ------------------------------------------------------------------------


class Progress:
    """A progress bar on stderr (done / total, failures so far, ETA) and one line per student on stdout."""

    def __init__(self, total: int, stream=sys.stderr, out=sys.stdout):
        self.total, self.stream, self.out = total, stream, out
        self.start = time.monotonic()
        self.failures = 0
        self.graded = 0
        self.tty = stream.isatty()

    def __call__(self, outcome: Outcome, done: int, total: int) -> None:
        self.total = total
        result = outcome.result
        lost = sum(1 for c in result["cells"].values() if c["error"])
        if outcome.status == "not graded":
            self.failures += 1
        if outcome.status == "graded":
            self.graded += 1
        note = {"graded": "", "unchanged": "  (unchanged, kept)", "not graded": "  NOT GRADED"}[outcome.status]
        detail = f"  {outcome.reason}" if outcome.reason else (f"  ({lost} part(s) lost points)" if lost else "")
        timing = f"  {outcome.seconds:5.1f} s" if outcome.status == "graded" else ""
        self._clear()
        print(f"{outcome.student:<24} {result['score']:g} / {result['max_score']:g}{timing}{note}{detail}",
              file=self.out, flush=True)
        self.bar(done)

    def bar(self, done: int) -> None:
        elapsed = time.monotonic() - self.start
        eta = "?" if not self.graded else f"{elapsed / max(done, 1) * (self.total - done):.0f} s"
        width = 30
        filled = int(width * done / max(self.total, 1))
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} done, "
                f"{self.failures} not graded, ETA {eta}")
        if self.tty:
            print("\r" + line, end="", file=self.stream, flush=True)
        elif done == self.total:
            print(line, file=self.stream, flush=True)

    def _clear(self) -> None:
        if self.tty:
            print("\r\033[K", end="", file=self.stream, flush=True)

    def finish(self) -> None:
        if self.tty:
            print(file=self.stream, flush=True)
