"""`make bench`: time every lesson and every reference solution, collect the lessons' metrics.

Writes ``_build/bench.json`` = ``{"notebooks": {PATH: {"seconds": s}}, "scoring": {SLUG: {"seconds":
s, "score": x, "max_score": y}}, "metrics": {NAME: number}}`` and prints the same as a table.
Budgets (a lesson <= 60 s, scoring one submission <= 30 s on 2 cores) are reported, not asserted.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder.course import CHAPTERS, REPO, slugs, source_notebook
from hiddenrep.bench import BENCH_ENV

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


def main() -> int:
    out = REPO / "_build" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    report: dict[str, dict] = {"notebooks": {}, "scoring": {}, "metrics": {}}
    with tempfile.TemporaryDirectory() as tmp:
        metrics = Path(tmp) / "metrics.json"
        os.environ[BENCH_ENV] = str(metrics)  # lesson kernels inherit it; hiddenrep.bench.record writes there
        for path in lessons():
            name = str(path.relative_to(REPO))
            try:
                report["notebooks"][name] = {"seconds": round(run_lesson(path), 2)}
            except Exception as exc:  # report the failure and go on timing the rest
                report["notebooks"][name] = {"seconds": None, "error": str(exc).splitlines()[0][:200]}
            print(_row(name, report["notebooks"][name]["seconds"], LESSON_BUDGET), flush=True)
        if metrics.exists():
            report["metrics"] = json.loads(metrics.read_text())
    for slug in slugs():
        report["scoring"][slug] = result = time_scoring(slug)
        print(_row(f"score {slug}", result["seconds"], SCORING_BUDGET,
                   f"{result['score']:g}/{result['max_score']:g}"), flush=True)
    for name, value in sorted(report["metrics"].items()):
        print(f"  {name:<58} {value:.4g}")
    out.write_text(json.dumps(report, indent=2, sort_keys=True))
    print(f"written {out.relative_to(REPO)}")
    # Budgets are reported, not enforced; a lesson that fails to run is an error.
    return 1 if any(r.get("error") for r in report["notebooks"].values()) else 0


def _row(name: str, seconds: float | None, budget: float, extra: str = "") -> str:
    if seconds is None:
        return f"  {name:<58} FAILED"
    flag = "ok" if seconds <= budget else f"OVER the {budget:g} s budget"
    return f"  {name:<58} {seconds:7.1f} s  {flag}  {extra}".rstrip()
