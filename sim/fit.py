"""The iCustomer fit: interaction depth supplied vs desired, by economic-value stage.

A firm sits at a point of the iCustomer chart (seed 000; MODEL.md §4, §6; seed M30):
an economic-value stage ``s_f`` (commodity, goods, service, experience,
transformation) and a supplied interaction depth ``D_f`` in [0, 10] (0: no
interaction, 10: co-creation). Each stage has a required depth ``D*(s)``
(default 1, 3, 5, 7, 9). A customer's desired depth ``d_i`` rises with the stage of
what they buy::

    d_ij = clip(d_i + stage_shift * (s_j - 2), 0, 10)      s_j = 0 (commodity) .. 4

so with the default ``stage_shift = 2`` a customer who wants the service depth
(``d_i = D*(service) = 5``) wants exactly ``D*(s)`` at every stage. Under-supply
beyond a tolerance costs utility; over-supply adds nothing (``beta_over = 0``) yet
costs the firm ``c0 + c_depth * D`` per buyer to serve (in the market: the firm's
``care_cost + depth_cost * D``), so over-supply is a margin loss and under-supply a
customer loss -- at the choice, and again after buying, when an under-served buyer is
less often satisfied (:meth:`FitValue.lived`) ("You cannot afford to give high level
support when delivering a commodity. Nor can you give a low level of support when you
are part of a transformation", 000:15)::

    fit_ij = - beta_under * max(0, d_ij - tolerance - D_j)
             - beta_over  * max(0, D_j - d_ij - tolerance)

:class:`FitValue` is a value component (``name = "fit"``, see :mod:`sim.value`). It
reads three optional fields of the choice situation and contributes nothing while
they are absent:

- ``desired_depth`` : ndarray of float32, shape (shopper,) -- ``d_i`` in [0, 10];
- ``supplied_depth`` : ndarray, shape (offer,) -- ``D_f`` of each offer's firm;
- ``stage`` : ndarray of int, shape (offer,) -- stage index (0..4) of each offer's firm.

Depths and stage names are validated where they enter (parameters; see
:func:`check_depth`, :func:`stage_index`), not in the per-period kernel.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.params import FROZEN
from sim.validation import ConfigError, check_nonnegative, check_range

if TYPE_CHECKING:  # sim.value lists FitValue in COMPONENTS: import it lazily (no cycle)
    from sim.value import ChoiceSituation, Contribution

__all__ = [
    "STAGES",
    "CHARGE_BASIS",
    "MAX_DEPTH",
    "FitValue",
    "fit_utility",
    "desired_depth",
    "cost_to_serve_per_buyer",
    "charge_basis",
    "stage_index",
    "check_depth",
]

#: Pine & Gilmore's progression of economic value, in order (index = stage index).
STAGES: tuple[str, ...] = ("commodity", "goods", "service", "experience", "transformation")

#: What each stage charges for (seed 000:9-13): the basis of a firm's revenue model.
CHARGE_BASIS: dict[str, str] = dict(
    zip(STAGES, ("stuff", "goods", "activities", "time", "outcomes"), strict=True))

#: Interaction depth runs from 0 (no interaction) to 10 (co-creation).
MAX_DEPTH = 10.0

_NEUTRAL_STAGE = STAGES.index("service")  # desired depth is d_i at this stage
_FITS = ("desired_depth", "supplied_depth", "stage")


def check_depth(field: str, value: Any) -> Any:
    """Return ``value`` (a number or array) if every depth lies in [0, 10].

    Raises
    ------
    ConfigError
        Naming ``field`` and the first offending value.
    """
    if np.ndim(value) == 0:
        return check_range(field, value, 0.0, MAX_DEPTH)
    a = np.asarray(value)
    if not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating):
        raise ConfigError(field, value, f"depths in [0, {MAX_DEPTH:g}]")
    bad = ~((a >= 0) & (a <= MAX_DEPTH))  # NaN is bad too
    if bad.any():
        raise ConfigError(field, a[bad].flat[0].item(), f"depths in [0, {MAX_DEPTH:g}]")
    return value


def stage_index(stage: str | int, field: str = "stage") -> int:
    """Index (0 = commodity .. 4 = transformation) of a stage given by name or index."""
    if isinstance(stage, str) and stage in STAGES:
        return STAGES.index(stage)
    if (isinstance(stage, (int, np.integer)) and not isinstance(stage, bool)
            and 0 <= stage < len(STAGES)):
        return int(stage)
    raise ConfigError(field, stage, "one of " + ", ".join(STAGES))


def charge_basis(stage: str | int) -> str:
    """What a firm at ``stage`` charges for: stuff, goods, activities, time or outcomes.

    Examples
    --------
    >>> charge_basis("service"), charge_basis(4)
    ('activities', 'outcomes')
    """
    return CHARGE_BASIS[STAGES[stage_index(stage)]]


def cost_to_serve_per_buyer(supplied_depth, c0: float, c_depth: float):
    """Cost of serving one buyer at interaction depth ``D``: ``c0 + c_depth * D`` (seed M30).

    Parameters
    ----------
    supplied_depth : float or ndarray, shape (firm,) or (offer,)
        Supplied depth(s) in [0, 10].
    c0, c_depth : float
        Fixed cost per buyer and cost per unit of depth (money, >= 0).

    Returns
    -------
    float or ndarray of float64, same shape as ``supplied_depth``
        Money per buyer (float64, as all money in the engine).

    Examples
    --------
    >>> cost_to_serve_per_buyer(3, c0=1.0, c_depth=0.5)
    2.5
    """
    check_nonnegative("c0", c0)
    check_nonnegative("c_depth", c_depth)
    check_depth("supplied_depth", supplied_depth)
    cost = c0 + c_depth * np.asarray(supplied_depth, np.float64)
    return float(cost) if cost.ndim == 0 else cost


@dataclasses.dataclass(**FROZEN)
class FitValue:
    """``fit_ij``: utility lost when an offer's firm supplies less interaction than wanted.

    Parameters
    ----------
    enabled : bool
    beta_under : float
        Utility lost per unit of depth under-supplied beyond ``tolerance`` (>= 0).
    tolerance : float
        Depth shortfall (or excess) a customer does not notice (>= 0).
    beta_over : float
        Utility lost per unit of depth over-supplied beyond ``tolerance`` (>= 0;
        usually 0: over-supply adds no value, it only costs the firm).
    required_depth : tuple of float
        Required depth ``D*(s)`` per stage in :data:`STAGES` order, each in [0, 10],
        non-decreasing: the iCustomer diagonal (firms that "know their stage" supply it).
    stage_shift : float
        How much a customer's desired depth rises per stage above service (>= 0).
    """

    name: ClassVar[str] = "fit"
    enabled: bool = True
    beta_under: float = 0.5
    tolerance: float = 1.0
    beta_over: float = 0.0
    required_depth: tuple[float, ...] = (1.0, 3.0, 5.0, 7.0, 9.0)
    stage_shift: float = 2.0

    def __post_init__(self) -> None:
        for f in ("beta_under", "tolerance", "beta_over", "stage_shift"):
            check_nonnegative(f, getattr(self, f))
        req = self.required_depth
        if not isinstance(req, (tuple, list)) or len(req) != len(STAGES):
            raise ConfigError("required_depth", req,
                              f"{len(STAGES)} depths in [0, 10], one per stage")
        for k, d in enumerate(req):
            check_range(f"required_depth[{k}]", d, 0.0, MAX_DEPTH)
        if any(b < a for a, b in zip(req, req[1:], strict=False)):
            raise ConfigError("required_depth", req, "depths non-decreasing with the stage")

    def required(self, stage: str | int) -> float:
        """Required depth ``D*(s)`` of ``stage`` (name or index)."""
        return float(self.required_depth[stage_index(stage)])

    def lived(self, s: ChoiceSituation, rows: np.ndarray, offers: np.ndarray) -> np.ndarray:
        """The fit buyers live with: of ``offers[k]`` to shopper ``rows[k]``, shape (buyer,).

        Lowers the benefit a buyer gets, so an under-served buyer is less often satisfied
        (bond, word of mouth, churn; and no payment where outcomes are charged for).
        Zeros while the situation lacks the fit fields.
        """
        if s.desired_depth is None or s.supplied_depth is None or s.stage is None:
            return np.zeros(np.shape(rows))
        shift = self.stage_shift * (np.asarray(s.stage)[offers] - _NEUTRAL_STAGE)
        wanted = np.clip(np.asarray(s.desired_depth, np.float64)[rows] + shift, 0, MAX_DEPTH)
        return _loss(wanted, np.asarray(s.supplied_depth, np.float64)[offers], self)

    def contribution(self, s: ChoiceSituation) -> Contribution:
        """Fit of each offer to each shopper, shape (offer, shopper); nothing to the outside.

        Zero while the situation lacks ``desired_depth``, ``supplied_depth`` and ``stage``.
        """
        from sim.value import Contribution
        got = {f: getattr(s, f, None) for f in _FITS}
        missing = [f for f, v in got.items() if v is None]
        if len(missing) == len(_FITS):
            return Contribution()
        if missing:
            raise ValueError(f"fit: the choice situation lacks {', '.join(missing)} "
                             f"(needs all of {', '.join(_FITS)})")
        return Contribution(fit_utility(
            got["desired_depth"], got["supplied_depth"], got["stage"], self))


def desired_depth(desired: np.ndarray, stage: np.ndarray, params: FitValue) -> np.ndarray:
    """Depth each shopper wants from each offer: ``clip(d_i + shift * (s_j - 2), 0, 10)``.

    Parameters
    ----------
    desired : ndarray, shape (shopper,)
        ``d_i``, the depth wanted at the service stage.
    stage : ndarray of int, shape (offer,)
        Stage index of each offer (0 = commodity .. 4 = transformation).
    params : FitValue

    Returns
    -------
    ndarray of float32 (or ``desired``'s float dtype), shape (offer, shopper)
    """
    d = np.asarray(desired)
    dtype = d.dtype if d.dtype in (np.float32, np.float64) else np.dtype(np.float32)
    shift = (params.stage_shift * (np.asarray(stage) - _NEUTRAL_STAGE)).astype(dtype)
    out = d.astype(dtype, copy=False)[None, :] + shift[:, None]
    return np.clip(out, 0, MAX_DEPTH, out=out)


def fit_utility(desired: np.ndarray, supplied: np.ndarray, stage: np.ndarray,
                params: FitValue) -> np.ndarray:
    """Utility of the fit between supplied and desired interaction depth.

    ``-beta_under * max(0, d_ij - tol - D_j) - beta_over * max(0, D_j - d_ij - tol)``
    with ``d_ij`` from :func:`desired_depth`. Vectorised: a few passes over the
    (offer, shopper) table, no loop over shoppers.

    Parameters
    ----------
    desired : ndarray, shape (shopper,)
        Desired depth ``d_i`` in [0, 10] (float32 in the engine).
    supplied : ndarray, shape (offer,)
        Supplied depth ``D_j`` of each offer's firm, in [0, 10].
    stage : ndarray of int, shape (offer,)
        Stage index of each offer's firm.
    params : FitValue

    Returns
    -------
    ndarray of float32 (``desired``'s float dtype), shape (offer, shopper)
        Fresh array, <= 0 everywhere.

    Examples
    --------
    >>> fit_utility(np.array([5.0, 8.0], np.float32), np.array([5.0, 2.0]), np.array([2, 2]),
    ...             FitValue(beta_under=1.0, tolerance=1.0)).tolist()
    [[0.0, -2.0], [-2.0, -5.0]]
    """
    d = desired_depth(desired, stage, params)  # (offer, shopper), fresh
    return _loss(d, np.asarray(supplied).astype(d.dtype)[:, None], params)


def _loss(wanted: np.ndarray, supplied: np.ndarray, params: FitValue) -> np.ndarray:
    """``-beta_under * max(0, wanted - tol - supplied) - beta_over * max(0, supplied - wanted
    - tol)``, computed in place in ``wanted`` (a fresh array; ``supplied`` broadcasts)."""
    d = wanted
    dtype = d.dtype
    tol = dtype.type(params.tolerance)
    if params.beta_over > 0:
        over = supplied - d
        over -= tol
        np.maximum(over, 0, out=over)
        over *= dtype.type(params.beta_over)
    d -= tol
    d -= supplied  # shortfall beyond the tolerance
    np.maximum(d, 0, out=d)
    d *= dtype.type(params.beta_under)
    if params.beta_over > 0:
        d += over
    np.subtract(dtype.type(0), d, out=d)  # a loss (0 - x: no negative zeros)
    return d
