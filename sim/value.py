"""The value function: perceived value of every offer to every shopper.

``V = sum of components`` (MODEL.md §4). Each component is a small frozen
parameter object with ``contribution(situation) -> Contribution``; a
contribution adds to the offers' values, to the outside option's, or both.
Adding a mechanism (journey experience, interaction-depth fit, ...) is one new
component class listed in :data:`COMPONENTS` (as :class:`sim.fit.FitValue` and
:class:`sim.experience.JourneyValue` are); no other component changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple, Protocol, runtime_checkable

import numpy as np

from sim.experience import JourneyValue
from sim.fit import FitValue
from sim.params import FROZEN, from_mapping
from sim.validation import ConfigError, check_finite, check_nonnegative

__all__ = [
    "ChoiceSituation",
    "Contribution",
    "ValueComponent",
    "AttributeValue",
    "BondValue",
    "SocialValue",
    "ContextValue",
    "PriceValue",
    "ValueFunction",
    "COMPONENTS",
]


@dataclasses.dataclass(slots=True, frozen=True)
class ChoiceSituation:
    """Everything the period's shoppers face (n shoppers, J offers, F firms, D dims, S segments).

    Per-shopper tables are offer-, firm- or dimension-major (see :mod:`sim.choice`).

    Attributes
    ----------
    weights : ndarray, shape (dimension, shopper)
    price_sensitivity : ndarray, shape (shopper,)
        alpha_i(e_t), already moved by the economy.
    base_price_sensitivity : ndarray, shape (shopper,)
        alpha_i in normal times (turns stated money valuations into utility).
    loss_aversion : ndarray, shape (shopper,)
    infers_quality : ndarray of bool, shape (shopper,)
    bond : ndarray, shape (firm, shopper)
    reference_price : ndarray, shape (offer, shopper)
    segment : ndarray of int, shape (shopper,)
    valuation_scale : ndarray, shape (shopper,)
    consider : ndarray of bool, shape (offer, shopper)
    attributes : ndarray, shape (offer, dimension)
    price : ndarray, shape (offer,)
        Posted prices: what a buyer pays without a concession; the price signal reads it.
    list_price : ndarray, shape (offer,)
    offer_firm : ndarray of int, shape (offer,)
    valuations : ndarray, shape (offer, segment)
        Stated money values; NaN columns for segments described by weights.
    social : ndarray, shape (firm,)
        Net word of mouth about each firm, in [-1, 1].
    concession : ndarray, shape (offer,), optional
        Price cut (fraction) a buyer gets by committing (0: none).
    commitment : ndarray of int, shape (offer,), optional
        Periods a buyer commits for to get the concession.
    committed : ndarray of bool, shape (firm, shopper), optional
        Shoppers already under a commitment to each firm (they pay the deal price
        without committing again).
    budget : ndarray, shape (shopper,), optional
        What each shopper can spend this period. Offers are considered when the
        lowest price on offer fits; a posted price above it can only be paid by
        taking the deal.
    transparency : float
        Price transparency tau_t in [0, 1]: to non-insiders of a firm its offers'
        attribute benefit differs from the mean of the offers they consider by only
        ``1 - tau_t`` of the true difference (commoditisation).
    insider : ndarray of bool, shape (firm, shopper), optional
        Shoppers who are insiders of each firm (needed when ``transparency > 0``).
    desired_depth : ndarray, shape (shopper,), optional
        Interaction depth each shopper wants, d_i in [0, 10] (the ``fit`` component).
    supplied_depth : ndarray, shape (offer,), optional
        Interaction depth the offer's firm supplies, D in [0, 10].
    stage : ndarray of int, shape (offer,), optional
        Economic-value stage of the offer's firm (0 = commodity .. 4 = transformation).
    journey_wait, journey_handoffs : ndarray, shape (firm,), optional
        What shoppers expect of each firm's customer journey (last period's mean wait per
        inquiry, time units, and hand-offs per inquiry; NaN: no journey) -- the
        ``journey`` component.
    """

    weights: np.ndarray
    price_sensitivity: np.ndarray
    base_price_sensitivity: np.ndarray
    loss_aversion: np.ndarray
    infers_quality: np.ndarray
    bond: np.ndarray
    reference_price: np.ndarray
    segment: np.ndarray
    valuation_scale: np.ndarray
    consider: np.ndarray
    attributes: np.ndarray
    price: np.ndarray
    list_price: np.ndarray
    offer_firm: np.ndarray
    valuations: np.ndarray
    social: np.ndarray
    concession: np.ndarray | None = None
    commitment: np.ndarray | None = None
    committed: np.ndarray | None = None
    budget: np.ndarray | None = None
    transparency: float = 0.0
    insider: np.ndarray | None = None
    desired_depth: np.ndarray | None = None
    supplied_depth: np.ndarray | None = None
    stage: np.ndarray | None = None
    journey_wait: np.ndarray | None = None
    journey_handoffs: np.ndarray | None = None

    @property
    def has_deals(self) -> bool:
        """Whether any offer is sold with a buyer concession."""
        return self.concession is not None and bool((self.concession > 0).any())

    @property
    def n_shoppers(self) -> int:
        return self.consider.shape[1]

    @property
    def stated(self) -> np.ndarray:
        """Shoppers whose segment states valuations, shape (shopper,), bool."""
        by_segment = ~np.isnan(self.valuations[0]) if self.valuations.shape[0] else None
        if by_segment is None or not by_segment.any():
            return np.zeros(self.n_shoppers, bool)
        return by_segment[self.segment]


class Contribution(NamedTuple):
    """A component's addition to offer values and to the outside option's value.

    Arrays are new (the caller may modify them), never views of the situation.
    """

    offers: np.ndarray | float = 0.0  # shape (offer, shopper) or broadcastable
    outside: np.ndarray | float = 0.0  # shape (shopper,) or broadcastable


@runtime_checkable
class ValueComponent(Protocol):
    """One named term of the value function."""

    name: ClassVar[str]
    enabled: bool

    def contribution(self, situation: ChoiceSituation) -> Contribution: ...


@dataclasses.dataclass(**FROZEN)
class AttributeValue:
    """``beta * sum_d w_id a_jd``: subjective weights times offer attributes.

    Segments with a valuation table use ``alpha_i * scale_i * WTP_sj`` instead.
    Customers who infer quality from price perceive the benefit scaled by
    ``min(1, posted / list_price) ** price_quality_elasticity``: a cut reads as
    lower quality (a price above list does not read as higher quality).
    Under price transparency tau_t, a shopper who is not an insider of the offer's
    firm perceives its benefit pulled toward the mean benefit of the offers they
    consider, keeping ``1 - tau_t`` of the difference: offers look alike and price
    decides (commoditisation); insiders still see what the relationship shows them
    (Levitt).
    """

    name: ClassVar[str] = "attributes"
    enabled: bool = True
    beta: float = 1.0
    price_quality_elasticity: float = 0.5

    def __post_init__(self) -> None:
        check_finite("beta", self.beta)
        check_nonnegative("price_quality_elasticity", self.price_quality_elasticity)

    def benefit(self, s: ChoiceSituation, *, perceived: bool = True) -> np.ndarray:
        """Benefit of each offer, shape (offer, shopper).

        ``perceived=False`` drops the price-quality signal.
        """
        w = s.weights
        a = s.attributes.astype(w.dtype)
        b = a[:, 0, None] * w[0]
        for d in range(1, a.shape[1]):  # D small: a few vector passes, no threaded BLAS
            b += a[:, d, None] * w[d]
        stated = s.stated
        if stated.any():
            cols = np.flatnonzero(stated)
            scale = s.base_price_sensitivity[cols] * s.valuation_scale[cols]
            b[:, cols] = s.valuations[:, s.segment[cols]] * scale
        if perceived and self.price_quality_elasticity > 0:
            ratio = np.minimum(s.price / s.list_price, 1.0)  # only cuts send the signal
            signal = ratio ** self.price_quality_elasticity
            if (signal != 1).any() and s.infers_quality.any():
                cols = np.flatnonzero(s.infers_quality)
                b[:, cols] *= signal[:, None].astype(b.dtype)
        if perceived and s.transparency > 0:  # offers look alike to non-insiders
            b = comparable(s, b, 1.0 - s.transparency)
        if self.beta != 1:
            b *= self.beta
        return b

    def delivered(self, s: ChoiceSituation, rows: np.ndarray, offers: np.ndarray) -> np.ndarray:
        """True benefit (no price signal) of ``offers[k]`` to shopper ``rows[k]``.

        Returns
        -------
        ndarray, shape (buyer,)
        """
        b = np.zeros(rows.shape[0])
        for d in range(s.attributes.shape[1]):
            b += s.weights[d, rows] * s.attributes[offers, d]
        stated = s.valuations[offers, s.segment[rows]]
        money = stated * s.base_price_sensitivity[rows] * s.valuation_scale[rows]
        return self.beta * np.where(np.isnan(stated), b, money)

    def contribution(self, s: ChoiceSituation) -> Contribution:
        return Contribution(self.benefit(s))


@dataclasses.dataclass(**FROZEN)
class BondValue:
    """``beta * b_if``: the relationship with the offer's firm (insiders protect)."""

    name: ClassVar[str] = "bond"
    enabled: bool = True
    beta: float = 1.0

    def __post_init__(self) -> None:
        check_finite("beta", self.beta)

    def contribution(self, s: ChoiceSituation) -> Contribution:
        b = s.bond[s.offer_firm]
        if self.beta != 1:
            b *= self.beta
        return Contribution(b)


@dataclasses.dataclass(**FROZEN)
class SocialValue:
    """``beta * social_f``: word of mouth about the offer's firm (mean field)."""

    name: ClassVar[str] = "social"
    enabled: bool = True
    beta: float = 2.0

    def __post_init__(self) -> None:
        check_finite("beta", self.beta)

    def contribution(self, s: ChoiceSituation) -> Contribution:
        return Contribution((self.beta * s.social[s.offer_firm])[:, None])


@dataclasses.dataclass(**FROZEN)
class ContextValue:
    """Context effects of each shopper's own choice set S.

    - compromise: an offer with a strictly cheaper and a strictly dearer alternative in S
      gains ``compromise``;
    - attraction: an offer that asymmetrically dominates another offer in S
      (no worse on every attribute, no dearer, better somewhere) gains ``attraction``;
    - overload: each offer in S with a near-identical sibling in S (relative distance in
      attributes plus price below ``crowding_radius``) adds ``overload`` to the outside option.

    The effects depend only on the set S, so they are computed once per distinct set
    (at most 2**J, in practice a few hundred) and gathered for every shopper.
    """

    name: ClassVar[str] = "context"
    enabled: bool = True
    compromise: float = 0.2
    attraction: float = 0.15
    overload: float = 0.05
    crowding_radius: float = 0.1

    def __post_init__(self) -> None:
        for f in ("compromise", "attraction", "overload", "crowding_radius"):
            check_nonnegative(f, getattr(self, f))

    def per_set(self, sets: np.ndarray, attributes: np.ndarray, price: np.ndarray):
        """Context effects of each choice set.

        Parameters
        ----------
        sets : ndarray of bool, shape (offer, set)
        attributes : ndarray, shape (offer, dimension)
        price : ndarray, shape (offer,)

        Returns
        -------
        offers : ndarray, shape (offer, set)
        outside : ndarray, shape (set,)
        """
        m, a, p = sets, attributes, price
        lo = np.where(m, p[:, None], np.inf).min(axis=0)
        hi = np.where(m, p[:, None], -np.inf).max(axis=0)
        middle = m & (p[:, None] > lo) & (p[:, None] < hi)
        ge = (a[:, None, :] >= a[None, :, :]).all(axis=2)
        gt = (a[:, None, :] > a[None, :, :]).any(axis=2)
        dominates = ge & (p[:, None] <= p[None, :]) & (gt | (p[:, None] < p[None, :]))
        decoys = (dominates.astype(np.int32) @ m.astype(np.int32)) > 0  # (offer, set)
        scale_a = max(float(np.abs(a).mean()), 1e-12)
        scale_p = max(float(np.abs(p).mean()), 1e-12)
        dist = (np.abs(a[:, None, :] - a[None, :, :]).mean(axis=2) / scale_a
                + np.abs(p[:, None] - p[None, :]) / scale_p)
        similar = (dist < self.crowding_radius) & ~np.eye(len(p), dtype=bool)
        crowded = (m & ((similar.astype(np.int32) @ m.astype(np.int32)) > 0)).sum(axis=0)
        offers = self.compromise * middle + self.attraction * (m & decoys)
        return offers, self.overload * crowded

    def contribution(self, s: ChoiceSituation) -> Contribution:
        m = s.consider
        n_offers = m.shape[0]
        if n_offers > 62:  # too many offers to code sets as integers: per shopper
            offers, outside = self.per_set(m, s.attributes, s.price)
            return Contribution(offers.astype(np.float32), outside)
        code = np.zeros(m.shape[1], np.int64)
        for j in range(n_offers):
            code |= m[j].astype(np.int64) << j
        if n_offers <= 20:
            present = np.flatnonzero(np.bincount(code, minlength=1 << n_offers))
            lookup = np.zeros(1 << n_offers, np.intp)
            lookup[present] = np.arange(present.size)
            sets, inverse = present, lookup[code]
        else:
            sets, inverse = np.unique(code, return_inverse=True)
        masks = ((sets[None, :] >> np.arange(n_offers)[:, None]) & 1).astype(bool)
        offers, outside = self.per_set(masks, s.attributes, s.price)
        return Contribution(np.take(offers.astype(np.float32), inverse, axis=1), outside[inverse])


@dataclasses.dataclass(**FROZEN)
class PriceValue:
    """``-alpha_i(e_t) * [p_j + (lambda_i - 1) * max(0, p_j - r_ij)]``: price with loss aversion.

    Where a firm offers a buyer concession (a cut of ``c_j`` for committing
    ``k_j`` periods), each shopper takes whichever is worth more to them: the
    posted price, or the deal price ``p_j (1 - c_j)`` plus
    ``commitment_cost * k_j`` (in utility; nothing for shoppers already
    committed to the firm). A shopper whose budget does not reach the posted
    price can only buy on the deal. Under price transparency tau_t, price
    differences loom larger for non-insiders of the offer's firm: each offer's cost
    differs from the mean cost of the offers they consider by ``1 + k * tau_t`` times
    its true difference (``k = transparency_weight``; the level is kept).
    """

    name: ClassVar[str] = "price"
    enabled: bool = True
    commitment_cost: float = 0.05
    transparency_weight: float = 1.0

    def __post_init__(self) -> None:
        check_nonnegative("commitment_cost", self.commitment_cost)
        check_nonnegative("transparency_weight", self.transparency_weight)

    @staticmethod
    def _cost(s: ChoiceSituation, price: np.ndarray, r: np.ndarray) -> np.ndarray:
        cost = np.maximum(price - r, 0)
        cost *= s.loss_aversion - 1
        cost += price
        cost *= s.price_sensitivity
        return cost

    def _deal_cost(self, s: ChoiceSituation, r: np.ndarray) -> np.ndarray:
        deal = (s.price * (1.0 - s.concession))[:, None].astype(r.dtype)
        cost = self._cost(s, deal, r)
        commit = (self.commitment_cost * s.commitment).astype(r.dtype)[:, None]
        if s.committed is not None:
            commit = np.where(s.committed[s.offer_firm], np.float32(0), commit)
        return cost + commit

    def contribution(self, s: ChoiceSituation) -> Contribution:
        r = s.reference_price
        cost = self._cost(s, s.price[:, None].astype(r.dtype), r)
        if s.has_deals:
            rows = np.flatnonzero(s.concession > 0)
            deal = self._deal_cost(_offers(s, rows), r[rows])
            plain = cost[rows]
            if s.budget is not None:  # posted price out of reach: the deal or nothing
                plain[s.price[rows, None] > s.budget] = np.inf
            cost[rows] = np.minimum(plain, deal)
        if s.transparency > 0 and self.transparency_weight > 0:  # prices are compared
            cost = comparable(s, cost, 1.0 + self.transparency_weight * s.transparency)
        return Contribution(-cost)

    def takes_deal(self, s: ChoiceSituation, rows: np.ndarray, offers: np.ndarray) -> np.ndarray:
        """Whether shopper ``rows[k]`` buying ``offers[k]`` takes its concession, shape (buyer,)."""
        if not s.has_deals:
            return np.zeros(rows.shape[0], bool)
        deal = s.concession[offers] > 0
        r = s.reference_price[offers, rows]
        alpha, lam = s.price_sensitivity[rows], s.loss_aversion[rows]
        p = s.price[offers]
        q = p * (1.0 - s.concession[offers])
        plain = alpha * (p + (lam - 1) * np.maximum(p - r, 0))
        cost = alpha * (q + (lam - 1) * np.maximum(q - r, 0))
        already = (s.committed[s.offer_firm[offers], rows] if s.committed is not None
                   else np.zeros(rows.shape[0], bool))
        cost = cost + np.where(already, 0.0, self.commitment_cost * s.commitment[offers])
        if s.budget is not None:  # posted price out of reach: the deal or nothing
            plain = np.where(p > s.budget[rows], np.inf, plain)
        return deal & (cost < plain)


def comparable(s: ChoiceSituation, x: np.ndarray, spread: float) -> np.ndarray:
    """``x`` as price transparency shows it to non-insiders: around the mean of the offers
    each shopper considers, differences scaled by ``spread`` (< 1 fades them, > 1 sharpens
    them); insiders of the offer's firm see ``x`` as it is.

    Parameters
    ----------
    s : ChoiceSituation
        Supplies ``consider`` (offer, shopper) and ``insider`` (firm, shopper).
    x : ndarray, shape (offer, shopper)
    spread : float

    Returns
    -------
    ndarray, shape (offer, shopper)
    """
    finite = s.consider & np.isfinite(x)
    mean = (np.where(finite, x, 0).sum(axis=0) / np.maximum(finite.sum(axis=0), 1)).astype(
        x.dtype)
    seen = mean + x.dtype.type(spread) * (x - mean)
    return np.where(s.insider[s.offer_firm], x, seen)


def _offers(s: ChoiceSituation, rows: np.ndarray) -> ChoiceSituation:
    """``s`` restricted to offers ``rows`` (per-offer fields only)."""
    per_offer = {k: getattr(s, k)[rows] for k in ("supplied_depth", "stage")
                 if getattr(s, k) is not None}
    return dataclasses.replace(
        s, price=s.price[rows], list_price=s.list_price[rows], offer_firm=s.offer_firm[rows],
        concession=s.concession[rows], commitment=s.commitment[rows], **per_offer)


#: Component classes by config name. A new component is one class and one line here.
COMPONENTS: dict[str, type] = {
    c.name: c for c in (AttributeValue, BondValue, SocialValue, ContextValue, PriceValue,
                        FitValue, JourneyValue)
}


@dataclasses.dataclass(**FROZEN)
class ValueFunction:
    """The sum of enabled components (customers x offers x context -> perceived value)."""

    components: tuple[Any, ...] = (
        AttributeValue(), BondValue(), SocialValue(), ContextValue(), PriceValue(),
    )

    def __post_init__(self) -> None:
        for c in self.components:
            if not isinstance(c, ValueComponent):
                raise ConfigError("components", c, "ValueComponent objects")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], path: str = "value") -> ValueFunction:
        """Build from ``{component name: its parameters}`` (order kept)."""
        comps = []
        for key, params in data.items():
            if key not in COMPONENTS:
                raise ConfigError(f"{path}.{key}", "unknown component",
                                  "one of " + ", ".join(COMPONENTS))
            comps.append(from_mapping(COMPONENTS[key], params or {}, f"{path}.{key}"))
        return cls(components=tuple(comps))

    def to_mapping(self) -> dict[str, dict]:
        """``{component name: its parameters}``, the form :meth:`from_mapping` reads."""
        from sim.params import to_mapping

        return {c.name: to_mapping(c) for c in self.components}

    def without(self, name: str) -> ValueFunction:
        """The same value function with component ``name`` left out."""
        return ValueFunction(components=tuple(c for c in self.components if c.name != name))

    def get(self, name: str) -> Any | None:
        """The enabled component called ``name``, or None."""
        for c in self.components:
            if c.name == name and c.enabled:
                return c
        return None

    def __call__(self, s: ChoiceSituation) -> tuple[np.ndarray, np.ndarray]:
        """Perceived values.

        Returns
        -------
        offers : ndarray of float32, shape (offer, shopper)
        outside : ndarray of float32, shape (shopper,)
            Contributions to the outside option (added to u0 by the caller).
        """
        v, v0 = None, np.zeros(s.n_shoppers, np.float32)
        for c in self.components:
            if c.enabled:
                add = c.contribution(s)
                v = _accumulate(v, add.offers, s.consider.shape)
                v0 += add.outside
        return (np.zeros(s.consider.shape, np.float32) if v is None else v), v0


def _accumulate(total: np.ndarray | None, term, shape: tuple[int, int]) -> np.ndarray:
    """Add ``term`` to ``total``; the first full-size term becomes the total (no extra pass).

    Components return fresh arrays (see :class:`Contribution`), so reusing one is safe.
    """
    if total is None:
        if isinstance(term, np.ndarray) and term.shape == shape:
            return term.astype(np.float32, copy=False)
        total = np.zeros(shape, np.float32)
    total += term
    return total
