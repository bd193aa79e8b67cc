"""Each check fails on a page broken on purpose: a copy of the book (symlinks) with one page
rewritten, served on its own port and read by the same browser and the same rules."""

from __future__ import annotations

import json

import nbformat
import pytest

import bookcheck
import test_lab

PAGE = "chapters/02-text-as-tensors/01-tokens-and-vocabularies.html"
CHECK = "0 self-tests (each check fails when it should)"


@pytest.fixture(scope="module")
def broken(make_site, driver):
    """Load a copy of PAGE with ``markup`` put at the start of its article."""
    site = make_site("broken")
    original = (bookcheck.HTML / PAGE).read_text()

    def load(name: str, markup: str) -> bookcheck.Visit:
        page = PAGE.replace(".html", f"-{name}.html")
        html = original.replace('<article class="bd-article">', '<article class="bd-article">' + markup, 1)
        assert html != original, "the page has no <article class=\"bd-article\"> to plant into"
        (site.root / page).write_text(html)
        return bookcheck.visit(driver, site.base, site.root, page)

    load.site = site
    return load


@pytest.fixture(autouse=True)
def _tag(record_property, request):
    record_property("check", CHECK)
    record_property("page", request.node.name)


def test_console_check_sees_errors_and_external_requests(broken):
    v = broken("external", '<script src="https://cdn.example.com/lib.js"></script>'
                           '<img src="http://203.0.113.5/pixel.png"><script>throw new Error("planted boom")</script>')
    problems = "\n".join(bookcheck.console_problems(v))
    assert "request to another host: https://cdn.example.com/lib.js" in problems
    assert "request to another host: http://203.0.113.5/pixel.png" in problems
    assert "planted boom" in problems
    assert v.seconds < 20, f"an external request made the page hang ({v.seconds:.0f} s)"


def test_math_check_sees_raw_untypeset_and_broken_formulas(broken):
    # A stray $$...$$ is typeset by MathJax anyway; single dollars are left as they are.
    v = broken("math", r'<p>raw inline $a_i$ here</p>'
                       r'<p><span class="math notranslate nohighlight">y = 2</span></p>'
                       r'<p><span class="math notranslate nohighlight">\(\frac{1}{\)</span></p>')
    problems = "\n".join(bookcheck.math_problems(v))
    assert "raw TeX in the text" in problems and "$a_i$" in problems
    assert "formula not typeset: 'y = 2'" in problems  # a formula with no TeX MathJax knows
    # Broken TeX is flagged, whether MathJax reports an error or leaves it untypeset.
    assert any("frac{1}{" in line for line in problems.splitlines())


def test_link_check_sees_missing_pages_anchors_and_images(broken):
    v = broken("links", '<a href="no-such-page.html">gone</a><a href="02-from-ids-to-tensors.html#no-such-anchor">'
                        'bad anchor</a><a href="#tokenization">good anchor</a><img src="missing.png" alt="planted">')
    problems = "\n".join(bookcheck.link_problems(v))
    assert "broken link 'no-such-page.html'" in problems
    assert "no id 'no-such-anchor'" in problems
    assert "tokenization" not in problems
    assert "image does not load" in problems and "planted" in problems


def test_overflow_check_sees_wide_code_and_outputs(broken):
    wide = "x = " + "1 + " * 200
    output = ('<div class="cell"><div class="cell_output docutils container">{}</div></div>')
    equation = r'<div class="math notranslate nohighlight">\[' + " + ".join(["x_{%d}" % i for i in range(120)]) + r'\]</div>'
    v = broken("wide", f'<div class="highlight"><pre>{wide}</pre></div>' + equation
                       + output.format('<div class="output text_html"><table style="width: 2000px">'
                                       '<tr><td>planted wide table</td></tr></table></div>')
                       + output.format('<div class="output stream"><div class="highlight">'
                                       f'<pre>{"0123456789 " * 60}</pre></div></div>'))
    counts = bookcheck.overflow_counts(v)
    assert counts["code"] >= 1 and counts["outputs"] >= 1 and counts["equations"] >= 1, counts
    problems = bookcheck.overflow_problems(v)
    assert any("x = 1 + 1" in p for p in problems) and any("planted wide table" in p for p in problems)
    # The book's stylesheet wraps a long printed line instead of scrolling it.
    assert not any("0123456789" in p for p in problems), problems


def test_training_check_sees_a_cell_without_summary(broken):
    cell = ('<div class="cell docutils container"><div class="cell_input docutils container"><div class="highlight">'
            '<pre>{src}</pre></div></div><div class="cell_output docutils container">{out}</div></div>')
    widget = '<script type="application/vnd.jupyter.widget-view+json">{"model_id": "x"}</script>'
    stream = '<div class="output stream"><div class="highlight"><pre>{}</pre></div></div>'
    v = broken("training",
               cell.format(src="log = train(model, loss_fn, batches, steps=10)", out=widget + stream.format("done"))
               + cell.format(src="model.train()\nx = 1", out="")
               + cell.format(src="def train_more(m):\n    return train(m, f, b, 5)", out="")
               + cell.format(src="log = train(model, loss_fn, batches, steps=10)",
                             out=widget + stream.format("training: 10 steps in 0.4 s, final loss 0.6931")))
    flagged = [c for c in bookcheck.training_cells(v) if "steps=10" in c["source"]]
    assert len(flagged) == 2
    assert not any(c["source"].startswith(("model.train()", "def train_more")) for c in bookcheck.training_cells(v))
    problems = [p for p in bookcheck.training_problems(v) if "steps=10" in p]
    assert len(problems) == 1 and "-> 'done'" in problems[0]


def test_training_marker_and_summary_rules():
    assert bookcheck.training_calls("run = train_skipgram(docs, keep)") == ["train_skipgram"]
    assert bookcheck.training_calls("for w in ws:\n    train_net(w)") == ["train_net"]
    assert bookcheck.training_calls("%matplotlib inline\nlog = digits.train(ae, loss, x, epochs=3)") == ["train"]
    assert bookcheck.training_calls("net.train()\nx_train = 1\ntrain_test_split(a)") == []
    assert bookcheck.has_summary("learning to add: 500 steps in 2.7 s, final loss 0.1017")
    assert bookcheck.has_summary("train: 3 epochs in 1.2 min, last evaluation accuracy 0.91")
    assert not bookcheck.has_summary("4,584,506 pairs in 6.8 s (0.68 million pairs per second)")
    assert not bookcheck.has_summary("500 steps\n2.7 s\nloss 0.1")  # one line says it all


def test_download_check_sees_a_planted_solution_line(broken):
    secret = sorted(bookcheck.all_secrets())[0]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1\n" + secret)])
    nbformat.write(nb, broken.site.root / "_sources" / "planted.ipynb")
    clean = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(clean, broken.site.root / "_sources" / "clean.ipynb")
    v = broken("download", '<a class="btn-download-source-button" href="../../_sources/planted.ipynb">.ipynb</a>'
                           '<a class="btn-download-source-button" href="../../_sources/clean.ipynb">.ipynb</a>')
    problems = bookcheck.download_problems(v)
    assert any("planted.ipynb holds a solution" in p and secret in p for p in problems), problems
    assert not any("clean.ipynb" in p for p in problems)


def test_lab_rules_see_unnamed_parts_and_library_tracebacks():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def encode(x):\n    raise NotImplementedError()",
                                  metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "encode_decode"}}),
        nbformat.v4.new_code_cell("check(encode(1))",
                                  metadata={"nbgrader": {"grade": True, "grade_id": "test_encode_decode"}}),
        nbformat.v4.new_code_cell("def pad(x):\n    pass",
                                  metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "pad"}}),
        nbformat.v4.new_code_cell("check(pad(1))", metadata={"nbgrader": {"grade": True, "grade_id": "test_pad"}})])
    parts = test_lab.graded_parts(json.loads(json.dumps(nb), object_hook=nbformat.NotebookNode))
    assert parts == {"test_encode_decode": {"encode_decode", "encode"}, "test_pad": {"pad"}}
    sources = {bookcheck.normalise(c.source) for c in nb.cells}
    echoed = {"text": "The following cell failed:\ncheck(encode(1))\nTraceback ...\n"
                      "File /x/site-packages/torch/nn.py\nThe following cell failed:\ncheck(pad(1))\n"
                      "pad: not written yet",
              "pres": ["check(encode(1))", "Traceback ...\nFile /x/site-packages/torch/nn.py", "check(pad(1))",
                       "pad: not written yet"], "parts": parts, "sources": sources}
    assert test_lab.missing_parts(echoed) == ["test_encode_decode (known as encode, encode_decode)"]
    assert test_lab.library_tracebacks(echoed) == ["File /x/site-packages/torch/nn.py"]
