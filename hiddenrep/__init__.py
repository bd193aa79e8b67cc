"""Shared plumbing for the Hidden Representations course: data, text, benchmarks, test helpers.

Every lesson imports a module of this package, so importing it is the one place that makes the
figures of every lesson sharp on high-density screens (:func:`hiddenrep.figures.sharp_figures`).
"""

from hiddenrep.figures import sharp_figures

__version__ = "0.1.0"

sharp_figures()
