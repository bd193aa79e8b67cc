"""Visible test cells end with one line a student can act on (hiddenrep.testing.visible_tests):
the part passes, is not written yet, or what is wrong; never a traceback of library internals."""

from __future__ import annotations

import ast
import re

import nbclient
import nbformat
import pytest

from autograder.course import slugs, source_notebook
from autograder.harness import is_test_cell

STUB = "def {name}(x):\n    \"\"\"Doc.\"\"\"\n    # YOUR CODE HERE\n    raise NotImplementedError()"
TEST = 'from hiddenrep.testing import visible_tests\n\nwith visible_tests("{names}"):\n{body}'


def run(*cells: str) -> list[nbformat.NotebookNode]:
    """Run the cells in a fresh kernel, as Jupyter does; the executed cells."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, allow_errors=True, timeout=60, kernel_name="python3").execute()
    return nb.cells


def shown(cell) -> list[str]:
    """What the cell shows: printed lines, then its error's traceback lines."""
    lines = []
    for out in cell.outputs:
        if out.output_type == "stream":
            lines += out.text.splitlines()
        elif out.output_type == "error":
            lines += "\n".join(out.traceback).splitlines()
    return lines


def visible_cell(names: str, *checks: str) -> str:
    return TEST.format(names=names, body="\n".join("    " + c for c in checks))


@pytest.fixture(scope="module")
def cells():
    return run(
        "from hiddenrep.testing import check_equal, check_tensor\nimport torch",
        STUB.format(name="double"),
        visible_cell("double", "check_equal('double(2)', double(2), 4)"),  # 2: a stub
        "def double(x):\n    return x + 1",
        visible_cell("double", "check_equal('double(2)', double(2), 4)",
             "check_equal('double(5)', double(5), 10)"),  # 4: a wrong answer
        "def double(x):\n    return 2 * x",
        visible_cell("double", "check_equal('double(2)', double(2), 4)"),  # 6: right
        "def double(x):\n    y = x + 'a'\n    return y",
        visible_cell("double", "check_equal('double(2)', double(2), 4)"),  # 8: their code raises
        "def double(x):\n    return torch.zeros(3) @ torch.zeros(4)",
        # 10: an error inside torch, called by their code
        visible_cell("double", "check_tensor('double(2)', double(2), torch.zeros(()))"),
        "def double(x):\n    return None",
        visible_cell("double", "check_equal('len', len(double(2)), 1)"),  # 12: unusable result
        visible_cell("triple", "check_equal('triple(1)', triple(1), 3)"),  # 13: never defined
        "def encode(x):\n    return x\n\n\n" + STUB.format(name="decode"),
        'from hiddenrep.testing import visible_tests\n\nwith visible_tests("encode", "decode"):\n'
        "    check_equal('encode', encode(1), 1)\n    check_equal('decode', decode(1), 1)",  # 15
        'from hiddenrep.testing import visible_tests\n\nwith visible_tests("encode", "decode"):\n'
        "    check_equal('encode', encode(1), 1)",  # 16: both names pass
        "class Net:\n    def __init__(self):\n        # YOUR CODE HERE\n"
        "        raise NotImplementedError()",
        visible_cell("Net", "Net()"),  # 18: a class still to write
        "def spin(x):\n    raise KeyboardInterrupt",  # as when a time limit interrupts it
        visible_cell("spin", "spin(1)"),  # 20: stopped
    )


def test_a_stub_says_the_part_is_not_written_yet(cells):
    assert shown(cells[2]) == [
        "double is not written yet: replace raise NotImplementedError() with your code"]
    assert shown(cells[15]) == [
        "decode is not written yet: replace raise NotImplementedError() with your code"]
    assert shown(cells[18]) == [
        "Net.__init__ is not written yet: replace raise NotImplementedError() with your code"]


def test_a_wrong_answer_says_which_check_failed(cells):
    assert shown(cells[4]) == ["double fails a visible test: double(2): got 3, expected 4"]


def test_a_right_answer_passes(cells):
    assert shown(cells[6]) == ["double passes the visible tests"]
    assert shown(cells[16]) == ["encode and decode pass the visible tests"]
    assert not [o for c in (cells[6], cells[16]) for o in c.outputs if o.output_type == "error"]


def test_an_error_in_their_code_names_it_and_their_line_only(cells):
    lines = shown(cells[8])
    assert lines[0] == "double raised TypeError: unsupported operand type(s) for +: 'int' and 'str'"
    assert re.fullmatch(r"    in double, Cell In\[\d+\], line 2: y = x \+ 'a'", lines[1]), lines
    assert lines[2].startswith("    called by the visible test at Cell In[")
    assert len(lines) == 3
    lines = shown(cells[10])
    assert lines[0].startswith("double raised RuntimeError: "), lines
    assert "return torch.zeros(3) @ torch.zeros(4)" in lines[1] and len(lines) == 3


def test_an_unusable_result_and_a_missing_name_are_explained(cells):
    lines = shown(cells[12])
    assert lines[0] == ("the result of double could not be checked: "
                        "TypeError: object of type 'NoneType' has no len()"), lines
    assert "check_equal('len', len(double(2)), 1)" in lines[1] and len(lines) == 2
    [line] = shown(cells[13])
    assert line.startswith("triple cannot be tested yet: name 'triple' is not defined: run the")


def test_an_interrupt_says_where_their_code_was(cells):
    lines = shown(cells[20])
    assert lines[0] == "spin was stopped before its visible tests finished", lines
    assert re.fullmatch(r"    running spin, Cell In\[\d+\], line 2: raise KeyboardInterrupt",
                        lines[1]), lines
    assert cells[20].outputs[-1].ename == "VisibleTestsStopped"  # still an interrupt


def test_no_library_frame_is_ever_shown(cells):
    for cell in cells:
        for line in shown(cell):
            assert "site-packages" not in line and "testing.py" not in line, line
            assert "Traceback" not in line and "---------" not in line, line


@pytest.mark.parametrize("slug", slugs())
def test_every_visible_test_cell_uses_visible_tests(slug):
    """Each test cell wraps its checks in `with visible_tests(...)` naming functions or classes
    its assignment defines, prints nothing of its own to say it passed, and fits 88 columns."""
    nb = nbformat.read(source_notebook(slug), as_version=4)
    defined = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and not is_test_cell(cell):
            defined |= {n.name for n in ast.parse(cell.source).body
                        if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    for cell in filter(is_test_cell, nb.cells):
        grade_id = cell.metadata.nbgrader.grade_id
        tree = ast.parse(cell.source)
        blocks = [s for s in tree.body if isinstance(s, ast.With)
                  and ast.unparse(s.items[0].context_expr).startswith("visible_tests(")]
        assert len(blocks) == 1, f"{slug} {grade_id}: no `with visible_tests(...)` block"
        assert tree.body[-1] is blocks[0], f"{slug} {grade_id}: code after the visible_tests block"
        names = [a.value for a in blocks[0].items[0].context_expr.args]
        assert names and set(names) <= defined, f"{slug} {grade_id}: {names} not defined in {slug}"
        assert "the visible tests" not in cell.source, f"{slug} {grade_id} prints its own verdict"
        long = [line for line in cell.source.splitlines() if len(line) > 88]
        assert not long, f"{slug} {grade_id}: lines over 88 characters: {long}"
