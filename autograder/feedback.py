"""Feedback preprocessing: students see why a hidden test failed, never the test itself."""

from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from nbgrader import utils

HIDDEN_MARK = "### BEGIN HIDDEN TESTS"


class HideHiddenTestTracebacks(Preprocessor):
    """Cut tracebacks of cells with hidden tests down to their last line.

    ``ClearHiddenTests`` removes hidden tests from a cell's source, but a failing hidden test's
    traceback prints the lines around the failure. The last traceback line (``Error: message``)
    is kept: the messages of ``hiddenrep.testing`` explain the failure without showing code.
    """

    enabled = True  # nbconvert skips preprocessors that are not enabled

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell) and HIDDEN_MARK in cell.source:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
