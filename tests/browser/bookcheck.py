"""What the browser suite looks at in a page, and the rules each check applies to it.

A page is loaded once (:func:`visit`); one script then reads everything the checks need from the
rendered DOM (formulas, links, images, widths of code and outputs, notebook cells, download
links), and the browser's console and network logs are drained. The ``*_problems`` functions turn
one visit into a list of readable problems: an empty list is a pass. The same functions run on the
real book and on the deliberately broken pages of ``test_selftest.py``.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from test_book import normalise, notebook_text, secrets  # noqa: E402  (the leak rule of make test)

from autograder.course import REPO, slugs  # noqa: E402

HTML = REPO / "_build" / "html"
REPORT = REPO / "_build" / "browser-report.txt"

# Waits for the page, its images and MathJax's first typesetting pass, then a short settle so that
# errors logged just after load reach the console log.
WAIT_JS = r"""
const done = arguments[arguments.length - 1];
const sleep = ms => new Promise(r => setTimeout(r, ms));
const timeout = (p, ms) => Promise.race([p, sleep(ms)]);
(async () => {
  while (document.readyState !== "complete") await sleep(50);
  const images = [...document.images].map(img => {
    img.loading = "eager";
    return img.complete ? null : new Promise(r => { img.onload = img.onerror = r; });
  }).filter(Boolean);
  await timeout(Promise.all(images), 10000);
  if (document.querySelector(".math")) {
    // MathJax is loaded with `defer`; give it time to appear, then wait for its first pass.
    for (let i = 0; i < 100 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
      await sleep(100);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise)
      await timeout(MathJax.startup.promise, 20000);
  }
  await sleep(300);
  done(true);
})();
"""

COLLECT_JS = r"""
const visible = el => el.getClientRects().length > 0;
const first = (el, n = 80) => (el.textContent || "").trim().split("\n")[0].slice(0, n);
const out = {url: location.href, title: document.title, innerWidth: innerWidth,
             icon: !!document.querySelector("link[rel~='icon']")};

// 2. formulas
out.math = [...document.querySelectorAll(".math")].map(el => ({
  typeset: !!el.querySelector("mjx-container"), text: el.textContent.trim().slice(0, 80)}));
out.merror = [...document.querySelectorAll("mjx-merror, merror, [data-mjx-error]")].map(
  el => (el.getAttribute("data-mjx-error") || el.textContent).slice(0, 120));
const skip = "pre, code, script, style, textarea, noscript, mjx-container, .math, .highlight";
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode(n) {
  const p = n.parentElement;
  return !p || p.closest(skip) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT; }});
out.text_nodes = [];
for (let n; (n = walker.nextNode());) if (/[$\\]/.test(n.nodeValue)) out.text_nodes.push(n.nodeValue);

// 3. links and images
out.links = [...document.querySelectorAll("a[href]")].map(a => ({
  href: a.getAttribute("href"), abs: a.href, text: first(a, 60)}));
out.images = [...document.images].map(img => ({
  src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth, alt: img.alt}));

// 4. widths: code blocks, and each output of a notebook cell with what it contains
const overflows = el => el.scrollWidth > el.clientWidth + 1;
const measure = el => ({scroll: el.scrollWidth, client: el.clientWidth, text: first(el)});
out.code = [...document.querySelectorAll("div.highlight pre")]
  .filter(el => !el.closest(".cell_output") && visible(el))
  .map(el => Object.assign(measure(el), {overflow: overflows(el),
                                         in_cell: !!el.closest(".cell_input")}));
out.outputs = [...document.querySelectorAll(".cell_output > *:not(script), .output")]
  .filter((el, i, all) => visible(el) && !all.some(o => o !== el && o.contains(el)))
  .map(el => {
    const parts = [el, ...el.querySelectorAll("pre, table, .highlight, img, svg")];
    const worst = parts.reduce((a, b) => (b.scrollWidth - b.clientWidth > a.scrollWidth - a.clientWidth ? b : a));
    return Object.assign(measure(worst), {overflow: parts.some(p => p.tagName !== "IMG" && overflows(p)),
                                          text: first(el)});
  });
// display equations, measured against the column their block gets
out.equations = [...document.querySelectorAll('mjx-container[display="true"]')]
  .filter(visible)
  .map(m => { const box = m.closest(".math") || m.parentElement;
              return {scroll: m.scrollWidth, client: box.clientWidth, text: first(box),
                      overflow: m.scrollWidth > box.clientWidth + 1}; });

// 5. notebook cells: the visible source, the progress widgets and the text a reader sees
out.cells = [...document.querySelectorAll("div.cell")].map(c => {
  const input = c.querySelector(".cell_input pre");
  const outputs = [...c.querySelectorAll(".cell_output")];
  return {source: input ? input.textContent : "", classes: c.className,
          widget: !!c.querySelector(".cell_output script[type='application/vnd.jupyter.widget-view+json']"),
          output_text: outputs.map(o => o.innerText).join("\n")};
});

// 6. what the download button offers
out.downloads = [...new Set([...document.querySelectorAll(
  "a.btn-download-source-button, .dropdown-download-buttons a[href], a[download], a[href$='.ipynb']")]
  .map(a => a.href))];
return out;
"""


@dataclass
class Visit:
    page: str  # path under the site root, e.g. chapters/02-text-as-tensors/exercises.html
    base: str  # http://127.0.0.1:PORT/
    root: Path  # the folder the server serves
    missing: bool = False
    seconds: float = 0.0
    data: dict = field(default_factory=dict)
    console: list[dict] = field(default_factory=list)  # SEVERE browser-log entries
    requests: list[str] = field(default_factory=list)  # every URL the page asked for


def drain(driver) -> tuple[list[dict], list[str]]:
    console = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message.get("method") == "Network.webSocketCreated":
            urls.append(message["params"]["url"])
    return console, urls


def visit(driver, base: str, root: Path, page: str) -> Visit:
    """Load ``page`` once and read everything the checks need."""
    v = Visit(page=page, base=base, root=root)
    if not (root / page).is_file():
        v.missing = True
        return v
    drain(driver)  # whatever an earlier page left in the logs
    start = time.perf_counter()
    driver.get(base + page)
    driver.execute_async_script(WAIT_JS)
    v.data = driver.execute_script(COLLECT_JS)
    v.console, v.requests = drain(driver)
    v.seconds = time.perf_counter() - start
    return v


def missing(v: Visit) -> list[str]:
    return [f"{v.page} is not in the build (listed in _toc.yml)"] if v.missing else []


# ---------------------------------------------------------------------------------------------
# 1. console errors and requests that leave the local server

def is_local(url: str, base: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about", "javascript", "chrome", "chrome-extension", ""}:
        return True
    return parts.scheme in {"http", "https", "ws", "wss"} and parts.netloc == urlsplit(base).netloc


def console_problems(v: Visit) -> list[str]:
    if v.missing:
        return missing(v)
    problems = []
    for entry in v.console:
        message = entry["message"]
        # Chromium asks for /favicon.ico by itself when a page declares no icon: not the page's doing.
        if not v.data.get("icon") and message.startswith(v.base + "favicon.ico "):
            continue
        problems.append(f"console error: {message[:300]}")
    problems += [f"request to another host: {url[:200]}" for url in v.requests if not is_local(url, v.base)]
    return problems


# ---------------------------------------------------------------------------------------------
# 2. formulas

RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\\(?:frac|sum|mathbf|mathrm|left|right|sqrt)\b"
                     r"|\$[^$\s](?:[^$]*?[^$\s\\])?\$")


def math_problems(v: Visit) -> list[str]:
    if v.missing:
        return missing(v)
    d = v.data
    problems = [f"formula not typeset: {m['text']!r}" for m in d["math"] if not m["typeset"]]
    problems += [f"MathJax error: {e!r}" for e in d["merror"]]
    for text in d["text_nodes"]:
        match = RAW_TEX.search(text)
        if match:
            start = max(match.start() - 30, 0)
            problems.append(f"raw TeX in the text: {normalise(text[start:match.end() + 30])!r}")
    return problems


# ---------------------------------------------------------------------------------------------
# 3. links and images

@functools.lru_cache(maxsize=None)
def anchors(path: Path) -> frozenset[str]:
    markup = path.read_text(errors="replace")
    return frozenset(unquote(m) for m in re.findall(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""", markup))


def local_target(url: str, v: Visit) -> Path:
    path = unquote(urlsplit(url).path).lstrip("/")
    target = v.root / path
    return target / "index.html" if url.split("#")[0].endswith("/") or target.is_dir() else target


def link_problems(v: Visit) -> list[str]:
    if v.missing:
        return missing(v)
    problems, seen = [], set()
    for link in v.data["links"]:
        url, href = link["abs"], link["href"]
        if (url, href) in seen or not is_local(url, v.base) or urlsplit(url).scheme not in {"http", "https"}:
            continue
        seen.add((url, href))
        target = local_target(url, v)
        fragment = unquote(urlsplit(url).fragment)
        if not target.is_file():
            problems.append(f"broken link {href!r} ({link['text']!r}): no file {target.relative_to(v.root)}")
        elif fragment and target.suffix == ".html" and fragment not in anchors(target):
            problems.append(f"broken anchor {href!r} ({link['text']!r}): no id {fragment!r} in "
                            f"{target.relative_to(v.root)}")
    for img in v.data["images"]:
        if not img["complete"] or img["width"] == 0:
            problems.append(f"image does not load: {img['src'][:200]} (alt {img['alt']!r})")
    return problems


# ---------------------------------------------------------------------------------------------
# 4. horizontal scrolling at the suite's window width

def overflow_counts(v: Visit) -> dict[str, int]:
    if v.missing:
        return {"code": 0, "code_total": 0, "outputs": 0, "outputs_total": 0, "equations": 0,
                "equations_total": 0}
    d = v.data
    return {"code": sum(c["overflow"] for c in d["code"]), "code_total": len(d["code"]),
            "outputs": sum(o["overflow"] for o in d["outputs"]), "outputs_total": len(d["outputs"]),
            "equations": sum(e["overflow"] for e in d["equations"]), "equations_total": len(d["equations"])}


def overflow_problems(v: Visit) -> list[str]:
    if v.missing:
        return missing(v)
    problems = [f"code scrolls sideways ({c['scroll']} px of content in {c['client']} px): {c['text']!r}"
                for c in v.data["code"] if c["overflow"]]
    problems += [f"output scrolls sideways ({o['scroll']} px of content in {o['client']} px): {o['text']!r}"
                 for o in v.data["outputs"] if o["overflow"]]
    problems += [f"equation wider than the page ({e['scroll']} px in {e['client']} px): {e['text']!r}"
                 for e in v.data["equations"] if e["overflow"]]
    return problems


# ---------------------------------------------------------------------------------------------
# 5. training cells and their one-line summary

TRAIN_NAME = re.compile(r"^train(_\w+)?$")
NOT_TRAINING = {"train_test_split"}
PROGRESS_TEXT = re.compile(r"\d+%\|| \d+(\.\d+)?(it|s)/(s|it)\]")
SUMMARY_WORK = re.compile(r"\b\d[\d,]*\s*(?:[x×]\s*\d[\d,]*\s*)?(?:steps?|epochs?|passes|iterations?|updates?|batches|pairs|examples|tokens)\b")
SUMMARY_TIME = re.compile(r"\b\d+(?:\.\d+)?\s*(?:s|ms|sec|seconds?|min|minutes?)\b")
SUMMARY_METRIC = re.compile(r"\b(?:loss|accuracy|acc|error|perplexity|ppl|f1|score|evaluation|eval|nll|elbo"
                            r"|mse|rmse|rho|spearman|bits)\b[^\n\d]{0,40}\d", re.I)


def training_calls(source: str) -> list[str]:
    """The ``train`` / ``train_*`` functions a cell calls itself (not inside a function it only
    defines); ``model.train()`` with no argument switches a mode and does not count."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return [m for m in re.findall(r"(?<![\w.])(train(?:_\w+)?)\(", code) if m not in NOT_TRAINING]
    calls = []

    class Calls(ast.NodeVisitor):
        def visit_FunctionDef(self, node):  # a definition trains nothing until it is called
            pass

        visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

        def visit_Call(self, node):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            mode_switch = isinstance(f, ast.Attribute) and not node.args and not node.keywords
            if name and TRAIN_NAME.match(name) and name not in NOT_TRAINING and not mode_switch:
                calls.append(name)
            self.generic_visit(node)

    Calls().visit(tree)
    return calls


def is_training_cell(cell: dict) -> bool:
    """A cell trains a model when it calls a ``train*`` function, or when its output holds a
    progress bar (a tqdm widget, which a static page cannot draw, or tqdm's text bar)."""
    return bool(training_calls(cell["source"]) or cell["widget"] or PROGRESS_TEXT.search(cell["output_text"]))


def has_summary(text: str) -> bool:
    return any(SUMMARY_WORK.search(line) and SUMMARY_TIME.search(line) and SUMMARY_METRIC.search(line)
               for line in text.splitlines())


@functools.lru_cache(maxsize=1)
def unexecuted_patterns() -> tuple[str, ...]:
    """The notebooks the book shows without running them (_config.yml execute.exclude_patterns)."""
    import yaml

    config = yaml.safe_load((REPO / "_config.yml").read_text())
    return tuple((config.get("execute") or {}).get("exclude_patterns") or ())


def executed(page: str) -> bool:
    from fnmatch import fnmatch

    source = page.removesuffix(".html") + ".ipynb"
    return not any(fnmatch(source, pattern) or fnmatch("/" + source, pattern.replace("**/", "*/"))
                   for pattern in unexecuted_patterns())


def training_cells(v: Visit) -> list[dict]:
    """Training cells of a page the build executes (exercise notebooks are shown unrun, by design)."""
    if not executed(v.page):
        return []
    return [c for c in v.data.get("cells", []) if is_training_cell(c)]


def training_problems(v: Visit) -> list[str]:
    if v.missing:
        return missing(v)
    problems = []
    for cell in training_cells(v):
        if not has_summary(cell["output_text"]):
            shown = normalise(cell["output_text"])[:100] or "no visible output"
            call = ", ".join(sorted(set(training_calls(cell["source"])))) or "progress bar"
            problems.append(f"training cell ({call}) shows no one-line summary with steps, time and "
                            f"loss: {normalise(cell['source'])[:80]!r} -> {shown!r}")
    return problems


# ---------------------------------------------------------------------------------------------
# 6. downloadable notebooks

@functools.lru_cache(maxsize=1)
def all_secrets() -> frozenset[str]:
    """Every solution and hidden-test line tests/test_book.py calls telling, over all chapters."""
    return frozenset(line for slug in slugs() for line in secrets(slug))


def file_text(path: Path) -> str:
    if path.suffix == ".ipynb":
        return normalise(notebook_text(path))
    return normalise(path.read_text(errors="replace"))


def leaks(path: Path, lines: frozenset[str] | None = None) -> list[str]:
    text = file_text(path)
    return sorted(line for line in (all_secrets() if lines is None else lines) if line in text)


def download_problems(v: Visit, lines: frozenset[str] | None = None) -> list[str]:
    if v.missing:
        return missing(v)
    problems = []
    for url in v.data["downloads"]:
        if not is_local(url, v.base):  # Binder/Colab launch links end in .ipynb too: not a download
            continue
        target = local_target(url, v)
        if not target.is_file():
            problems.append(f"download is missing: {url}")
            continue
        problems += [f"{target.relative_to(v.root)} holds a solution or hidden-test line: {line!r}"
                     for line in leaks(target, lines)[:10]]
    return problems
