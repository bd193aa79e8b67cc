"""python -m autograder: release student notebooks and score submissions.

    python -m autograder release [SLUG ...]
    python -m autograder score NOTEBOOK [--assignment SLUG] [--json] [--unsafe-no-sandbox]
    python -m autograder grade SLUG [--course DIR] [--unsafe-no-sandbox]

Student code always runs in a bubblewrap sandbox; without bubblewrap both commands refuse to grade
(exit status 2) unless --unsafe-no-sandbox is given.
    python -m autograder bench
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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
            print(f"{gid:<{width}}  {cell['score']:g} / {cell['max_score']:g}{note}")
        print(f"{'total':<{width}}  {result['score']:g} / {result['max_score']:g}")
    try:
        read_submission(path, slug)
    except ValueError as exc:
        print(f"error: {exc}; scored 0", file=sys.stderr)
        return 1
    return 0


def _grade(args: argparse.Namespace) -> int:
    from autograder.grading import grade_class

    if args.slug not in slugs():
        print(f"error: unknown assignment {args.slug!r}; known: {', '.join(slugs())}", file=sys.stderr)
        return 2
    root = Path(args.course)
    results = grade_class(args.slug, root, unsafe=args.unsafe_no_sandbox)
    if not results:
        print(f"no submissions found under {root / 'submitted'}/*/{args.slug}/", file=sys.stderr)
        return 1
    for student, result in results.items():
        errors = sum(1 for c in result["cells"].values() if c["error"])
        note = f"  ({errors} cell(s) with errors)" if errors else ""
        print(f"{student:<24} {result['score']:g} / {result['max_score']:g}{note}")
    print(f"grades: {root / 'grades' / (args.slug + '.csv')}")
    print(f"feedback: {root / 'feedback'}/<student>/{args.slug}/{NOTEBOOK}.html")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from autograder.bench import main as bench_main

    return bench_main()


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

    p = commands.add_parser("grade", help="autograde a class: every submission, feedback, a CSV")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--course", default=str(COURSE), help="course folder holding submitted/ (default: autograder/)")
    p.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    p.set_defaults(run=_grade)

    p = commands.add_parser("bench", help="time every lesson and every reference solution")
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
