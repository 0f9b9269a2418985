"""Logit choice kernels over a consideration set plus an outside option.

Pure functions of arrays: no model object, no hidden draws. The random
numbers are passed in (one uniform per customer), so the same uniforms give
the same choices whatever else changes (common random numbers).

Utility of offer j for customer i is ``U_ij = V_ij + noise_scale * eps_ij``
with Gumbel ``eps``; the outside option has ``U_i0 = u0_i + noise_scale *
eps_i0``. ``noise_scale = 0`` is deterministic surplus maximisation, a tie
going to the outside option.
"""

from __future__ import annotations

import numpy as np

__all__ = ["OUTSIDE", "choice_probabilities", "choose", "expected_surplus"]

#: Index returned by :func:`choose` for the outside option.
OUTSIDE = -1


def _scaled(utility, outside_utility, consider, noise_scale):
    x = np.where(consider, utility / noise_scale, -np.inf)
    x0 = np.asarray(outside_utility, dtype=np.float64) / noise_scale
    m = np.maximum(x.max(axis=1, initial=-np.inf), x0)
    return x, x0, m


def choice_probabilities(
    utility: np.ndarray,
    outside_utility: np.ndarray,
    consider: np.ndarray,
    noise_scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Logit choice probabilities (max-shifted for numerical safety).

    Parameters
    ----------
    utility : ndarray, shape (customer, offer)
        Deterministic value V_ij.
    outside_utility : ndarray, shape (customer,)
        Deterministic value of the outside option u0_i.
    consider : ndarray of bool, shape (customer, offer)
        Offers in each customer's consideration set.
    noise_scale : float
        Scale of the Gumbel noise; 0 gives a degenerate (argmax) distribution.

    Returns
    -------
    probabilities : ndarray, shape (customer, offer)
    outside_probability : ndarray, shape (customer,)
        Rows of ``probabilities`` plus ``outside_probability`` sum to 1.
    """
    if noise_scale == 0:
        best = _argmax_choice(utility, outside_utility, consider)
        probs = np.zeros(utility.shape)
        rows = np.flatnonzero(best >= 0)
        probs[rows, best[rows]] = 1.0
        return probs, (best < 0).astype(np.float64)
    x, x0, m = _scaled(utility, outside_utility, consider, noise_scale)
    e = np.exp(x - m[:, None])
    e0 = np.exp(x0 - m)
    denom = e0 + e.sum(axis=1)
    return e / denom[:, None], e0 / denom


def _argmax_choice(utility, outside_utility, consider):
    v = np.where(consider, utility, -np.inf)
    best = np.argmax(v, axis=1)
    top = np.take_along_axis(v, best[:, None], axis=1)[:, 0]
    return np.where(top > outside_utility, best, OUTSIDE)


def choose(
    utility: np.ndarray,
    outside_utility: np.ndarray,
    consider: np.ndarray,
    noise_scale: float,
    uniforms: np.ndarray,
) -> np.ndarray:
    """Draw each customer's choice by inverting the logit distribution.

    Parameters
    ----------
    utility, outside_utility, consider, noise_scale
        As in :func:`choice_probabilities`.
    uniforms : ndarray, shape (customer,)
        One U(0, 1) number per customer.

    Returns
    -------
    ndarray of int64, shape (customer,)
        Chosen offer index, or :data:`OUTSIDE`.
    """
    if noise_scale == 0:
        return _argmax_choice(utility, outside_utility, consider)
    probs, p0 = choice_probabilities(utility, outside_utility, consider, noise_scale)
    cum = np.cumsum(probs, axis=1)
    rest = uniforms - p0
    j = (cum < rest[:, None]).sum(axis=1)
    # round-off can push j one past the last offer with positive probability
    j = np.minimum(j, utility.shape[1] - 1)
    ok = (rest >= 0) & consider[np.arange(j.shape[0]), j]
    return np.where(ok, j, OUTSIDE)


def expected_surplus(
    utility: np.ndarray,
    outside_utility: np.ndarray,
    consider: np.ndarray,
    noise_scale: float,
) -> np.ndarray:
    """Expected maximum utility gained over the outside option (the logsum).

    ``E[max_k U_ik] - u0_i`` up to the Gumbel location constant, i.e.
    ``noise_scale * log(exp(u0/s) + sum_j exp(V_j/s)) - u0``; for
    ``noise_scale = 0``, ``max(0, max_j V_ij - u0_i)``. Always >= 0; divide by
    the price sensitivity to express it in money.

    Returns
    -------
    ndarray, shape (customer,)
    """
    if noise_scale == 0:
        v = np.where(consider, utility, -np.inf).max(axis=1, initial=-np.inf)
        return np.maximum(0.0, v - outside_utility)
    x, x0, m = _scaled(utility, outside_utility, consider, noise_scale)
    logsum = m + np.log(np.exp(x0 - m) + np.exp(x - m[:, None]).sum(axis=1))
    return noise_scale * (logsum - x0)
