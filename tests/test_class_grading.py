"""Grading a whole class: in parallel, resumable, on Dask, with a report; and the zygote's isolation.

A small chapter-02 class (an honest student, a buggy one, a crashing one, a looping one, a cheater
and an unreadable notebook) is graded once in parallel. Its scores must be exactly those of grading
each student alone, and the gradebook exactly what ``nbgrader autograde`` leaves. Re-running grades
only what changed; a Dask cluster (local, loopback) gives the same results; the report's numbers
are the CSV's. Submissions forked from one zygote at the same time cannot reach each other.
"""

from __future__ import annotations

import concurrent.futures
import csv
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.classgrade import close_zygote, grade_class
from autograder.course import Limits, source_notebook
from autograder.grading import points
from autograder.harness import Zygote, grade_notebook
from helpers import cell_index, edit_cell, page_text

SLUG = "02-text-as-tensors"
# Short cells, so that the looping student costs little; parts long enough for part 6 (a small training
# run) on a busy machine.
FAST = Limits(cell_seconds=10, part_seconds=90, notebook_seconds=240, memory_bytes=1 << 30, output_chars=2000)


def reference_nb():
    return nbformat.read(source_notebook(SLUG), as_version=4)


def replace(nb, grade_id, source):
    nb.cells[cell_index(nb, grade_id)].source = source
    return nb


def add_cell(nb, code, after="setup"):
    nb.cells.insert(cell_index(nb, after) + 1, nbformat.v4.new_code_cell(code))
    return nb


def class_notebooks() -> dict[str, object]:
    buggy = reference_nb()
    edit_cell(buggy, "pad_batch", "mask[row, : len(seq)] = True", "mask[row, len(seq) :] = True")
    return {
        "ann": reference_nb(),
        "bob-buggy": buggy,
        "cy-loops": replace(reference_nb(), "char_ngrams", "while True:\n    pass"),
        "dan-crashes": replace(reference_nb(), "pad_batch", "import os\ndef pad_batch(seqs, pad_id=0):\n    os._exit(3)"),
        "eve-cheats": add_cell(replace(reference_nb(), "char_ngrams", 'def char_ngrams(word, n):\n    return ["wrong"]\n'),
                               "import hiddenrep.testing as t\nt.check_equal = lambda *a, **k: None\n"
                               f"import json\ntry:\n    json.load(open({str(source_notebook(SLUG))!r}))\n"
                               "except OSError as e:\n    print(e)"),
    }


def make_course(root: Path) -> dict[str, object]:
    notebooks = class_notebooks()
    for student, nb in notebooks.items():
        path = root / "submitted" / student / SLUG / "exercises.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    broken = root / "submitted" / "zed-broken" / SLUG / "exercises.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not a notebook")
    return notebooks


def alone(nb) -> float:
    """The score of one notebook graded on its own, in a fresh sandbox of its own."""
    report = grade_notebook(nbformat.from_dict(nb), SLUG, FAST)
    return sum(points(SLUG)[g] for g, r in report.parts.items() if r.passed)


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def gradebook_rows(root: Path, students) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {s: {(g.name, g.auto_score, g.max_score, g.needs_manual_grade)
                    for g in gb.find_submission_notebook("exercises", SLUG, s).grades} for s in students}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class") / "course"
    notebooks = make_course(root)
    outcomes = grade_class(SLUG, root, FAST, jobs=2, force=True)
    yield root, notebooks, outcomes
    close_zygote()


def test_parallel_class_equals_each_student_alone(graded_class):
    root, notebooks, outcomes = graded_class
    expected = {student: alone(nb) for student, nb in notebooks.items()}
    got = {s: o.result["score"] for s, o in outcomes.items() if s in expected}
    assert got == expected
    assert expected["eve-cheats"] < expected["ann"] and expected["bob-buggy"] < expected["ann"]
    assert outcomes["zed-broken"].status == "not graded" and outcomes["zed-broken"].result["score"] == 0
    assert "the limit for one cell" in outcomes["cy-loops"].reason
    rows = read_csv(root / "grades" / f"{SLUG}.csv")
    assert {s: float(r["score"]) for s, r in rows.items()} == {s: o.result["score"] for s, o in outcomes.items()}
    for student in notebooks:
        assert (root / "feedback" / student / SLUG / "exercises.html").exists()


def test_gradebook_is_what_nbgrader_autograde_leaves(graded_class, tmp_path):
    """The same students through nbgrader's own `autograde` (with the trusted execution step)."""
    from autograder.grading import _api, _quiet

    root, _, _ = graded_class
    students = ["bob-buggy", "eve-cheats"]
    other = tmp_path / "course"
    shutil.copytree(root / "submitted", other / "submitted")
    shutil.copyfile(Path(root) / "gradebook.db", other / "gradebook.db")
    api = _api(other, limits=FAST)
    for student in students:
        with _quiet():
            assert api.autograde(SLUG, student, force=True, create=True)["success"]
    assert gradebook_rows(other, students) == gradebook_rows(root, students)


def test_an_interrupted_run_resumes(graded_class, tmp_path):
    root, notebooks, first = graded_class
    course = tmp_path / "course"
    shutil.copytree(root, course)
    (course / "autograded" / "ann" / SLUG / "exercises.ipynb").unlink()  # as if the run stopped there
    nbformat.write(notebooks["ann"], course / "submitted" / "bob-buggy" / SLUG / "exercises.ipynb")  # resubmitted
    again = grade_class(SLUG, course, FAST, jobs=2, force=False)
    regraded = {s for s, o in again.items() if o.status == "graded"}
    assert regraded == {"ann", "bob-buggy"}
    assert again["bob-buggy"].result["score"] == first["ann"].result["score"]
    assert {s: o.result["score"] for s, o in again.items() if s != "bob-buggy"} == \
        {s: o.result["score"] for s, o in first.items() if s != "bob-buggy"}


def test_dask_run_equals_local_run(graded_class, tmp_path):
    from distributed import LocalCluster

    root, _, local = graded_class
    course = tmp_path / "course"
    shutil.copytree(root / "submitted", course / "submitted")
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        remote = grade_class(SLUG, course, FAST, force=True, scheduler=cluster.scheduler_address)
    differ = {s: (local[s].result, remote[s].result) for s in local
              if s not in remote or remote[s].result != local[s].result}
    assert set(remote) == set(local) and not differ, f"local and Dask results differ: {differ}"
    assert read_csv(course / "grades" / f"{SLUG}.csv") == read_csv(root / "grades" / f"{SLUG}.csv")
    assert gradebook_rows(course, ["ann", "eve-cheats"]) == gradebook_rows(root, ["ann", "eve-cheats"])


def test_report_numbers_equal_the_csv(graded_class):
    root, _, _ = graded_class
    page = (root / "grades" / f"{SLUG}-report.html").read_text()
    assert not re.search(r"<script|<link|@import|https?://", page), "the report must work offline"
    assert "data:image/png;base64," in page
    rows = read_csv(root / "grades" / f"{SLUG}.csv")
    scores = [float(r["score"]) for r in rows.values()]
    assert f'<b id="mean">{sum(scores) / len(scores):.2f}</b>' in page
    table = page.split('<table id="parts">')[1].split("</table>")[0]
    for part, full in points(SLUG).items():
        values = [float(r[part]) for r in rows.values()]
        mean, share = sum(values) / len(values), 100 * sum(v >= full for v in values) / len(values)
        row = table.split(f"<code>{part}</code>")[1].split("</tr>")[0]
        assert f"<td>{mean:.2f}</td><td>{share:.0f}%</td>" in row, (part, row)
    text = page_text(page)
    assert re.search(r"cy-loops.{0,200}the limit for one cell", text)  # its row of the limits table
    assert re.search(r"zed-broken.{0,80}not a valid Jupyter notebook", text)
    assert re.search(r"1× char_ngrams…:? got …,? ?expected", text)  # eve's wrong answer, inputs folded


# --- the zygote: submissions forked from it at the same time cannot reach each other -----------------

SPY = r'''
import os, signal, socket, time
facts = {"uid": os.getuid(), "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}
facts["cap_eff"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0]
facts["no_new_privs"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith("NoNewPrivs")][0]
for place in ("/tmp", "/dev/shm"):
    open(f"{place}/{WHO}-was-here", "w").write("x")
time.sleep(2)  # the other submission is running now
facts["seen"] = sorted(f for place in ("/tmp", "/dev/shm") for f in os.listdir(place) if "was-here" in f)
writable = []
for place in ("/", "/usr", "/opt/grader", "/run/grader", "/dev", "/etc"):
    try:
        open(os.path.join(place, "probe"), "w").close(); writable.append(place)
    except OSError:
        pass
facts["writable"] = writable
try:  # a hello with a made-up token: the grader must drop it
    s = socket.socket(socket.AF_UNIX); s.connect("/run/grader/s"); s.sendall(b"\0" * 64); s.close()
except OSError:
    pass
print("FACTS", facts)
if WHO == "a":
    os.kill(-1, signal.SIGKILL)  # every process it can signal
'''


def test_concurrent_submissions_of_one_zygote_are_isolated():
    notebooks = {who: add_cell(reference_nb(), f"WHO = {who!r}\n" + SPY) for who in ("a", "b")}
    with Zygote() as zygote, concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = {who: pool.submit(grade_notebook, nb, SLUG, FAST, zygote=zygote) for who, nb in notebooks.items()}
        reports = {who: f.result() for who, f in futures.items()}
        # The zygote outlives a submission that killed everything it could.
        after = grade_notebook(reference_nb(), SLUG, FAST, zygote=zygote)
    assert after.parts and all(r.passed for r in after.parts.values()), {g: r.message for g, r in after.parts.items() if not r.passed}
    assert all(r.passed for r in reports["b"].parts.values()), {g: r.message for g, r in reports["b"].parts.items() if not r.passed}
    for who, nb in notebooks.items():
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        facts = eval(re.search(r"FACTS (\{.*\})", text).group(1))
        assert facts["uid"] == 65534 and int(facts["cap_eff"], 16) == 0 and facts["no_new_privs"] == "1"
        assert facts["pids"][0] == 1 and len(facts["pids"]) < 10, facts["pids"]  # its own PID namespace only
        assert facts["seen"] == [f"{who}-was-here", f"{who}-was-here"]  # its own /tmp and /dev/shm only
        assert facts["writable"] == [], facts["writable"]
        assert reports[who].leftover_processes == 0
