"""Nash–Bertrand equilibrium prices for logit demand with multi-product firms.

The researcher's benchmark: utility of product j is ``delta_j - alpha * p_j``,
the outside good has utility 0, and shares are logit,
``s_j = exp(u_j) / (1 + sum_k exp(u_k))``. Each firm sets the prices of the
products it owns to maximise its profit ``sum_{j in f} (p_j - c_j) s_j``. The
first-order conditions are (Berry 1994; Nevo 2000)

    s + (O * dS/dp^T) (p - c) = 0,   dS_k/dp_j = -alpha * s_k * (1[k=j] - s_j),

with ``O`` the ownership matrix. For a single-product firm they reduce to the
markup identity ``p - c = 1 / (alpha * (1 - s))``; for a multi-product logit
firm every product carries the same markup ``1 / (alpha * (1 - S_f))``.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from sim.validation import ConfigError

__all__ = ["bertrand_nash_prices", "logit_shares", "first_order_conditions"]


def logit_shares(mean_utility: np.ndarray, price_coef: float, price: np.ndarray) -> np.ndarray:
    """Logit market shares with an outside good of utility 0, shape (product,)."""
    u = np.asarray(mean_utility, dtype=np.float64) - price_coef * np.asarray(price, np.float64)
    top = max(0.0, float(u.max()))
    e = np.exp(u - top)
    return e / (np.exp(-top) + e.sum())


def first_order_conditions(price, mean_utility, price_coef, marginal_cost, ownership):
    """Residuals of the firms' first-order conditions, shape (product,); zero at equilibrium."""
    s = logit_shares(mean_utility, price_coef, price)
    jacobian = -price_coef * (np.diag(s) - np.outer(s, s))  # dS_k / dp_j (symmetric)
    return s + (ownership * jacobian.T) @ (np.asarray(price) - marginal_cost)


def _validate(mean_utility, price_coef, marginal_cost, ownership):
    delta = np.asarray(mean_utility, dtype=np.float64)
    if delta.ndim != 1 or delta.size == 0 or not np.isfinite(delta).all():
        raise ConfigError("mean_utility", mean_utility, "a non-empty 1-d array of finite numbers")
    n = delta.size
    cost = np.asarray(marginal_cost, dtype=np.float64)
    if cost.shape != (n,) or not np.isfinite(cost).all() or (cost < 0).any():
        raise ConfigError("marginal_cost", marginal_cost,
                          f"{n} finite non-negative numbers (one per product)")
    if (isinstance(price_coef, bool) or not np.isscalar(price_coef)
            or not np.isfinite(price_coef) or price_coef <= 0):
        raise ConfigError("price_coef", price_coef, "a finite number > 0")
    own = np.eye(n) if ownership is None else np.asarray(ownership, dtype=np.float64)
    if own.shape != (n, n):
        raise ConfigError("ownership", f"shape {own.shape}", f"a {n}x{n} matrix")
    if not np.isin(own, (0.0, 1.0)).all() or (np.diag(own) != 1).any() or (own != own.T).any():
        raise ConfigError("ownership", "a matrix with other entries",
                          "a symmetric 0/1 matrix with ones on the diagonal")
    return delta, float(price_coef), cost, own


def bertrand_nash_prices(
    mean_utility: np.ndarray,
    price_coef: float,
    marginal_cost: np.ndarray,
    ownership: np.ndarray | None = None,
    *,
    tol: float = 1e-10,
) -> np.ndarray:
    """Equilibrium prices of the Bertrand game with logit demand.

    Parameters
    ----------
    mean_utility : ndarray, shape (product,)
        ``delta_j``: the utility of product j at price zero.
    price_coef : float
        ``alpha > 0``: utility lost per unit of price.
    marginal_cost : ndarray, shape (product,)
    ownership : ndarray, shape (product, product), optional
        ``O[j, k] = 1`` if products j and k belong to the same firm (default:
        every product its own firm).
    tol : float
        Maximum first-order-condition residual accepted, each divided by its
        product's share (so the criterion does not vanish with tiny shares).

    Returns
    -------
    ndarray, shape (product,)
        Prices at which every firm's first-order conditions hold to ``tol``.

    Raises
    ------
    ConfigError
        On invalid inputs (naming the argument).
    RuntimeError
        When the solver does not reach ``tol``.

    Examples
    --------
    >>> p = bertrand_nash_prices([2.0], 1.0, [1.0])
    >>> s = logit_shares([2.0], 1.0, p)
    >>> bool(abs((p - 1.0) - 1 / (1 - s))[0] < 1e-10)
    True
    """
    delta, alpha, cost, own = _validate(mean_utility, price_coef, marginal_cost, ownership)

    def markup_gap(p):  # logit: each firm's markup is 1 / (alpha * (1 - its total share))
        return (p - cost) - 1.0 / (alpha * (1.0 - own @ logit_shares(delta, alpha, p)))

    def scaled_residual(p):  # the FOCs divided by each product's share: scale-free
        s = logit_shares(delta, alpha, p)
        return first_order_conditions(p, delta, alpha, cost, own) / np.maximum(s, 1e-300)

    start = cost + 1.0 / alpha
    sol = optimize.root(markup_gap, start, method="hybr", tol=1e-14)
    p = sol.x
    if not np.all(np.isfinite(p)) or np.max(np.abs(scaled_residual(p))) > tol:
        p = start
        for _ in range(100_000):  # damped fixed point: slow but sure
            p = 0.5 * p + 0.5 * (p - markup_gap(p))
            if np.max(np.abs(markup_gap(p))) < tol * 1e-2:
                break
    worst = float(np.max(np.abs(scaled_residual(p)))) if np.all(np.isfinite(p)) else np.inf
    if worst > tol:
        raise RuntimeError(f"bertrand_nash_prices did not converge: max first-order residual "
                           f"(relative to share) {worst:.3g} > tol {tol:g}")
    return p
