"""Fixtures of the browser suite: the built book over a local HTTP server, one headless Chromium
for the whole run (no network beyond the local machine), and the summary table printed at the end.

Run it with `make browser-test` (after `make book`); Debian needs `chromium chromium-driver`.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bookcheck  # noqa: E402
from bookcheck import HTML, REPO, REPORT  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WIDTH, HEIGHT = 1366, 900


# ---------------------------------------------------------------------------------------------
# the pages

def book_pages() -> list[str]:
    """Every page of the book: the root, each file of _toc.yml, and any other page the build made
    (index, search); _static holds the theme's templates, and index.html only redirects."""
    toc = (REPO / "_toc.yml").read_text()
    listed = [m + ".html" for m in re.findall(r"^\s*(?:root|- file):\s*(\S+)\s*$", toc, flags=re.M)]
    built = [str(p.relative_to(HTML)) for p in sorted(HTML.rglob("*.html"))
             if p.relative_to(HTML).parts[0] not in {"_static", "_sources", "_images"}
             and p.relative_to(HTML) != Path("index.html")]
    return list(dict.fromkeys(listed + built))


PAGES = book_pages() if (REPO / "_toc.yml").exists() else []


# ---------------------------------------------------------------------------------------------
# the server

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Site:
    """A threaded static server over ``root`` on a free port of 127.0.0.1."""

    def __init__(self, root: Path):
        self.root = Path(root)
        handler = functools.partial(QuietHandler, directory=str(self.root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def book():
    if not (HTML / "intro.html").exists():
        pytest.fail("_build/html is missing: build the book first (`make book`; `make browser-test` does it)")
    site = Site(HTML)
    yield site
    site.close()


@pytest.fixture(scope="session")
def make_site(tmp_path_factory):
    """A copy of the book (a tree of symlinks) that a self-test may break, served on its own port."""
    sites = []

    def make(name: str) -> Site:
        root = tmp_path_factory.mktemp(name) / "html"
        shutil.copytree(HTML, root, symlinks=False, copy_function=lambda src, dst: Path(dst).symlink_to(src))
        site = Site(root)
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.close()


# ---------------------------------------------------------------------------------------------
# the browser

def chrome_options():
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={WIDTH},{HEIGHT}",
                # Offline, and visibly so: names resolve to nothing and every request that is not to
                # this machine goes to a proxy that refuses it at once (ERR_PROXY_CONNECTION_FAILED),
                # so an external request fails fast and shows in the logs instead of hanging.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
                "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1;localhost",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--no-first-run", "--disable-extensions",
                "--disable-dev-shm-usage"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return options


@pytest.fixture(scope="session")
def driver():
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: the browser suite needs Chromium and its driver "
                    "(Debian: `sudo apt-get install chromium chromium-driver`)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chrome = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=chrome_options())
    chrome.set_page_load_timeout(60)
    chrome.set_script_timeout(60)
    yield chrome
    chrome.quit()


@pytest.fixture(scope="session")
def visits(book, driver):
    """Each page of the book, loaded once for the whole suite (every check reads the same visit)."""
    cache: dict[str, bookcheck.Visit] = {}

    def get(page: str) -> bookcheck.Visit:
        if page not in cache:
            cache[page] = bookcheck.visit(driver, book.base, book.root, page)
        return cache[page]

    return get


# ---------------------------------------------------------------------------------------------
# the summary table: each test records its check (and counts) in user_properties

_results: dict[str, dict] = defaultdict(lambda: {"passed": 0, "failed": 0, "failing": [], "counts": defaultdict(int)})
_per_page: dict[str, dict[str, int]] = defaultdict(dict)
_started = time.perf_counter()


def pytest_runtest_logreport(report):
    props = dict(report.user_properties)
    check = props.get("check")
    if not check or (report.when != "call" and not report.failed):
        return
    row = _results[check]
    if report.failed:
        row["failed"] += 1
        row["failing"].append(props.get("page", report.nodeid.split("::")[-1]))
    elif report.when == "call":
        row["passed"] += 1
    for key, value in props.get("counts", {}).items():
        row["counts"][key] += value
        _per_page[props.get("page", report.nodeid)][key] = value


def pytest_terminal_summary(terminalreporter):
    if not _results:
        return
    lines = [f"{'check':<46} {'pages':>5}  {'result':<10} counts", "-" * 100]
    for check in sorted(_results):
        row = _results[check]
        total = row["passed"] + row["failed"]
        result = "pass" if not row["failed"] else f"FAIL {row['failed']}"
        counts = ", ".join(f"{k} {v}" for k, v in row["counts"].items())
        lines.append(f"{check:<46} {total:>5}  {result:<10} {counts}")
    lines.append(f"browser suite: {time.perf_counter() - _started:.0f} s")
    detail = ["", "per page (check 4 widths, check 5 training cells):",
              f"{'page':<72} {'code':>9} {'outputs':>9} {'training':>9}"]
    for page, counts in sorted(_per_page.items()):
        if "code overflowing" in counts or "training cells" in counts:
            detail.append(f"{page:<72} {counts.get('code overflowing', 0):>4}/{counts.get('code blocks', 0):<4}"
                          f" {counts.get('outputs overflowing', 0):>4}/{counts.get('outputs', 0):<4}"
                          f" {counts.get('without summary', 0):>4}/{counts.get('training cells', 0):<4}")
    failing = ["", "failing pages:"] + [f"  {check}: {', '.join(_results[check]['failing'])}"
                                         for check in sorted(_results) if _results[check]["failing"]]
    terminalreporter.write_sep("=", "browser checks")
    for line in lines:
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(per-page counts and failing pages: {REPORT.relative_to(REPO)})")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines + detail + failing) + "\n")
