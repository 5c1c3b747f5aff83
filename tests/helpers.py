"""Finite-difference gradient checks shared by the tests."""

import numpy as np

# The largest relative error any gradient check has seen in this run; the
# session summary prints it (see conftest.py).
WORST = {"error": 0.0, "where": None}


def numericalGradient(function, x, step=1e-6):
    """Central differences of the scalar ``function()`` with respect to ``x`` (changed in place)."""
    gradient = np.zeros_like(x, dtype=np.float64)
    flat, out = x.reshape(-1), gradient.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + step
        plus = function()
        flat[i] = original - step
        minus = function()
        flat[i] = original
        out[i] = (plus - minus) / (2 * step)
    return gradient


def relativeError(analytic, numeric):
    """``||a - n|| / max(||a||, ||n||)``, 0 when both vanish."""
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric))
    return 0.0 if scale == 0 else float(np.linalg.norm(analytic - numeric) / scale)


def assertGradient(analytic, numeric, where, tolerance=1e-6):
    error = relativeError(analytic, numeric)
    if error > WORST["error"]:
        WORST.update(error=error, where=where)
    assert error < tolerance, f"{where}: relative gradient error {error:.3e} >= {tolerance:g}"
