"""nbgrader's execution step, replaced: the student's code runs in a sandbox, verdicts are reached outside it.

``TrustedExecute`` stands where nbgrader's ``Execute`` stood in the autograde pipeline, so
``nbgrader autograde`` (run from ``autograder/``) and ``python -m autograder`` grade the same way.
The notebook it hands on has the student's outputs in their own cells and, in every graded test
cell, one output: a line saying the part passed, or an error saying why it did not. nbgrader's
``SaveAutoGrades`` then scores each test cell by that output alone.
"""

from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Float, Int

from autograder.course import LIMITS, Limits


class TrustedExecute(Preprocessor):
    """Grade the notebook with :func:`autograder.harness.grade_notebook`."""

    enabled = True
    cell_seconds = Float(LIMITS.cell_seconds, help="time limit of one cell").tag(config=True)
    part_seconds = Float(LIMITS.part_seconds, help="time limit of one graded part").tag(config=True)
    notebook_seconds = Float(LIMITS.notebook_seconds, help="time budget of a submission").tag(config=True)
    memory_bytes = Int(LIMITS.memory_bytes, help="memory limit of a submission").tag(config=True)
    output_chars = Int(LIMITS.output_chars, help="output kept per cell and stream").tag(config=True)
    unsafe = Bool(False, help="run student code without a sandbox (never for real submissions)").tag(config=True)

    def preprocess(self, nb, resources):
        from autograder.harness import grade_notebook

        limits = Limits(self.cell_seconds, self.part_seconds, self.notebook_seconds, self.memory_bytes,
                        self.output_chars)
        grade_notebook(nb, resources["nbgrader"]["assignment"], limits, unsafe=self.unsafe)
        return nb, resources
