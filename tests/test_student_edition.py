"""The student edition (`make student`): everything a student needs, and no solution or hidden test.

The edition is built, as `make student` builds it, into a temporary folder from the book in
`_build/html` (`make test` builds the book before running this suite). The leak search is the one
tests/test_book.py runs over the book: the same telling lines of every reference solution and
hidden test, searched in every text file of the edition.
"""

from __future__ import annotations

import ast
import hashlib
import math
import os
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
import yaml
from IPython.core.inputtransformer2 import TransformerManager
from packaging.requirements import Requirement

from autograder.course import REPO, SOLUTIONS, slugs, student_notebook
from autograder.student import build, lessons, normal_name, pins
from helpers import page_text
from test_book import HTML, hidden_test_lines, normalise, notebook_text, secrets

TOP_LEVEL = {"book", "chapters", "hiddenrep", "README.md", "LICENSE.md", "pyproject.toml",
             "requirements.txt", "runtime.txt", "constraints.txt", "postBuild",
             "jupyter_server_config.py", "nbgrader_config.py"}
# Written here rather than imported from autograder.student, so that a mistake there cannot hide.
INSTRUCTOR_DIRS = {"solutions", "autograder", "tests", "mutants", "submitted", "autograded", "feedback", "grades"}
INSTRUCTOR_FILES = {"tests.py", "reference.py", "gradebook.db"}
WORD = re.compile(r"\w+")


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def text_of(path: Path) -> str | None:
    """What a reader finds in ``path``, as the book's leak test reads it; None for a binary file."""
    if path.suffix == ".html":
        return page_text(path.read_text(errors="replace"))
    if path.suffix == ".ipynb":
        return normalise(notebook_text(path))
    data = path.read_bytes()
    try:
        return None if b"\0" in data else normalise(data.decode())
    except UnicodeDecodeError:
        return None


def edition_texts(root: Path) -> dict[str, str]:
    """Every text file under ``root`` (pages, notebooks, code, scripts, styles), by relative path."""
    texts = {str(p.relative_to(root)): text_of(p) for p in files(root)}
    return {where: text for where, text in texts.items() if text}


class Corpus:
    """Texts searched for many lines at once: each text's set of words lets most searches be skipped.

    Exact: a word of a line that touches neither of its ends appears whole in any text containing
    the line, so a text lacking one of those words cannot contain it.
    """

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.words = {where: frozenset(WORD.findall(text)) for where, text in texts.items()}

    def find(self, lines: set[str]) -> list[tuple[str, str]]:
        """``(line, where)`` for every line of ``lines`` found in the text at ``where``."""
        found = []
        for line in sorted(lines):
            inner = {m.group() for m in WORD.finditer(line) if m.start() > 0 and m.end() < len(line)}
            found += [(line, where) for where, text in self.texts.items()
                      if inner <= self.words[where] and line in text]
        return found


def instructor_paths(root: Path) -> list[str]:
    """Paths under ``root`` named like the instructors' folders and files, or holding their data."""
    return [str(p.relative_to(root)) for p in files(root)
            if INSTRUCTOR_DIRS & set(p.relative_to(root).parts[:-1]) or p.name in INSTRUCTOR_FILES
            or p.suffix in {".csv", ".db"}]


def owner_name(url: str) -> str:
    return "/".join(urlparse(url).path.strip("/").split("/")[:2])


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: build the book first (`make book`; `make test` does it)")
    return build(tmp_path_factory.mktemp("edition") / "student", html=HTML)


@pytest.fixture(scope="module")
def texts(edition) -> Corpus:
    return Corpus(edition_texts(edition))


@pytest.fixture(scope="module")
def repository() -> str:
    return yaml.safe_load((REPO / "_config.yml").read_text())["repository"]["url"]


def test_edition_holds_the_book_the_notebooks_the_library_and_nothing_else(edition):
    assert {p.name for p in edition.iterdir()} == TOP_LEVEL
    assert [p.relative_to(edition / "book") for p in files(edition / "book")] == [
        p.relative_to(HTML) for p in files(HTML)], "book/ is not a copy of _build/html"
    notebooks = {p.relative_to(edition) for p in files(edition / "chapters")}
    expected = {p.relative_to(REPO) for p in lessons()} | {student_notebook(s).relative_to(REPO) for s in slugs()}
    assert notebooks == expected
    assert len(lessons()) >= len(slugs())
    for slug in slugs():
        released = edition / "chapters" / slug / "exercises.ipynb"
        assert released.read_bytes() == student_notebook(slug).read_bytes(), f"{slug}: not the released notebook"
    library = {p.relative_to(edition) for p in files(edition / "hiddenrep")}
    assert library == {p.relative_to(REPO) for p in (REPO / "hiddenrep").glob("*.py")}


def test_environment_files_pin_python_311_and_the_cpu_torch_wheel(edition, repository):
    assert (edition / "runtime.txt").read_text().strip() == "python-3.11"
    torch = pins()["torch"]
    lines = [ln for ln in (edition / "requirements.txt").read_text().splitlines() if not ln.startswith("#")]
    assert lines == ["--extra-index-url https://download.pytorch.org/whl/cpu", "-c constraints.txt",
                     f"{torch}+cpu", "."]
    assert (edition / "constraints.txt").read_text() == (REPO / "constraints.txt").read_text()
    project = tomllib.loads((edition / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["packages"] == ["hiddenrep"]
    assert project["project"]["urls"]["Homepage"] == repository
    constraints = {normal_name(ln.split("==")[0]): ln for ln in (REPO / "constraints.txt").read_text().split()}
    for dependency in project["project"]["dependencies"]:
        assert constraints.get(normal_name(dependency.split("==")[0])) == dependency, dependency


def imported_modules(edition: Path) -> set[str]:
    """Top-level modules imported by the edition's library and notebooks (magics made Python first)."""
    sources = [p.read_text() for p in (edition / "hiddenrep").glob("*.py")]
    for path in (edition / "chapters").rglob("*.ipynb"):
        cells = nbformat.read(path, as_version=4).cells
        sources += [TransformerManager().transform_cell(c.source) for c in cells if c.cell_type == "code"]
    names = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"hiddenrep"}


def installed_with(requirements: list[str]) -> set[str]:
    """Every distribution pip installs for ``requirements`` (as this venv's metadata says)."""
    seen, todo = set(), [Requirement(r).name for r in requirements]
    while todo:
        name = normal_name(todo.pop())
        if name not in seen:
            seen.add(name)
            todo += [r.name for r in map(Requirement, metadata.requires(name) or [])
                     if r.marker is None or r.marker.evaluate({"extra": ""})]
    return seen


def test_edition_dependencies_provide_every_module_students_import(edition):
    project = tomllib.loads((edition / "pyproject.toml").read_text())
    provided = installed_with(project["project"]["dependencies"])
    providers = metadata.packages_distributions()
    modules = imported_modules(edition)
    assert {"torch", "numpy", "matplotlib"} <= modules
    missing = {m: providers.get(m) for m in modules if not {normal_name(d) for d in providers.get(m, [])} & provided}
    assert not missing, f"imported by the edition but not installed by its pyproject.toml: {missing}"


def test_edition_holds_no_instructor_path_or_file(edition):
    assert not instructor_paths(edition)
    # A copy under another name is caught by its content (autograder/ also holds released notebooks).
    # The student JupyterLab settings are the one part of autograder/ that students get.
    student_lab = REPO / "autograder" / "jupyter" / "student"
    instructor = files(SOLUTIONS) + [p for p in (REPO / "autograder").rglob("*.py")
                                     if student_lab not in p.parents] + list((REPO / "tests").rglob("*.py"))
    secret = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in instructor if p.stat().st_size > 64}
    copies = [(p, secret[h]) for p in files(edition) if (h := hashlib.sha256(p.read_bytes()).hexdigest()) in secret]
    assert not copies, f"instructor files in the edition: {copies}"


@pytest.mark.parametrize("slug", slugs())
def test_no_solution_or_hidden_test_line_in_the_edition(slug, texts):
    lines = secrets(slug)
    assert len(lines) >= 10, f"{slug}: too few telling lines to make this check meaningful: {lines}"
    leaks = texts.find(lines)
    assert not leaks, "solution or hidden-test lines in the student edition:\n" + "\n".join(
        f"  {where}: {line}" for line, where in leaks[:20])


def test_the_leak_checks_find_what_is_planted(tmp_path, texts):
    """The control: the searches above do find a solution line, a hidden-test line and a path."""
    slug = slugs()[0]
    assert texts.find({"raise NotImplementedError()"}), "the stubs students get are found"
    hidden_lines = secrets(slug) & set(hidden_test_lines(slug))
    solution, hidden = min(secrets(slug) - hidden_lines), min(hidden_lines)
    (tmp_path / "chapters").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"def f(x):\n    {solution}")])
    nbformat.write(nb, tmp_path / "chapters" / "x.ipynb")
    (tmp_path / "page.html").write_text(f"<pre><span>{hidden[:5]}</span>{hidden[5:].replace('<', '&lt;')}</pre>")
    (tmp_path / "solutions" / slug).mkdir(parents=True)
    (tmp_path / "solutions" / slug / "tests.py").write_text("")
    planted = Corpus(edition_texts(tmp_path)).find({solution, hidden})
    assert sorted(planted) == sorted([(solution, "chapters/x.ipynb"), (hidden, "page.html")])
    assert instructor_paths(tmp_path) == [f"solutions/{slug}/tests.py"]


def test_readme_and_pyproject_send_students_to_the_configured_repository(edition, repository):
    readme = (edition / "README.md").read_text()
    assert f"git clone {repository}\n" in readme
    assert f'!pip install "git+{repository}@' in readme, "the Colab install cell"
    urls = re.findall(r"https?://[^\s)\]\"'<>`]+", readme)
    assert urls, "the README links nowhere"
    for url in urls:
        if "github.com" in urlparse(url).netloc:
            assert url.startswith(repository), url
        elif "/v2/gh/" in url:  # Binder
            assert f"/v2/gh/{owner_name(repository)}/" in url, url
        elif "colab" in urlparse(url).netloc:
            assert f"/github/{owner_name(repository)}/blob/" in url, url
    assert "hub.example.edu" not in readme


def test_book_buttons_point_at_the_configured_repository(edition, repository):
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    page = (edition / "book" / lessons()[0].relative_to(REPO).with_suffix(".html")).read_text()
    assert f'href="{repository}"' in page, "the repository button"
    assert f"/v2/gh/{owner_name(repository)}/" in page, "the Binder button"
    assert f"/github/{owner_name(repository)}/blob/" in page, "the Colab button"
    hub = config["launch_buttons"].get("jupyterhub_url")
    assert ("hub/user-redirect/git-pull" in page) == bool(hub), "a JupyterHub button exactly when one is configured"


def test_edition_jupyterlab_validates_with_the_grading_time_limit(edition):
    """Students start JupyterLab with the edition's settings (Binder through postBuild): Validate
    only, and the per-cell time limit grading uses, read from the files nbgrader itself reads."""
    from traitlets.config.loader import PyFileConfigLoader

    from autograder.course import LIMITS

    config = PyFileConfigLoader("nbgrader_config.py", path=str(edition)).load_config()
    assert config.Execute.timeout == math.ceil(LIMITS.cell_seconds)
    assert str(config.Execute.timeout) in config.Execute.error_on_timeout["evalue"]
    server = PyFileConfigLoader("jupyter_server_config.py", path=str(edition)).load_config()
    extensions = server.ServerApp.jpserver_extensions
    assert extensions["nbgrader.server_extensions.validate_assignment"] is True
    assert extensions["nbgrader.server_extensions.formgrader"] is False
    post = (edition / "postBuild").read_text()
    assert "jupyter_server_config.py" in post and "nbgrader_config.py" in post
    assert os.access(edition / "postBuild", os.X_OK)
    assert "--config=jupyter_server_config.py" in (edition / "README.md").read_text()
