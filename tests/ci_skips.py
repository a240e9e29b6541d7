"""In CI (CI=true) a skip is a failure that carries the skip's reason: `.ci/run` provides everything
the tests need, so a test that skips there is a test that did not run. Outside CI a skip stays a skip.

A plugin of its own (loaded by the root conftest.py) so that a test can run it on a test of its own."""

from __future__ import annotations

import pytest

from .needs import in_ci


def _as_failure(report) -> None:
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure here: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    _as_failure(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A module that skips as a whole (a module-level `pytest.skip` or `importorskip`)."""
    report = yield
    _as_failure(report)
    return report
