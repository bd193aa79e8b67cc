"""Instructor tooling: release student notebooks, score submissions, grade a class.

Run ``python -m autograder --help``. Hidden tests import :func:`reference` from here.
"""

from autograder.reference import reference

__all__ = ["reference"]
