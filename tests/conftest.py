"""Shared fixtures, and the mutation-score summary printed at the end of a test run."""

from __future__ import annotations

MUTANT_PROPERTY = "mutants"  # recorded by test_mutants as (slug, killed, total)
_scores: dict[str, tuple[int, int]] = {}


def pytest_runtest_logreport(report):
    # Runs in the controller for xdist workers' reports too, so the summary covers every worker.
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == MUTANT_PROPERTY:
            slug, killed, total = value
            _scores[slug] = (killed, total)


def pytest_terminal_summary(terminalreporter):
    for slug, (killed, total) in sorted(_scores.items()):
        terminalreporter.write_line(
            f"mutation score {slug}: {killed}/{total} plausible-bug mutants lose points ({100 * killed / total:.0f}%)")
