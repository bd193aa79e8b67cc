"""Unit tests for hiddenrep.progress: a bar only when someone watches, and never in stored outputs."""

from __future__ import annotations

import io

from hiddenrep.progress import interactive, progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_environment_variable_decides_when_set():
    assert not interactive({"HIDDENREP_PROGRESS": "0", "JPY_SESSION_NAME": "x.ipynb"}, Terminal())
    assert not interactive({"HIDDENREP_PROGRESS": "off"}, Terminal())
    assert interactive({"HIDDENREP_PROGRESS": "1"}, io.StringIO())


def test_jupyterlab_and_terminals_watch_nbclient_does_not():
    assert interactive({"JPY_SESSION_NAME": "/home/me/01-lesson.ipynb"}, io.StringIO())
    assert interactive({}, Terminal())
    # A kernel that nbclient (the book build, nbconvert) starts has neither.
    assert not interactive({}, io.StringIO())


def test_a_hidden_bar_writes_nothing_and_still_iterates(capsys):
    bar = progress(range(5), desc="work", show=False)
    assert list(bar) == [0, 1, 2, 3, 4]
    bar.set_postfix(loss="0.1")
    assert capsys.readouterr() == ("", "")


def test_a_shown_bar_is_text_on_stdout_and_erased_at_the_end(capsys):
    for _ in progress(range(3), desc="work", show=True):
        pass
    out, err = capsys.readouterr()
    assert err == "" and "work:" in out and "0/3" in out
    assert out.endswith("\r")  # leave=False: the last thing written clears the line
    assert max(len(line) for line in out.split("\r")) <= 88
