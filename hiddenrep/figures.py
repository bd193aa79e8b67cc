"""Figures drawn at twice the resolution they are shown at, for sharp plots on laptop screens."""

from __future__ import annotations

import sys


def sharp_figures() -> bool:
    """Make the notebook's inline figures "retina" PNGs; return whether a notebook kernel was found.

    A retina PNG has twice the pixels of the figure's size and says, in its metadata, to be shown
    at half that (``width`` and ``height``), so a figure keeps its size on the page and in
    JupyterLab but stays crisp on a high-density screen. Outside an IPython kernel (a script, the
    test suite, the grader) this does nothing.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "kernel"):
        return False
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib_inline.config import InlineBackend

    config = InlineBackend.instance()
    # The configuration covers figures made once the inline backend loads (it reads the formats
    # then); selecting the formats now covers a backend that is already loaded.
    config.figure_formats = {"retina"}
    select_figure_formats(shell, {"retina"}, **config.print_figure_kwargs)
    return True
