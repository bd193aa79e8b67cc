"""python -m autograder: release student notebooks and score submissions.

    python -m autograder release [SLUG ...]
    python -m autograder score NOTEBOOK [--assignment SLUG] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from autograder.course import CHAPTERS, COURSE, slugs


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
    result = score(path, slug)
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
    p.set_defaults(run=_score)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
