"""`make bench`: time every lesson and every reference solution, collect the lessons' metrics.

Writes ``_build/bench.json`` = ``{"notebooks": {PATH: {"seconds": s}}, "scoring": {SLUG: {"seconds":
s, "score": x, "max_score": y}}, "grading": {...}, "metrics": {NAME: number}}`` and prints the same
as a table. Budgets (a lesson <= 60 s, scoring one submission <= 30 s on 2 cores) are reported, not
asserted. ``--grading-only`` replaces only ``grading`` and its metrics in the file it finds.

``grading`` is the class benchmark (:func:`class_bench`): the same 24 submissions of one assignment
(correct, buggy and crashing ones) graded by stock ``nbgrader autograde`` (nbgrader's own Execute
step, which runs the notebook and its visible tests in a Jupyter kernel, in a throw-away course)
and by ``python -m autograder grade``, each as the command an instructor runs, median of
``runs`` runs; recorded as ``grading.class24.nbgrader_seconds`` and ``grading.class24.ours_seconds``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder.course import CHAPTERS, REPO, slugs, source_notebook
from hiddenrep.bench import BENCH_ENV, record

LESSON_BUDGET = 60.0
SCORING_BUDGET = 30.0


def lessons() -> list[Path]:
    """Every lesson notebook: chapters/<slug>/NN-name.ipynb."""
    return sorted(CHAPTERS.glob("*/[0-9][0-9]-*.ipynb"))


def run_lesson(path: Path) -> float:
    """Execute one lesson in its own folder, as the book build does; return the wall time."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def time_scoring(slug: str) -> dict[str, float]:
    from autograder.grading import _gradebook, score

    _gradebook(slug)  # an instructor's gradebook already exists: time the grading, not the setup
    start = time.perf_counter()
    result = score(source_notebook(slug), slug)
    return {"seconds": round(time.perf_counter() - start, 2), "score": result["score"],
            "max_score": result["max_score"]}


CLASS_SLUG = "02-text-as-tensors"
CLASS_SIZE = 24


def class_submissions(slug: str = CLASS_SLUG, size: int = CLASS_SIZE) -> dict[str, nbformat.NotebookNode]:
    """``size`` submissions: a third correct, half with a plausible bug (tests/mutants), the rest crashing."""
    import runpy

    mutants = runpy.run_path(str(REPO / "tests" / "mutants" / f"{slug}.py"))["MUTANTS"]
    reference = nbformat.read(source_notebook(slug), as_version=4)

    def cell(nb, grade_id):
        return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)

    present = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in reference.cells}
    bugs = [(gid, edits) for gid, by_name in mutants.items() for edits in by_name.values()
            if gid in present and all(old in present[gid] for old, _ in edits)]
    answers = [gid for gid in mutants if gid in present]
    # Cells that fail the way half-finished work does. A kernel killed by os._exit is left out:
    # stock nbgrader cannot grade that student at all, so the two runs would not do the same work
    # (tests/test_class_grading.py covers it for ours).
    crashes = ["raise RuntimeError('half-finished')", "def broken(:\n    pass", "import sys\nsys.exit(2)"]
    out = {}
    for i in range(size):
        nb = nbformat.from_dict(json.loads(json.dumps(reference)))
        if i % 3 == 0:
            kind = "correct"
        elif i % 6 != 5:
            gid, edits = bugs[(i * 7) % len(bugs)]
            target = cell(nb, gid)
            for old, new in edits:
                target.source = target.source.replace(old, new)
            kind = "buggy"
        else:
            target = cell(nb, answers[i % len(answers)])
            target.source = crashes[(i // 6) % len(crashes)] + "\n" + target.source
            kind = "crashing"
        out[f"s{i:02d}-{kind}"] = nb
    return out


def _course(root: Path, submissions: dict, slug: str, stock: bool) -> None:
    from autograder.grading import _gradebook

    root.mkdir(parents=True)
    shutil.copyfile(_gradebook(slug), root / "gradebook.db")
    for student, nb in submissions.items():
        path = root / "submitted" / student / slug / "exercises.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    if stock:  # nbgrader's defaults: its own Execute preprocessor runs the notebook in a kernel
        (root / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"c.CourseDirectory.root = {str(root)!r}\n"
            f"c.CourseDirectory.source_directory = {os.path.relpath(REPO / 'solutions', root)!r}\n"
            f"c.CourseDirectory.db_url = {'sqlite:///' + str(root / 'gradebook.db')!r}\n"
            "c.CourseDirectory.ignore = ['.ipynb_checkpoints', '*.pyc', '__pycache__', '*.md', '*.py']\n")


def _timed(command: list[str], cwd: Path) -> tuple[float, int]:
    """Run ``command``; return its wall time and its peak resident memory in bytes."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    start = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        # Waited for with wait4, which also gives this child's own peak memory.
        pid = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT).pid
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            log.seek(0)
            raise RuntimeError(f"{' '.join(command[:4])} failed: {log.read().decode(errors='replace')[-500:]}")
    return seconds, usage.ru_maxrss * 1024


def class_bench(runs: int = 3, slug: str = CLASS_SLUG) -> dict:
    """Stock ``nbgrader autograde`` against ``python -m autograder grade`` on the same 24 submissions."""
    import statistics

    from autograder.grading import _gradebook

    _gradebook(slug)  # an instructor's gradebook already exists: time the grading, not the setup
    submissions = class_submissions(slug)
    python = sys.executable
    ours, stock, single, peaks = [], [], [], []
    grader_rss = 0
    with tempfile.TemporaryDirectory(prefix="hiddenrep-bench-") as tmp:
        # The two graders take turns, so that a machine that slows down or speeds up during the
        # bench (other tenants, heat) weighs on both alike.
        for run in range(runs):
            course = Path(tmp) / f"ours{run}"
            _course(course, submissions, slug, stock=False)
            seconds, rss = _timed([python, "-m", "autograder", "grade", slug, "--course", str(course), "--force"], REPO)
            ours.append(seconds)
            grader_rss = max(grader_rss, rss)
            state = json.loads((course / "grades" / f".{slug}-state.json").read_text())
            peaks += [s["outcome"]["peak_memory"] for s in state.values()]
            if run == 0:
                scores = {s: v["outcome"]["result"]["score"] for s, v in state.items()}
            print(f"  ours, run {run + 1}: {ours[-1]:.1f} s", flush=True)
            course = Path(tmp) / f"stock{run}"
            _course(course, submissions, slug, stock=True)
            stock.append(_timed([str(Path(python).parent / "nbgrader"), "autograde", slug], course)[0])
            print(f"  stock nbgrader, run {run + 1}: {stock[-1]:.1f} s", flush=True)
        for run in range(runs):
            one = Path(tmp) / f"single{run}"
            _course(one, dict(list(submissions.items())[:1]), slug, stock=False)
            single.append(_timed([python, "-m", "autograder", "grade", slug, "--course", str(one), "--force"], REPO)[0])
    result = {"submissions": len(submissions), "runs": runs,
              "nbgrader_seconds": round(statistics.median(stock), 1), "ours_seconds": round(statistics.median(ours), 1),
              "nbgrader_all": [round(x, 1) for x in stock], "ours_all": [round(x, 1) for x in ours],
              "single_submission_seconds": round(statistics.median(single), 1),
              "peak_sandbox_memory_mb": round(max(peaks) / 2**20), "grader_process_max_rss_mb": round(grader_rss / 2**20),
              "jobs": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
              "scores": scores}
    result["ratio"] = round(result["nbgrader_seconds"] / result["ours_seconds"], 2)
    return result


def main(grading_only: bool = False, runs: int = 3) -> int:
    out = REPO / "_build" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    report: dict[str, dict] = {"notebooks": {}, "scoring": {}, "grading": {}, "metrics": {}}
    with tempfile.TemporaryDirectory() as tmp:
        metrics = Path(tmp) / "metrics.json"
        os.environ[BENCH_ENV] = str(metrics)  # lesson kernels inherit it; hiddenrep.bench.record writes there
        print(f"class of {CLASS_SIZE} ({CLASS_SLUG}): stock nbgrader autograde vs python -m autograder grade", flush=True)
        report["grading"]["class24"] = g = class_bench(runs)
        record("grading.class24.nbgrader_seconds", g["nbgrader_seconds"])
        record("grading.class24.ours_seconds", g["ours_seconds"])
        print(f"  {'stock nbgrader autograde, 24 submissions':<58} {g['nbgrader_seconds']:7.1f} s", flush=True)
        print(f"  {'python -m autograder grade, 24 submissions':<58} {g['ours_seconds']:7.1f} s  "
              f"{g['ratio']:.2f}x faster", flush=True)
        print(f"  {'python -m autograder grade, 1 submission':<58} {g['single_submission_seconds']:7.1f} s", flush=True)
        print(f"  peak memory: {g['peak_sandbox_memory_mb']} MB per submission's sandbox, "
              f"{g['grader_process_max_rss_mb']} MB the largest grading process", flush=True)
        for path in lessons() if not grading_only else []:
            name = str(path.relative_to(REPO))
            try:
                report["notebooks"][name] = {"seconds": round(run_lesson(path), 2)}
            except Exception as exc:  # report the failure and go on timing the rest
                report["notebooks"][name] = {"seconds": None, "error": str(exc).splitlines()[0][:200]}
            print(_row(name, report["notebooks"][name]["seconds"], LESSON_BUDGET), flush=True)
        if metrics.exists():
            report["metrics"] = json.loads(metrics.read_text())
    for slug in slugs() if not grading_only else []:
        report["scoring"][slug] = result = time_scoring(slug)
        print(_row(f"score {slug}", result["seconds"], SCORING_BUDGET,
                   f"{result['score']:g}/{result['max_score']:g}"), flush=True)
    for name, value in sorted(report["metrics"].items()):
        print(f"  {name:<58} {value:.4g}")
    # Budgets are reported, not enforced; a lesson that fails to run is an error.
    status = 1 if any(r.get("error") for r in report["notebooks"].values()) else 0
    if grading_only:
        report = with_new_class_bench(_previous(out), report["grading"], report["metrics"])
    out.write_text(json.dumps(report, indent=2, sort_keys=True))
    print(f"written {out.relative_to(REPO)}" + (" (the class bench; the rest is from the last full run)"
                                                if grading_only else ""))
    return status


def with_new_class_bench(previous: dict, grading: dict, metrics: dict) -> dict:
    """``previous`` (the last full run's report) with its class bench and that bench's metrics replaced.

    ``--grading-only`` reruns the slowest, noisiest part alone; the lessons' timings and figures
    recorded by the last full run stay as they were.
    """
    report = {key: dict(previous.get(key) or {}) for key in ("notebooks", "scoring", "grading", "metrics")}
    report["grading"].update(grading)
    report["metrics"].update(metrics)
    return report


def _previous(out: Path) -> dict:
    try:
        previous = json.loads(out.read_text())
    except (OSError, ValueError):
        return {}
    return previous if isinstance(previous, dict) else {}


def _row(name: str, seconds: float | None, budget: float, extra: str = "") -> str:
    if seconds is None:
        return f"  {name:<58} FAILED"
    flag = "ok" if seconds <= budget else f"OVER the {budget:g} s budget"
    return f"  {name:<58} {seconds:7.1f} s  {flag}  {extra}".rstrip()
