"""The student edition: everything a student needs and nothing else, in one folder.

    python -m autograder.student [--dest DIR] [--html DIR]      (= make student)

writes ``_build/student/``, the content of the students' repository (``repository.url`` in
``_config.yml``)::

    README.md              install, open, validate, submit (from autograder/student_readme.md)
    LICENSE.md
    pyproject.toml         installs hiddenrep with the pinned libraries students need
    requirements.txt       Binder and a laptop: CPU torch, every version from constraints.txt
    runtime.txt            Binder: Python 3.11
    postBuild              Binder: the JupyterLab settings below, for the server Binder starts
    jupyter_server_config.py   JupyterLab with Validate only (`jupyter lab --config=...`)
    nbgrader_config.py     Validate's time limit, the one grading uses, written in as a number
    constraints.txt
    hiddenrep/             the course library
    chapters/<slug>/       the lessons the book lists and the released exercises.ipynb
    book/                  the built book (a copy of _build/html)

The student notebooks are copied from ``chapters/`` (``make release`` wrote them from
``solutions/``), never generated here from the solutions. Nothing from ``solutions/``, ``tests/``
or this package is copied; :func:`instructor_paths` refuses an edition that holds such a path.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import string
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import yaml

from autograder.course import LIMITS, NOTEBOOK, REPO, Limits, slugs, student_notebook, validate_settings

EDITION = REPO / "_build" / "student"
HTML = REPO / "_build" / "html"
TEMPLATE = Path(__file__).with_name("student_readme.md")

PYTHON = "3.11"  # the Python the course is tested with (runtime.txt, the README)
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # Binder has no GPU: skip the CUDA wheels
# What students' code imports (hiddenrep, the lessons, the exercises), and JupyterLab with nbgrader
# for the Validate button. Versions are not repeated here: they come from constraints.txt.
STUDENT_PACKAGES = ("torch", "numpy", "scipy", "matplotlib", "scikit-learn", "threadpoolctl", "tqdm",
                    "gensim", "pyarrow", "Faker", "num2words", "babel", "ipykernel", "jupyterlab",
                    "nbgrader")
# Folders and files of the instructors' repository that must never reach students.
INSTRUCTOR_DIRS = {"solutions", "autograder", "tests", "mutants", "submitted", "autograded", "feedback",
                   "grades", "source_with_tests"}
INSTRUCTOR_FILES = {"tests.py", "reference.py", "gradebook.db"}
# The student JupyterLab of `make lab` (autograder/jupyter/README.md): its server settings are
# copied as they are; Validate's settings are written out, the edition has no autograder package.
LAB_CONFIG = REPO / "autograder" / "jupyter" / "student" / "jupyter_server_config.py"


@dataclass(frozen=True)
class Links:
    """Where students find the edition online, all derived from ``_config.yml``."""

    repository: str  # https://github.com/OWNER/NAME
    branch: str
    binderhub: str | None
    colab: str | None
    jupyterhub: str | None

    @property
    def slug(self) -> str:
        """``owner/name`` of the GitHub repository, as Binder and Colab name it."""
        return "/".join(urlparse(self.repository).path.strip("/").removesuffix(".git").split("/")[:2])

    @property
    def name(self) -> str:
        """The repository's name: the folder ``git clone`` creates."""
        return self.slug.split("/")[-1]

    def binder(self, path: str) -> str | None:
        return self.binderhub and f"{self.binderhub}/v2/gh/{self.slug}/{self.branch}?urlpath=lab/tree/{path}"

    def colab_notebook(self, path: str) -> str | None:
        return self.colab and f"{self.colab}/github/{self.slug}/blob/{self.branch}/{path}"


def links(config: Path = REPO / "_config.yml") -> Links:
    """The student repository and launch services configured in the book's ``_config.yml``."""
    book = yaml.safe_load(config.read_text())
    repo, launch = book.get("repository") or {}, book.get("launch_buttons") or {}
    url = str(repo.get("url", "")).rstrip("/")
    if urlparse(url).netloc != "github.com" or url.count("/") < 4:
        # Binder's and Colab's links, like the book's launch buttons, name a GitHub owner/repository.
        raise ValueError(f"{config}: repository.url must be https://github.com/OWNER/NAME, not {url!r}")

    def service(key: str) -> str | None:  # an absent or empty URL means no such button
        return str(launch[key]).rstrip("/") if launch.get(key) else None

    return Links(url, str(repo.get("branch") or "main"), service("binderhub_url"), service("colab_url"),
                 service("jupyterhub_url"))


def pins(constraints: Path = REPO / "constraints.txt") -> dict[str, str]:
    """``name==version`` for every package students install, as constraints.txt pins it."""
    pinned = {}
    for line in constraints.read_text().splitlines():
        name, _, version = line.partition("==")
        pinned[normal_name(name)] = f"{name.strip()}=={version.strip()}"
    missing = [p for p in STUDENT_PACKAGES if normal_name(p) not in pinned]
    if missing:
        raise ValueError(f"{constraints} pins no version of {', '.join(missing)}")
    return {p: pinned[normal_name(p)] for p in STUDENT_PACKAGES}


def normal_name(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def lessons(repo: Path = REPO) -> list[Path]:
    """The lesson notebooks the book lists in ``_toc.yml`` (students run them on Binder or Colab)."""
    files, stack = [], [yaml.safe_load((repo / "_toc.yml").read_text())]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            files += [node["file"]] if "file" in node else []
            stack += list(node.values())
        elif isinstance(node, list):
            stack += node
    notebooks = [repo / f"{f}.ipynb" for f in files]
    return sorted(p for p in notebooks if p.exists() and p.stem != NOTEBOOK)


def readme(link: Links, repo: Path = REPO) -> str:
    """The student README: the template filled with this course's chapters and links."""
    rows = []
    for slug in slugs():
        index = repo / "chapters" / slug / "index.md"
        title = next((ln[2:].strip() for ln in index.read_text().splitlines() if ln.startswith("# ")), slug)
        path = f"chapters/{slug}/{student_notebook(slug).name}"
        launch = [f"[Binder]({link.binder(path)})"] if link.binderhub else []
        launch += [f"[Colab]({link.colab_notebook(path)})"] if link.colab else []
        rows.append(f"| {title} | [`{path}`]({path}) | {' · '.join(launch)} |")
    hub = (f"Your course also has a JupyterHub, {link.jupyterhub}: the book's launch menu opens each "
           "notebook there.\n") if link.jupyterhub else ""
    return string.Template(TEMPLATE.read_text()).substitute(
        repository=link.repository, name=link.name, branch=link.branch, python=PYTHON, hub=hub, chapters="\n".join(rows),
        binder=link.binder("chapters") or "(no BinderHub configured)")


def pyproject(link: Links, repo: Path = REPO) -> str:
    """The edition's pyproject.toml: the main project's name and version, hiddenrep only."""
    main = tomllib.loads((repo / "pyproject.toml").read_text())
    project, q = main["project"], json.dumps  # a JSON string is a valid TOML basic string
    deps = "".join(f"    {q(p)},\n" for p in pins(repo / "constraints.txt").values())
    # Colab's Python may be newer than the 3.11 the course is tested with: do not refuse it.
    return f"""\
# hiddenrep, the Hidden Representations course library, with what the lessons and exercises need.
#   pip install -r requirements.txt                 (a laptop, Binder: CPU torch, all versions pinned)
#   pip install "git+{link.repository}@{link.branch}"  (Colab)
[build-system]
requires = {q(main["build-system"]["requires"])}
build-backend = {q(main["build-system"]["build-backend"])}

[project]
name = {q(project["name"])}
version = {q(project["version"])}
description = {q(project["description"])}
readme = "README.md"
license = {q(project["license"])}
license-files = {q(project["license-files"])}
requires-python = ">={PYTHON}"
dependencies = [
{deps}]

[project.urls]
Homepage = {q(link.repository)}

[tool.setuptools]
packages = ["hiddenrep"]
"""


def requirements(repo: Path = REPO) -> str:
    """requirements.txt for Binder (repo2docker) and laptops: the CPU torch wheel, then hiddenrep."""
    torch = pins(repo / "constraints.txt")["torch"]
    return f"""\
# Binder builds from this file (and runtime.txt); on a laptop: pip install -r requirements.txt
--extra-index-url {TORCH_CPU_INDEX}
-c constraints.txt
{torch}+cpu
.
"""


def validate_config(limits: Limits = LIMITS) -> str:
    """The edition's nbgrader_config.py: the settings ``make lab`` gives Validate, as literals."""
    lines = [f"c.Execute.{name} = {value!r}" for name, value in validate_settings(limits).items()]
    return ("# nbgrader's Validate button reads this file from the folder JupyterLab was started in:\n"
            "# each cell gets the time limit grading allows it.\n"
            "c = get_config()  # noqa: F821 (provided by nbgrader's config loader)\n"
            + "\n".join(lines) + "\n")


POSTBUILD = """\
#!/bin/bash
# Binder starts JupyterLab itself: give it the student settings (Validate only, grading's time limit).
set -e
mkdir -p ~/.jupyter
cp jupyter_server_config.py nbgrader_config.py ~/.jupyter/
"""


def instructor_paths(root: Path) -> list[Path]:
    """Paths under ``root`` that belong to the instructors only (solutions, hidden tests, grading)."""
    return sorted(p for p in root.rglob("*") if INSTRUCTOR_DIRS & set(p.relative_to(root).parts[:-1])
                  or p.name in INSTRUCTOR_FILES or (p.is_dir() and p.name in INSTRUCTOR_DIRS))


def build(dest: Path = EDITION, html: Path = HTML, repo: Path = REPO) -> Path:
    """Write the student edition to ``dest`` (replacing an earlier edition there) and return it."""
    if not (html / "index.html").exists():
        raise SystemExit(f"{html}/index.html is missing: build the book first (`make book`)")
    missing = [s for s in slugs() if not student_notebook(s).exists()]
    if missing:
        raise SystemExit(f"no student notebook for {', '.join(missing)}: run `make release`")
    if dest.exists():
        # Only ever delete what an earlier build wrote, never a folder given by mistake.
        if any(dest.iterdir()) and not (dest / "hiddenrep").is_dir():
            raise SystemExit(f"{dest} exists and is not a student edition: refusing to replace it")
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    link = links(repo / "_config.yml")
    caches = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")

    shutil.copytree(html, dest / "book", ignore=caches)
    shutil.copytree(repo / "hiddenrep", dest / "hiddenrep", ignore=caches)
    for notebook in lessons(repo) + [student_notebook(s) for s in slugs()]:
        target = dest / notebook.relative_to(repo)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, target)
    for name in ("LICENSE.md", "constraints.txt"):
        shutil.copyfile(repo / name, dest / name)
    (dest / "README.md").write_text(readme(link, repo))
    (dest / "pyproject.toml").write_text(pyproject(link, repo))
    (dest / "requirements.txt").write_text(requirements(repo))
    (dest / "runtime.txt").write_text(f"python-{PYTHON}\n")
    shutil.copyfile(LAB_CONFIG, dest / LAB_CONFIG.name)
    (dest / "nbgrader_config.py").write_text(validate_config())
    (dest / "postBuild").write_text(POSTBUILD)
    (dest / "postBuild").chmod(0o755)

    leaked = instructor_paths(dest)
    if leaked:
        shutil.rmtree(dest)
        raise SystemExit("instructor files in the student edition (removed it):\n  "
                         + "\n  ".join(str(p.relative_to(dest)) for p in leaked))
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.student", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dest", type=Path, default=EDITION, help="where to write it (default: _build/student)")
    parser.add_argument("--html", type=Path, default=HTML, help="the built book (default: _build/html)")
    args = parser.parse_args(argv)
    dest = build(args.dest, args.html)
    chapters = sorted(p.parent.name for p in (dest / "chapters").glob("*/exercises.ipynb"))
    print(f"student edition: {dest} ({len(chapters)} chapters, {len(lessons())} lessons); "
          f"push it to {links().repository}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
