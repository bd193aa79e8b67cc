"""Assertions for exercise tests that say what went wrong, in words a student can use.

Visible and hidden tests use these so that a failing check names the function, the input
and the difference, instead of a bare ``AssertionError``. A visible test cell wraps its
checks in ``with visible_tests("name"):``, so that the cell, and nbgrader's Validate
dialog, end with one line: the part passes, is not written yet, or what is wrong.
"""

from __future__ import annotations

import linecache
import os
import site
import sys
import sysconfig
import traceback
from typing import Any

import torch


def check_equal(what: str, actual: Any, expected: Any) -> None:
    """Fail with a readable message unless ``actual == expected``."""
    if actual != expected:
        raise AssertionError(
            f"{what}: got {_short(actual)}, expected {_short(expected)}"
        )


def check_tensor(
    what: str,
    actual: Any,
    expected: torch.Tensor,
    *,
    atol: float = 1e-6,
    check_dtype: bool = True,
) -> None:
    """Fail unless ``actual`` is a tensor with ``expected``'s shape (and dtype) and
    values within ``atol``."""
    if not isinstance(actual, torch.Tensor):
        raise AssertionError(
            f"{what}: expected a torch.Tensor, got {type(actual).__name__}"
        )
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(
            f"{what}: shape {tuple(actual.shape)}, expected {tuple(expected.shape)}"
        )
    if check_dtype and actual.dtype != expected.dtype:
        raise AssertionError(f"{what}: dtype {actual.dtype}, expected {expected.dtype}")
    if expected.dtype.is_floating_point:
        bad = ~torch.isclose(actual.to(expected.dtype), expected, atol=atol, rtol=0)
    else:
        bad = actual.to(expected.dtype) != expected
    if bad.any():
        where = tuple(int(i) for i in bad.nonzero()[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {expected.numel()} entries differ, first at "
            f"index {where}: got {actual[where].item()}, "
            f"expected {expected[where].item()}"
        )


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."


# --- visible tests: one line per part -------------------------------------------------

STUB_HINT = "replace raise NotImplementedError() with your code"


class VisibleTestFailure(Exception):
    """A part failed its visible tests.

    IPython shows an exception through its ``_render_traceback_`` when it has one, and
    that is the traceback stored in the notebook and listed by nbgrader's Validate: only
    what is wrong, in the student's terms, and no frame of this library or of installed
    packages.
    """

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))

    def _render_traceback_(self) -> list[str]:
        return self.lines


class VisibleTestsStopped(KeyboardInterrupt):
    """The visible tests were interrupted (the stop button, or Validate's time limit).

    Still an interrupt, shown as one line and where the student's code was running.
    """

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))

    def _render_traceback_(self) -> list[str]:
        return self.lines


class visible_tests:  # lower case: it reads as a phrase, `with visible_tests("name"):`
    """Run the visible tests of one part; the cell then ends with one line to act on.

    ::

        with visible_tests("char_ngrams"):
            check_equal("char_ngrams('cat', 2)", char_ngrams("cat", 2), ["<c", ...])

    If every check passes it prints ``char_ngrams passes the visible tests``. Otherwise
    the cell fails with a :class:`VisibleTestFailure` that says, on one line, one of:

    - ``char_ngrams is not written yet: replace raise NotImplementedError() with your
      code`` (the stub is still there);
    - ``char_ngrams fails a visible test: <the check's message>`` (a wrong answer);
    - ``char_ngrams raised TypeError: <message>`` (the student's own code raised), then
      the line of their cell that raised and the test line that called it; frames of
      this library and of installed packages are left out;
    - ``char_ngrams cannot be tested yet: name 'char_ngrams' is not defined: ...`` (a
      cell above was not run);
    - ``char_ngrams was stopped before its visible tests finished`` and where the
      student's code was running (interrupted, or over Validate's time limit).

    Several names (``visible_tests("encode", "decode")``) test several functions as one
    part.
    """

    def __init__(self, *names: str):
        if not names:
            raise TypeError("visible_tests() needs the name of the part it tests")
        self.names = names
        self.part = " and ".join(names)
        self._test_file: str | None = None

    def __enter__(self) -> visible_tests:
        self._test_file = sys._getframe(1).f_code.co_filename
        return self

    def __exit__(self, etype, exc, tb) -> bool:
        if etype is None:
            verb = "pass" if len(self.names) > 1 else "passes"
            print(f"{self.part} {verb} the visible tests")
            return False
        if isinstance(exc, (VisibleTestFailure, VisibleTestsStopped)):
            return False
        if isinstance(exc, KeyboardInterrupt):  # the stop button, or a time limit
            raise VisibleTestsStopped(self.stopped(tb)) from exc
        if not issubclass(etype, Exception):
            return False  # SystemExit and the like stay what they are
        raise VisibleTestFailure(self.explain(exc, tb)) from exc

    def _frames(self, tb) -> list[_Frame]:
        test_file = self._test_file
        return [
            _Frame(f, n, f.f_code.co_filename == test_file)
            for f, n in traceback.walk_tb(tb)
        ]

    def stopped(self, tb) -> list[str]:
        """The lines a student reads when the tests were interrupted."""
        frames = self._frames(tb)
        lines = [f"{self.part} was stopped before its visible tests finished"]
        theirs = [f for f in frames if f.user and not f.test]
        if theirs:
            last = theirs[-1]
            lines.append(f"    running {last.qualname}, {last.where}: {last.text}")
        return lines

    def explain(self, exc: BaseException, tb) -> list[str]:
        """The lines a student reads for ``exc`` raised inside the ``with`` block."""
        frames = self._frames(tb)
        innermost = frames[-1] if frames else None
        theirs = [f for f in frames if f.user and not f.test]  # the student's own code
        tests = [f for f in frames if f.test]
        verb = "fail" if len(self.names) > 1 else "fails"
        if isinstance(exc, NotImplementedError) and theirs and innermost is theirs[-1]:
            name = innermost.qualname
            if name == "<module>":
                name = self.part
            if name.split(".")[0] in self.names:
                return [f"{name} is not written yet: {STUB_HINT}"]
            return [f"{self.part} needs {name}, which is not written yet: {STUB_HINT}"]
        if (
            isinstance(exc, AssertionError)
            and innermost is not None
            and not theirs
            and (innermost.test or innermost.ours)
        ):
            what = _message(exc) or "a check failed"
            if not _message(exc) and innermost.test:  # a bare assert in the test cell
                what = f"{innermost.text} ({innermost.where})"
            return [f"{self.part} {verb} a visible test: {what}"]
        if isinstance(exc, NameError) and innermost is not None and innermost.test:
            hint = (
                "run the cells above this one first (the set-up cell and your answer) "
                "and keep the names they define"
            )
            return [f"{self.part} cannot be tested yet: {_message(exc)}: {hint}"]
        problem = f"{type(exc).__name__}: {_message(exc)}".rstrip(": ")
        if theirs:
            lines = [f"{self.part} raised {problem}"]
            last = theirs[-1]
            lines.append(f"    in {last.qualname}, {last.where}: {last.text}")
            if tests:
                test = tests[0]
                lines.append(
                    f"    called by the visible test at {test.where}: {test.text}"
                )
            return lines
        lines = [f"the result of {self.part} could not be checked: {problem}"]
        if tests:
            lines.append(f"    at {tests[-1].where}: {tests[-1].text}")
        return lines


class _Frame:
    """One frame of a traceback, as much of it as a student needs."""

    def __init__(self, frame, lineno: int, test: bool):
        code = frame.f_code
        self.filename, self.lineno, self.test = code.co_filename, lineno, test
        self.qualname = getattr(code, "co_qualname", code.co_name)
        self.ours = _inside(self.filename, _HERE)
        self.user = test or not (self.ours or _is_library(self.filename))

    @property
    def where(self) -> str:
        """``Cell In[5], line 3`` for a notebook cell (as IPython names it)."""
        compiler = getattr(_shell(), "compile", None)
        named = getattr(compiler, "format_code_name", None)
        label = named(self.filename) if named else None
        if label:
            return f"{label[0]} {label[1]}, line {self.lineno}"
        return f"{os.path.basename(self.filename)}, line {self.lineno}"

    @property
    def text(self) -> str:
        return linecache.getline(self.filename, self.lineno).strip()


_HERE = os.path.dirname(os.path.realpath(__file__))
_PATHS = sysconfig.get_paths()
_LIBRARY = {
    os.path.realpath(folder)
    for folder in [
        _PATHS["stdlib"],
        _PATHS["platstdlib"],
        _PATHS["purelib"],
        _PATHS["platlib"],
        *site.getsitepackages(),
    ]
    if folder
}


def _inside(filename: str, folder: str) -> bool:
    return os.path.realpath(filename).startswith(folder + os.sep)


def _is_library(filename: str) -> bool:
    """Python's own modules and installed packages (not <ipython-input-N>, <string>)."""
    if filename.startswith("<"):
        return filename.startswith("<frozen")
    return any(_inside(filename, folder) for folder in _LIBRARY)


def _shell():
    """The running IPython shell, if any (never imports IPython)."""
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def _message(exc: BaseException, limit: int = 1000) -> str:
    """The exception's message on one line (its first), cut to ``limit`` characters."""
    lines = str(exc).strip().splitlines()
    text = lines[0] + (" ..." if len(lines) > 1 else "") if lines else ""
    return text if len(text) <= limit else text[:limit] + " ..."
