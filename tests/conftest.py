"""Shared fixtures, and the mutation-score summary printed at the end of a test run."""

from __future__ import annotations

from collections import defaultdict

MUTANT_PROPERTY = "mutant"
_killed: dict[str, list[bool]] = defaultdict(list)


def pytest_runtest_logreport(report):
    # Runs in the controller for xdist workers' reports too, so the summary covers every worker.
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == MUTANT_PROPERTY:
            _killed[value].append(report.passed)


def pytest_terminal_summary(terminalreporter):
    for slug, outcomes in sorted(_killed.items()):
        killed = sum(outcomes)
        terminalreporter.write_line(
            f"mutation score {slug}: {killed}/{len(outcomes)} plausible-bug mutants lose points "
            f"({100 * killed / len(outcomes):.0f}%)")
