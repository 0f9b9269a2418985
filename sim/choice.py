"""Logit choice kernels over a consideration set plus an outside option.

Pure functions of arrays: no model object, no hidden draws. The random
numbers are passed in (one uniform per customer), so the same uniforms give
the same choices whatever else changes (common random numbers).

Layout: per-offer arrays are *offer-major*, shape (offer, customer): each
offer's row is contiguous over customers, so every pass over the few offers is
a fast vector operation over many customers.

Utility of offer j for customer i is ``U_ij = V_ij + noise_scale * eps_ij``
with Gumbel ``eps``; the outside option has ``U_i0 = u0_i + noise_scale *
eps_i0``. ``noise_scale = 0`` is deterministic surplus maximisation, a tie
going to the outside option.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["OUTSIDE", "Choice", "choice_probabilities", "choose", "expected_surplus",
           "logit_choice"]

#: Index returned for the outside option.
OUTSIDE = -1


class Choice(NamedTuple):
    """Each customer's choice and the expected surplus of their choice situation."""

    offer: np.ndarray  # int64, shape (customer,): offer index or OUTSIDE
    surplus: np.ndarray  # shape (customer,): expected max utility over the outside option


def _scaled(utility, outside_utility, consider, noise_scale):
    x = np.where(consider, utility, -np.inf)
    x0 = np.asarray(outside_utility, dtype=x.dtype)
    if noise_scale != 1:
        x /= noise_scale
        x0 = x0 / noise_scale
    m = x.max(axis=0, initial=-np.inf)
    np.maximum(m, x0, out=m)
    return x, x0, m


def _cumsum_offers(x: np.ndarray) -> np.ndarray:
    """In-place cumulative sum over the (few) offers: one vector pass per offer."""
    for j in range(1, x.shape[0]):
        np.add(x[j - 1], x[j], out=x[j])
    return x


def _best(utility, outside_utility, consider):
    v = np.where(consider, utility, -np.inf)
    best = np.argmax(v, axis=0)
    top = np.take_along_axis(v, best[None, :], axis=0)[0]
    return np.where(top > outside_utility, best, OUTSIDE), top


def choice_probabilities(
    utility: np.ndarray,
    outside_utility: np.ndarray,
    consider: np.ndarray,
    noise_scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Logit choice probabilities (max-shifted for numerical safety).

    Parameters
    ----------
    utility : ndarray, shape (offer, customer)
        Deterministic value V_ij.
    outside_utility : ndarray, shape (customer,)
        Deterministic value of the outside option u0_i.
    consider : ndarray of bool, shape (offer, customer)
        Offers in each customer's consideration set.
    noise_scale : float
        Scale of the Gumbel noise; 0 gives a degenerate (argmax) distribution.

    Returns
    -------
    probabilities : ndarray, shape (offer, customer)
    outside_probability : ndarray, shape (customer,)
        Columns of ``probabilities`` plus ``outside_probability`` sum to 1.
    """
    if noise_scale == 0:
        best, _ = _best(utility, outside_utility, consider)
        probs = np.zeros(utility.shape)
        cols = np.flatnonzero(best >= 0)
        probs[best[cols], cols] = 1.0
        return probs, (best < 0).astype(np.float64)
    x, x0, m = _scaled(utility, outside_utility, consider, noise_scale)
    x -= m
    e = np.exp(x, out=x)
    e0 = np.exp(x0 - m)
    denom = e0 + e.sum(axis=0)
    return e / denom, e0 / denom


def logit_choice(
    utility: np.ndarray,
    outside_utility: np.ndarray,
    consider: np.ndarray,
    noise_scale: float,
    uniforms: np.ndarray,
) -> Choice:
    """Draw each customer's choice by inverting the logit distribution; also the logsum.

    The uniform is spent on the outside option first, then on the considered
    offers in offer order: the choice is the first whose cumulative
    probability reaches it.

    Parameters
    ----------
    utility, outside_utility, consider, noise_scale
        As in :func:`choice_probabilities`.
    uniforms : ndarray, shape (customer,)
        One U(0, 1) number per customer.

    Returns
    -------
    Choice
        ``offer`` (int64, shape (customer,), an offer index or :data:`OUTSIDE`) and
        ``surplus`` (shape (customer,), as :func:`expected_surplus`).
    """
    if noise_scale == 0:
        best, top = _best(utility, outside_utility, consider)
        return Choice(best, np.maximum(0.0, top - outside_utility))
    x, x0, m = _scaled(utility, outside_utility, consider, noise_scale)
    x -= m
    np.exp(x, out=x)
    e0 = np.exp(x0 - m)
    cum = _cumsum_offers(x)
    total = e0 + cum[-1]
    target = uniforms * total - e0
    j = np.count_nonzero(cum < target, axis=0)
    over = np.flatnonzero(j >= cum.shape[0])
    if over.size:  # round-off past the last cumulative sum: the last considered offer
        last = consider.shape[0] - 1 - np.argmax(consider[::-1, over], axis=0)
        j[over] = last
    ok = (target >= 0) & consider[j, np.arange(j.shape[0])]
    surplus = noise_scale * (m + np.log(total) - x0)
    return Choice(np.where(ok, j, OUTSIDE), surplus)


def choose(utility, outside_utility, consider, noise_scale, uniforms) -> np.ndarray:
    """Each customer's chosen offer index or :data:`OUTSIDE` (see :func:`logit_choice`)."""
    return logit_choice(utility, outside_utility, consider, noise_scale, uniforms).offer


def expected_surplus(
    utility: np.ndarray,
    outside_utility: np.ndarray,
    consider: np.ndarray,
    noise_scale: float,
) -> np.ndarray:
    """Expected maximum utility gained over the outside option (the logsum).

    ``noise_scale * log(exp(u0/s) + sum_j exp(V_j/s)) - u0`` (up to the Gumbel
    location constant); for ``noise_scale = 0``, ``max(0, max_j V_ij - u0_i)``.
    Always >= 0; divide by the price sensitivity to express it in money.

    Returns
    -------
    ndarray, shape (customer,)
    """
    if noise_scale == 0:
        _, top = _best(utility, outside_utility, consider)
        return np.maximum(0.0, top - outside_utility)
    x, x0, m = _scaled(utility, outside_utility, consider, noise_scale)
    x -= m
    logsum = m + np.log(np.exp(x0 - m) + np.exp(x, out=x).sum(axis=0))
    return noise_scale * (logsum - x0)
