"""python -m autograder: release student notebooks, score submissions, grade a class, bench.

    python -m autograder release [SLUG ...]
    python -m autograder score NOTEBOOK [--assignment SLUG] [--json] [--unsafe-no-sandbox]
    python -m autograder grade SLUG [--course DIR] [--jobs N] [--force] [--scheduler tcp://HOST:PORT]
                                    [--unsafe-no-sandbox]
    python -m autograder bench [--grading-only] [--runs N]

Student code always runs in a bubblewrap sandbox; without bubblewrap score and grade refuse to
grade (exit status 2) unless --unsafe-no-sandbox is given.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# jsonschema, which nbformat imports, compiles rfc3987-syntax's IRI grammar at import when that
# optional package is installed (Jupyter's event schemas pull it in): 1.9 s of every command's
# start. No notebook schema checks an IRI, so these commands go without it.
sys.modules.setdefault("rfc3987_syntax", None)

from autograder.course import CHAPTERS, COURSE, NOTEBOOK, slugs

UNSAFE_HELP = ("grade without the bubblewrap sandbox: student code can then read and change anything "
               "you can; only for notebooks you trust")


def _release(args: argparse.Namespace) -> int:
    from autograder.grading import release

    for slug in args.slugs or slugs():
        # Releasing through the real course folder also registers the assignment in its gradebook.
        target = release(slug, CHAPTERS, root=COURSE)
        print(f"released {slug} -> {target.relative_to(CHAPTERS.parent)}")
    return 0


def _score(args: argparse.Namespace) -> int:
    from autograder.grading import read_submission, score

    path = Path(args.notebook)
    slug = args.assignment or path.resolve().parent.name
    if slug not in slugs():
        print(f"error: cannot tell which assignment {path} belongs to ({slug!r} is not one of "
              f"{', '.join(slugs())}); pass --assignment SLUG", file=sys.stderr)
        return 2
    result = score(path, slug, unsafe=args.unsafe_no_sandbox)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        width = max(len(gid) for gid in result["cells"])
        for gid, cell in result["cells"].items():
            note = f"  {cell['error']}" if cell["error"] else ""
            if cell.get("manual") and not cell["error"]:
                note = "  a written answer: graded by hand by the instructor"
            print(f"{gid:<{width}}  {cell['score']:g} / {cell['max_score']:g}{note}")
        print(f"{'total':<{width}}  {result['score']:g} / {result['max_score']:g}")
    try:
        read_submission(path, slug)
    except ValueError as exc:
        print(f"error: {exc}; scored 0", file=sys.stderr)
        return 1
    return 0


def _grade(args: argparse.Namespace) -> int:
    from autograder.classgrade import Progress, close_zygote, grade_class

    if args.slug not in slugs():
        print(f"error: unknown assignment {args.slug!r}; known: {', '.join(slugs())}", file=sys.stderr)
        return 2
    root = Path(args.course)
    if not list((root / "submitted").glob(f"*/{args.slug}")):
        print(f"no submissions found under {root / 'submitted'}/*/{args.slug}/", file=sys.stderr)
        return 1
    progress = Progress(0)
    try:
        outcomes = grade_class(args.slug, root, unsafe=args.unsafe_no_sandbox, jobs=args.jobs, force=args.force,
                               scheduler=args.scheduler, on_done=progress)
    finally:
        progress.finish()
        close_zygote()
    graded = sum(1 for o in outcomes.values() if o.status == "graded")
    kept = sum(1 for o in outcomes.values() if o.status == "unchanged")
    failed = sum(1 for o in outcomes.values() if o.status == "not graded")
    print(f"{graded} graded, {kept} unchanged since the last run, {failed} could not be graded "
          f"in {time.monotonic() - progress.start:.1f} s")
    print(f"grades: {root / 'grades' / (args.slug + '.csv')}")
    print(f"report: {root / 'grades' / (args.slug + '-report.html')}")
    print(f"feedback: {root / 'feedback'}/<student>/{args.slug}/{NOTEBOOK}.html")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from autograder.bench import main as bench_main

    return bench_main(grading_only=args.grading_only, runs=args.runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("release", help="regenerate chapters/<slug>/exercises.ipynb from solutions/")
    p.add_argument("slugs", nargs="*", metavar="SLUG", help="assignments to release (default: all)")
    p.set_defaults(run=_release)

    p = commands.add_parser("score", help="grade one notebook exactly as nbgrader autograde would")
    p.add_argument("notebook", help="the notebook file to grade")
    p.add_argument("--assignment", metavar="SLUG", help="default: the name of the notebook's folder")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    p.set_defaults(run=_score)

    p = commands.add_parser("grade", help="autograde a class: every submission, feedback, a CSV, a report")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--course", default=str(COURSE), help="course folder holding submitted/ (default: autograder/)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="submissions graded at once on this machine (default: one per core)")
    p.add_argument("--force", action="store_true",
                   help="regrade every submission (default: only those new or changed since the last run)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="grade on this Dask cluster instead (its workers need the venv, the repository and bubblewrap)")
    p.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    p.set_defaults(run=_grade)

    p = commands.add_parser("bench", help="time every lesson, every reference solution and a class of 24")
    p.add_argument("--grading-only", action="store_true", help="only the class benchmark (the rest of _build/bench.json is kept)")
    p.add_argument("--runs", type=int, default=3, help="runs of the class benchmark (the median is kept)")
    p.set_defaults(run=_bench)

    args = parser.parse_args(argv)
    from autograder.harness import SandboxUnavailable

    try:
        return args.run(args)
    except SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
