"""The adversarial battery: submissions that cheat, break things or are honest but unlucky.

Every case is a chapter-02 notebook (14 points: 2 + 3 + 2 + 2 + 3 + 2) built here from the
reference solution, graded by the trusted harness, and checked for its exact score and for the
message on every part it loses. The cases that attack nbgrader's own bookkeeping (tags, outputs,
the gradebook, feedback pages) go through ``nbgrader autograde`` as an instructor's run would.
"""

from __future__ import annotations

import copy
import csv
import os
import re
import signal
import time
from pathlib import Path

import nbformat
import pytest

from autograder.course import REPO, Limits, source_notebook
from autograder.grading import grade_class, manual_parts, points, score
from autograder.harness import Sandbox, SandboxFault, Zygote, grade_notebook
from helpers import cell_index, edit_cell, page_text

SLUG = "02-text-as-tensors"
POINTS = {g: p for g, p in points(SLUG).items() if g not in manual_parts(SLUG)}  # written answers: by hand
FULL = sum(POINTS.values())
# The battery grades with 4-second parts so that its looping cases stay fast. The one part that trains a
# model needs longer; it is graded with the course's limits in the reference, mutant and class tests.
BATTERY = {g: p for g, p in POINTS.items() if g != "test_sentiment_predictions"}
FULL_FAST = sum(BATTERY.values())
# Short limits keep the looping cases fast; the defaults are the course's (autograder/course.py).
FAST = Limits(cell_seconds=3, part_seconds=4, notebook_seconds=60, memory_bytes=1 << 30, output_chars=2000)
SOLUTIONS_NB = str(source_notebook(SLUG))


def reference_nb():
    return nbformat.read(source_notebook(SLUG), as_version=4)


def replace_answer(nb, grade_id: str, source: str):
    nb.cells[cell_index(nb, grade_id)].source = source
    return nb


def prepend_to_answer(nb, grade_id: str, code: str):
    cell = nb.cells[cell_index(nb, grade_id)]
    cell.source = code + "\n" + cell.source
    return nb


def add_cell(nb, code: str, after: str = "setup"):
    nb.cells.insert(cell_index(nb, after) + 1, nbformat.v4.new_code_cell(code))
    return nb


WRONG_NGRAMS = 'def char_ngrams(word, n):\n    return ["wrong"]\n'


def grade(nb, limits: Limits = FAST):
    report = grade_notebook(nb, SLUG, limits, only=set(BATTERY))
    total = sum(BATTERY[g] for g, r in report.parts.items() if r.passed)
    lost = {g: r.message for g, r in report.parts.items() if not r.passed}
    return total, lost, report


# Each case: (name, build the submission, expected score, {lost part: regex its message must match}).
CASES = [
    ("reference", lambda: reference_nb(), FULL_FAST, {}),
    # --- cheating routes -----------------------------------------------------------------------
    ("imports the reference loader",
     lambda: replace_answer(reference_nb(), "char_ngrams",
                            'from autograder import reference\nchar_ngrams = reference("02-text-as-tensors", "char_ngrams")'),
     FULL_FAST - 2, {"test_char_ngrams": r"char_ngrams is not defined in your notebook"}),
    ("reads the solutions notebook",
     lambda: replace_answer(reference_nb(), "char_ngrams",
                            f"import json\nsrc = json.load(open({SOLUTIONS_NB!r}))\n"
                            "exec(''.join(src['cells'][4]['source']))"),
     FULL_FAST - 2, {"test_char_ngrams": r"char_ngrams is not defined in your notebook"}),
    ("writes into solutions/ and the course folder",
     lambda: add_cell(reference_nb(),
                      f"for p in [{SOLUTIONS_NB!r}, {str(REPO / 'autograder' / 'gradebook.db')!r}]:\n"
                      "    try:\n        open(p, 'w').write('{}')\n    except OSError as e:\n        print(e)"),
     FULL_FAST, {}),
    ("patches the check helpers",
     lambda: add_cell(replace_answer(reference_nb(), "char_ngrams", WRONG_NGRAMS),
                      "import hiddenrep.testing as t\nt.check_equal = lambda *a, **k: None\n"
                      "t.check_tensor = lambda *a, **k: None"),
     FULL_FAST - 2, {"test_char_ngrams": r"char_ngrams\('.*', \d\): got \['wrong'\], expected"}),
    ("reads the expected value from the caller's frame",
     lambda: replace_answer(reference_nb(), "char_ngrams",
                            "import inspect\ndef char_ngrams(word, n):\n"
                            "    for f in inspect.stack():\n"
                            "        for k in ('expected', 'ref', 'reference'):\n"
                            "            if k in f.frame.f_locals:\n"
                            "                v = f.frame.f_locals[k]\n"
                            "                return v(word, n) if callable(v) else v\n"
                            "    return []"),
     FULL_FAST - 2, {"test_char_ngrams": r"char_ngrams\(.*\): got \[\], expected"}),
    ("returns an object whose comparisons lie",
     lambda: replace_answer(reference_nb(), "char_ngrams",
                            "class Liar(list):\n    def __eq__(self, other): return True\n"
                            "    def __ne__(self, other): return False\n"
                            "def char_ngrams(word, n):\n    return Liar()"),
     FULL_FAST - 2, {"test_char_ngrams": r"got <Liar from your code>, expected"}),
    ("returns a tensor subclass that lies",
     lambda: replace_answer(reference_nb(), "bag_of_words",
                            "import torch\nclass Liar(torch.Tensor):\n"
                            "    def __eq__(self, other): return torch.ones_like(other, dtype=torch.bool)\n"
                            "def bag_of_words(ids, vocab_size, pad_id=0):\n    return torch.zeros(3).as_subclass(Liar)"),
     FULL_FAST - 2, {"test_bag_of_words": r"expected a torch.Tensor, got Remote"}),
    ("swallows errors with an IPython hook",
     lambda: add_cell(replace_answer(reference_nb(), "char_ngrams", WRONG_NGRAMS),
                      "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)"),
     FULL_FAST - 2, {"test_char_ngrams": r"got \['wrong'\]"}),
    ("kills its own supervisor",
     lambda: replace_answer(reference_nb(), "bag_of_words",
                            "import os, signal\ndef bag_of_words(ids, vocab_size, pad_id=0):\n"
                            "    os.kill(os.getppid(), signal.SIGKILL)\n    os._exit(1)"),
     None, {"test_bag_of_words": r"died|stopped responding"}),
    ("closes the grader's connection",
     lambda: replace_answer(reference_nb(), "bag_of_words",
                            "import gc, socket\ndef bag_of_words(ids, vocab_size, pad_id=0):\n"
                            "    for o in gc.get_objects():\n"
                            "        if isinstance(o, socket.socket):\n            o.close()\n    return None"),
     FULL_FAST - 2, {"test_bag_of_words": r"died|cannot read|could not be read"}),
    ("tries the network",
     lambda: add_cell(reference_nb(),
                      "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 80), timeout=1)\n"
                      "    print('online')\nexcept OSError as e:\n    print('offline', e)"),
     FULL_FAST, {}),
    ("forges a verdict in its own test cell",
     lambda: _forged_outputs(replace_answer(reference_nb(), "char_ngrams", WRONG_NGRAMS)),
     FULL_FAST - 2, {"test_char_ngrams": r"got \['wrong'\]"}),
    # --- honest work that must not lose points ---------------------------------------------------
    ("prints warnings and writes to stderr",
     lambda: prepend_to_answer(reference_nb(), "char_ngrams",
                               "import sys, warnings\nwarnings.warn('careful')\nprint('debug', file=sys.stderr)"),
     FULL_FAST, {}),
    ("warns inside the graded function",
     lambda: replace_answer(reference_nb(), "char_ngrams",
                            "import warnings\ndef char_ngrams(word, n):\n    warnings.warn('slow')\n"
                            "    marked = f'<{word}>'\n    return [marked[i:i + n] for i in range(len(marked) - n + 1)]"),
     FULL_FAST, {}),
    ("quotes the grader's markers in a comment",
     lambda: prepend_to_answer(reference_nb(), "char_ngrams",
                               "# ### BEGIN HIDDEN TESTS\n# ### END SOLUTION\n# ### BEGIN SOLUTION"),
     FULL_FAST, {}),
    ("edits a visible test cell",
     lambda: replace_answer(reference_nb(), "test_char_ngrams", "pass"),
     FULL_FAST, {}),
    ("adds scratch cells that fail",
     lambda: add_cell(add_cell(reference_nb(), "1 / 0", after="char_ngrams"), "undefined_name", after="pad_batch"),
     FULL_FAST, {}),
    # --- robustness: a fault costs its own part, in bounded time ---------------------------------
    ("loops forever inside a graded function",
     lambda: replace_answer(reference_nb(), "char_ngrams", "def char_ngrams(word, n):\n    while True:\n        pass"),
     FULL_FAST - 2, {"test_char_ngrams": r"did not finish within the time limit of 4 s"}),
    ("loops with a bare except that swallows interrupts",
     lambda: replace_answer(reference_nb(), "pad_batch",
                            "import time\ndef pad_batch(seqs, pad_id=0):\n    while True:\n"
                            "        try:\n            time.sleep(0.1)\n        except:\n            pass"),
     FULL_FAST - 3, {"test_pad_batch": r"did not finish within the time limit"}),
    ("loops forever at the top of an answer cell",
     lambda: prepend_to_answer(reference_nb(), "encode_decode", "while True:\n    pass"),
     FULL_FAST - 2, {"test_encode_decode": r"encode is not defined in your notebook"}),
    ("exits Python inside a graded function",
     lambda: replace_answer(reference_nb(), "pad_batch", "import os\ndef pad_batch(seqs, pad_id=0):\n    os._exit(3)"),
     FULL_FAST - 3, {"test_pad_batch": r"the Python process died while running pad_batch"}),
    ("exits Python in an answer cell",
     lambda: prepend_to_answer(reference_nb(), "bag_of_words", "import os\nos._exit(1)"),
     FULL_FAST - 2, {"test_bag_of_words": r"bag_of_words is not defined in your notebook"}),
    ("segfaults",
     lambda: replace_answer(reference_nb(), "bag_of_words",
                            "import ctypes\ndef bag_of_words(ids, vocab_size, pad_id=0):\n    ctypes.string_at(0)"),
     FULL_FAST - 2, {"test_bag_of_words": r"the Python process died while running bag_of_words"}),
    ("allocates far too much at once",
     lambda: replace_answer(reference_nb(), "bag_of_words",
                            "import torch\ndef bag_of_words(ids, vocab_size, pad_id=0):\n    return torch.ones(2**34)"),
     FULL_FAST - 2, {"test_bag_of_words": r"bag_of_words raised RuntimeError: .*(alloc|memory)"}),
    ("grows its memory step by step in child processes",
     lambda: replace_answer(reference_nb(), "bag_of_words",
                            "import os, time\ndef bag_of_words(ids, vocab_size, pad_id=0):\n    blocks = []\n"
                            "    for _ in range(4):\n        if os.fork() == 0:\n"
                            "            blocks.append(bytearray(400 * 2**20)); time.sleep(30); os._exit(0)\n"
                            "    time.sleep(30)"),
     FULL_FAST - 2, {"test_bag_of_words": r"used more than 1 GiB of memory"}),
    ("starts a fork bomb",
     lambda: replace_answer(reference_nb(), "bag_of_words",
                            "import os, time\ndef bag_of_words(ids, vocab_size, pad_id=0):\n"
                            "    for _ in range(12):\n        os.fork()\n    time.sleep(30)"),
     None, {"test_bag_of_words": r"more than 200 processes|did not finish within the time limit"}),
    ("prints without end",
     lambda: prepend_to_answer(reference_nb(), "char_ngrams", "print('x' * 50_000_000)"),
     FULL_FAST, {}),
    ("spends the whole time budget",
     lambda: _slow_everywhere(reference_nb()),
     None, {"test_bag_of_words": r"not graded: grading this notebook took longer than its budget of 8 s"}),
]


def _forged_outputs(nb):
    cell = nb.cells[cell_index(nb, "test_char_ngrams")]
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1),
                    nbformat.v4.new_output("stream", name="stdout", text="char_ngrams: passed\n")]
    return nb


def _slow_everywhere(nb):
    for gid in ["char_ngrams", "build_vocab", "encode_decode", "bag_of_words"]:
        prepend_to_answer(nb, gid, "import time\ntime.sleep(2.5)")
    return nb


@pytest.mark.parametrize("name, build, expected, lost", CASES, ids=[c[0] for c in CASES])
def test_battery(name, build, expected, lost):
    limits = Limits(**{**FAST.__dict__, "notebook_seconds": 8}) if "budget" in name else FAST
    start = time.monotonic()
    total, messages, report = grade(build(), limits)
    elapsed = time.monotonic() - start
    for part, pattern in lost.items():
        assert part in messages, f"{name}: {part} should lose its points; lost: {messages}"
        assert re.search(pattern, messages[part]), f"{name}: {part}: {messages[part]!r}"
    if expected is not None:
        assert total == expected, f"{name}: scored {total}, expected {expected}; lost: {messages}"
        assert set(messages) == set(lost), f"{name}: unexpected losses {messages}"
    # Every fault is bounded: limits of 3-4 s per cell or part, 60 s per notebook; nothing outlives it.
    assert elapsed < 60, f"{name}: grading took {elapsed:.0f} s"
    assert report.leftover_processes == 0, f"{name}: processes left running after grading"


def test_output_is_cut_to_the_limit():
    nb = prepend_to_answer(reference_nb(), "char_ngrams", "print('x' * 5_000_000)")
    grade_notebook(nb, SLUG, FAST)
    text = "".join(o.get("text", "") for o in nb.cells[cell_index(nb, "char_ngrams")].outputs)
    assert len(text) < FAST.output_chars + 200
    assert "output cut: 4,998,001 more characters" in text


def test_parts_cannot_see_each_others_changes():
    # A graded call that breaks shared state (here: a global the next part relies on) changes nothing
    # for the next part: every part starts from the notebook's own final state.
    nb = replace_answer(reference_nb(), "bag_of_words",
                        "import torch\ndef bag_of_words(ids, vocab_size, pad_id=0):\n    global PAD\n"
                        "    PAD = 'broken'\n    counts = torch.zeros(ids.shape[0], vocab_size)\n"
                        "    counts.scatter_add_(1, ids, torch.ones(ids.shape))\n"
                        "    counts[:, pad_id] = 0\n    return counts")
    total, messages, _ = grade(nb)
    assert total == FULL_FAST, messages


def test_a_crash_the_sandbox_reports_before_the_kill_arrives_shifts_no_later_reply():
    # After a part's process dies, the grader asks its parent to kill it. The parent may already
    # have seen the death and said so; the kill then arrives late, and answering it would hand
    # every later request the reply meant for the one before.
    with Sandbox(FAST) as sandbox:
        assert sandbox.run_cell("x = 41", time.monotonic() + 10).error is None
        for code in (3, 4, 5):
            child = sandbox.fork(time.monotonic() + 10)
            with pytest.raises(EOFError):
                child.request({"op": "cell", "source": f"import os; os._exit({code})"},
                              deadline=time.monotonic() + 10)
            time.sleep(0.5)  # long enough for the parent to report the death first
            assert sandbox.end_child(child, kill=True) == f"exited with code {code}"
        result = sandbox.run_cell("print(x + 1)", time.monotonic() + 10)
    assert result.error is None
    assert result.outputs == [{"output_type": "stream", "name": "stdout", "text": "42\n"}]


def test_a_sandbox_whose_process_stopped_answering_is_not_used_again():
    # A parent that does not report its child's end in time may report it later, or still be
    # watching that child when the next request comes: nothing more is asked of that sandbox.
    with Zygote() as zygote, Sandbox(FAST, zygote=zygote) as sandbox:
        assert sandbox.run_cell("x = 1", time.monotonic() + 10).error is None
        parent = sandbox.chain[-1]
        child = sandbox.fork(time.monotonic() + 10)
        os.kill(parent.host_pid, signal.SIGSTOP)
        try:
            with pytest.raises(SandboxFault, match="stopped responding"):
                sandbox.end_child(child, kill=True)
        finally:
            os.kill(parent.host_pid, signal.SIGCONT)
        start = time.monotonic()
        with pytest.raises(SandboxFault, match="stopped responding"):
            sandbox.fork(time.monotonic() + 30)
        assert time.monotonic() - start < 1


# --- through nbgrader: tags, forged outputs, feedback, the class run ---------------------------------


def test_nbgrader_tags_and_outputs_cannot_turn_a_failure_into_points(tmp_path):
    nb = replace_answer(reference_nb(), "char_ngrams", WRONG_NGRAMS)
    test_cell = nb.cells[cell_index(nb, "test_char_ngrams")]
    test_cell.metadata["tags"] = ["skip-execution", "raises-exception"]
    _forged_outputs(nb)
    path = tmp_path / SLUG / "exercises.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    result = score(path, SLUG)
    assert result["score"] == FULL - 2
    assert result["cells"]["test_char_ngrams"]["score"] == 0
    assert "got ['wrong']" in result["cells"]["test_char_ngrams"]["error"]


def test_a_saboteur_graded_first_changes_nobody_elses_grade(tmp_path):
    """The instructor's class run: the saboteur goes first and attacks every shared file it can name."""
    course = tmp_path / "course"
    targets = [course / "gradebook.db", course / "grades" / f"{SLUG}.csv", source_notebook(SLUG),
               Path("/tmp/hiddenrep-gradebooks")]
    attack = (
        "import os, subprocess, time\n"
        f"targets = {[str(t) for t in targets]!r}\n"
        "for t in targets:\n"
        "    for action in (lambda: os.remove(t), lambda: open(t, 'w').write('x')):\n"
        "        try:\n            action()\n        except OSError:\n            pass\n"
        # A detached process that would zero the CSV after grading has finished.
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(8)\n"
        f"        open({str(course / 'grades' / (SLUG + '.csv'))!r}, 'w').write('student\\n')\n"
        "        os._exit(0)\n    os._exit(0)\n"
    )
    saboteur = add_cell(replace_answer(reference_nb(), "char_ngrams", WRONG_NGRAMS), attack)
    buggy = reference_nb()
    edit_cell(buggy, "pad_batch", "mask[row, : len(seq)] = True", "mask[row, len(seq) :] = True")
    students = {"aaa-saboteur": saboteur, "bob": reference_nb(), "cy": buggy}
    for student, nb in students.items():
        path = course / "submitted" / student / SLUG / "exercises.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    before = source_notebook(SLUG).read_bytes()

    results = grade_class(SLUG, course)

    assert {s: r["score"] for s, r in results.items()} == {"aaa-saboteur": FULL - 2, "bob": FULL, "cy": FULL - 3}
    assert source_notebook(SLUG).read_bytes() == before
    time.sleep(9)  # the detached process would have struck by now
    with open(course / "grades" / f"{SLUG}.csv") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert rows["bob"]["score"] == f"{FULL:g}" and rows["cy"]["score"] == f"{FULL - 3:g}"
    # A regrade of an honest student after the saboteur still gives the same marks.
    assert score(course / "submitted" / "bob" / SLUG / "exercises.ipynb", SLUG)["score"] == FULL


def test_feedback_is_inert_and_hides_hidden_tests(tmp_path):
    course = tmp_path / "course"
    payload = '<script>alert("pwned")</script><img src=x onerror="alert(1)">'
    nb = replace_answer(reference_nb(), "char_ngrams", WRONG_NGRAMS)
    add_cell(nb, f"from IPython.display import HTML, display\ndisplay(HTML({payload!r}))\nprint({payload!r})")
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(f"My notes {payload} [x](javascript:alert(2))"))
    path = course / "submitted" / "eve" / SLUG / "exercises.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    grade_class(SLUG, course)
    page = (course / "feedback" / "eve" / SLUG / "exercises.html").read_text()
    # Student text may appear, escaped; no tag, attribute or link of theirs is live.
    assert not re.search(r"<script>alert|<img[^>]*onerror|href=\"javascript:", page)
    text = page_text(page)
    assert "got ['wrong'], expected" in text  # the reason is there
    hidden = (Path(source_notebook(SLUG)).parent / "tests.py").read_text()
    for line in hidden.splitlines():
        if len(line.strip()) >= 30 and not line.strip().startswith(("#", "from", "import", '"""')):
            assert line.strip() not in text, f"feedback shows hidden-test code: {line.strip()!r}"
    assert str(REPO) not in text and "Traceback" not in text


def test_feedback_page_is_the_one_nbconvert_writes_and_describes_figures(tmp_path):
    """Feedback pages skip nbconvert's last pass (a BeautifulSoup re-parse) and reuse highlighted
    code across students: each page must still be the one nbconvert's own exporter writes."""
    from bs4 import BeautifulSoup
    from nbconvert.exporters import HTMLExporter

    from autograder.classgrade import Bookkeeper
    from autograder.feedback import IMAGE_ALT, FeedbackHTML
    from autograder.grading import _quiet

    course = tmp_path / "course"
    students = ("ann", "ben")
    figure = "plot_of_the_counts = True"
    for student in students:
        nb = add_cell(reference_nb(), figure)
        if student == "ben":
            replace_answer(nb, "char_ngrams", WRONG_NGRAMS)
        path = course / "submitted" / student / SLUG / "exercises.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    grade_class(SLUG, course)
    with _quiet():
        keeper = Bookkeeper(course, SLUG)
    ours = keeper.feedback.exporter
    assert isinstance(ours, FeedbackHTML)
    stock = HTMLExporter(parent=keeper.feedback, config=keeper.feedback.config)
    for pp in keeper.feedback.preprocessors:
        stock.register_preprocessor(pp)
    # The sandbox returns text only; a notebook run elsewhere can hold a figure (a 1x1 PNG here).
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    pages = {}
    for exporter in (ours, stock):
        keeper.feedback.exporter = exporter
        for student in students:
            graded = nbformat.read(keeper._autograded(student), as_version=4)
            cell = next(c for c in graded.cells if c.source == figure)
            cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})]
            with _quiet():
                keeper.save(student, graded)
            page = (course / "feedback" / student / SLUG / "exercises.html").read_text()
            pages[exporter is ours, student] = str(BeautifulSoup(page, "html.parser"))
    for student in students:
        assert pages[True, student] == pages[False, student]
        images = re.findall(r"<img\b[^>]*>", pages[True, student])
        assert len(images) == 1 and f'alt="{IMAGE_ALT}"' in images[0]
    assert "got ['wrong'], expected" in page_text(pages[True, "ben"])
    assert "got ['wrong']" not in page_text(pages[True, "ann"])


def test_grading_refuses_without_bubblewrap(tmp_path, monkeypatch):
    from autograder.harness import SandboxUnavailable

    monkeypatch.setenv("HIDDENREP_BWRAP", str(tmp_path / "no-bwrap"))
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        score(source_notebook(SLUG), SLUG)
    assert score(source_notebook(SLUG), SLUG, unsafe=True)["score"] == FULL
