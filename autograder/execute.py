"""Execution that survives a dead kernel, so one crashing answer does not zero a whole submission."""

from __future__ import annotations

from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute

DEAD_KERNEL = ("the kernel died while running this cell (the code exited Python, crashed, or ran "
               "out of memory); the cells after it were graded in a fresh kernel")


class ResilientExecute(Execute):
    """nbgrader's Execute, except that a dead kernel costs only the cell that killed it.

    When a cell kills the kernel, the cell gets an error output, the kernel restarts, and the
    set-up and answer cells before it run again (outputs kept as they were) so that later
    answers are graded with the definitions they rely on.
    """

    def preprocess_cell(self, cell, resources, index):
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            cell.outputs = [new_output("error", ename="DeadKernelError", evalue=DEAD_KERNEL,
                                       traceback=[f"DeadKernelError: {DEAD_KERNEL}"])]
            self._restart_and_replay(resources, index)
            return cell, self.resources

    def _restart_and_replay(self, resources, index: int) -> None:
        run_sync(self.km.restart_kernel)(now=True)
        run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
        for i, earlier in enumerate(self.nb.cells[:index]):
            if earlier.cell_type != "code" or utils.is_grade(earlier):
                continue
            outputs = earlier.outputs
            try:
                super().preprocess_cell(earlier, resources, i)
            except DeadKernelError:
                run_sync(self.km.restart_kernel)(now=True)
                run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
            earlier.outputs = outputs
