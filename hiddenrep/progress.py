"""Progress bars that a reader sees while a lesson runs and that never end up in its stored outputs.

A bar is plain text (``tqdm.std``), so it needs no JavaScript: JupyterLab and a terminal redraw it
in place. It is drawn only when someone is watching (:func:`interactive`); when a notebook is
executed unattended (the book build, ``jupyter nbconvert --execute``, jupyter-cache, nbclient)
nothing is written at all, since the stored output would otherwise keep every intermediate state
of the bar. The code that loops prints a one-line summary at the end in both cases.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import TypeVar

from tqdm.std import tqdm

T = TypeVar("T")

#: Set to 0 to hide the bars (the book build), to 1 to draw them anywhere.
ENVIRONMENT_VARIABLE = "HIDDENREP_PROGRESS"


def interactive(environ: Mapping[str, str] | None = None, stdout=None) -> bool:
    """Whether a person is watching this run, so that a progress bar is worth drawing.

    ``HIDDENREP_PROGRESS`` decides when it is set: ``0``, ``false``, ``no`` or ``off`` hide the
    bars, any other value shows them. Otherwise a kernel that Jupyter Server started for an open
    notebook (JupyterLab, Notebook: it sets ``JPY_SESSION_NAME``) or a script writing to a terminal
    counts as watched, and anything else (nbclient, nbconvert, a pipe) does not.
    """
    environ = os.environ if environ is None else environ
    stdout = sys.stdout if stdout is None else stdout
    setting = environ.get(ENVIRONMENT_VARIABLE, "").strip().lower()
    if setting:
        return setting not in {"0", "false", "no", "off"}
    if "JPY_SESSION_NAME" in environ:
        return True
    isatty = getattr(stdout, "isatty", None)
    return bool(isatty and isatty())


def progress(iterable: Iterable[T], desc: str | None, total: int | None = None,
             show: bool | None = None) -> tqdm:
    """``iterable`` wrapped in a text progress bar labelled ``desc``, drawn only if ``show``.

    ``show`` defaults to :func:`interactive`. The bar goes to standard output, where the summary
    line printed after the loop goes too, and is erased when the loop ends (``leave=False``), so
    in JupyterLab only that summary stays. A hidden bar still counts and takes ``set_postfix``.
    """
    show = interactive() if show is None else show
    return tqdm(iterable, desc=desc, total=total, disable=not show, leave=False,
                file=sys.stdout, mininterval=1.0, ncols=88)
