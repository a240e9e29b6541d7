"""Demonstration only (removed after one CI run): under CI=true this skip must fail the run."""

import pytest


def test_a_skip_that_ci_must_fail():
    pytest.skip("demonstration: a skip in CI is a failure")
