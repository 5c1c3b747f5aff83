"""Finite-difference gradient checks shared by the tests."""

import numpy as np

# The largest relative error any gradient check has seen in this run; the
# session summary prints it (see conftest.py).
WORST = {"error": 0.0, "where": None}


def numericalGradient(function, x, step=1e-4):
    """Fourth-order central differences of the scalar ``function()`` with respect to ``x``.

    ``x`` is changed in place and restored. The stencil
    ``(f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / 12h`` has a truncation
    error of order ``h^4``, so a fairly large ``h`` keeps round-off small too.
    """
    gradient = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):  # by index: for a non-contiguous view, reshape(-1) would be a copy
        original = x[i]
        values = []
        for offset in (-2, -1, 1, 2):
            x[i] = original + offset * step
            values.append(function())
        x[i] = original
        gradient[i] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * step)
    return gradient


def relativeError(analytic, numeric, floor=1e-4):
    """``||a - n|| / max(||a||, ||n||, floor)``.

    The floor keeps vanishing gradients (a one-output Softmax, a saturated
    Sigmoid) from turning the ~1e-12 round-off of the differences into a
    large ratio: below it, the check is absolute at ``tolerance * floor``.
    """
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric), floor)
    return float(np.linalg.norm(analytic - numeric) / scale)


def assertGradient(analytic, numeric, where, tolerance=1e-6):
    error = relativeError(analytic, numeric)
    if error > WORST["error"]:
        WORST.update(error=error, where=where)
    assert error < tolerance, f"{where}: relative gradient error {error:.3e} >= {tolerance:g}"
