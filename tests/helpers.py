"""Finite-difference gradient checks shared by the tests: gradcheck.py's, so there is one implementation."""

import gradcheck

# The largest relative error any gradient check has seen in this run; the
# session summary prints it (see conftest.py).
WORST = {"error": 0.0, "where": None}


def numericalGradient(function, x, step=1e-4):
    """Fourth-order central differences of ``function()`` with respect to ``x`` (changed in place, restored)."""
    return gradcheck.numericalGradient(function, x, step)


def relativeError(analytic, numeric, floor=1e-4):
    """``||a - n|| / max(||a||, ||n||, floor)``: see ``gradcheck.relativeError``."""
    return gradcheck.relativeError(analytic, numeric, floor)


def assertGradient(analytic, numeric, where, tolerance=1e-6):
    error = relativeError(analytic, numeric)
    if error > WORST["error"]:
        WORST.update(error=error, where=where)
    assert error < tolerance, f"{where}: relative gradient error {error:.3e} >= {tolerance:g}"
