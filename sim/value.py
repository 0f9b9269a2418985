"""The value function: perceived value of every offer to every shopper.

``V = sum of components`` (MODEL.md §4). Each component is a small frozen
parameter object with ``contribution(situation) -> Contribution``; a
contribution adds to the offers' values, to the outside option's, or both.
Adding a mechanism (journey experience, interaction-depth fit, ...) is one new
component class listed in :data:`COMPONENTS`; no other component changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple, Protocol, runtime_checkable

import numpy as np

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

    Attributes
    ----------
    weights : ndarray, shape (shopper, dimension)
    price_sensitivity : ndarray, shape (shopper,)
        alpha_i(e_t), already moved by the economy.
    base_price_sensitivity : ndarray, shape (shopper,)
        alpha_i in normal times (turns stated money valuations into utility).
    loss_aversion : ndarray, shape (shopper,)
    infers_quality : ndarray of bool, shape (shopper,)
    bond : ndarray, shape (shopper, firm)
    reference_price : ndarray, shape (shopper, offer)
    segment : ndarray of int, shape (shopper,)
    valuation_scale : ndarray, shape (shopper,)
    consider : ndarray of bool, shape (shopper, offer)
    attributes : ndarray, shape (offer, dimension)
    price : ndarray, shape (offer,)
    list_price : ndarray, shape (offer,)
    offer_firm : ndarray of int, shape (offer,)
    valuations : ndarray, shape (segment, offer)
        Stated money values; NaN rows for segments described by weights.
    social : ndarray, shape (firm,)
        Net word of mouth about each firm, in [-1, 1].
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

    @property
    def n_shoppers(self) -> int:
        return self.weights.shape[0]


class Contribution(NamedTuple):
    """A component's addition to offer values and to the outside option's value."""

    offers: np.ndarray | float = 0.0  # shape (shopper, offer) or broadcastable
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
    ``(price / list_price) ** price_quality_elasticity``: a cut reads as lower
    quality.
    """

    name: ClassVar[str] = "attributes"
    enabled: bool = True
    beta: float = 1.0
    price_quality_elasticity: float = 0.5

    def __post_init__(self) -> None:
        check_finite("beta", self.beta)
        check_nonnegative("price_quality_elasticity", self.price_quality_elasticity)

    def benefit(self, s: ChoiceSituation, *, perceived: bool = True) -> np.ndarray:
        """Benefit of each offer, shape (shopper, offer).

        ``perceived=False`` drops the price-quality signal.
        """
        b = s.weights @ s.attributes.T.astype(s.weights.dtype)
        b = b.astype(np.float64)
        table = s.valuations[s.segment]
        stated = ~np.isnan(table[:, 0]) if table.shape[1] else np.zeros(len(table), bool)
        if stated.any():
            scale = s.base_price_sensitivity[stated] * s.valuation_scale[stated]
            b[stated] = table[stated] * scale[:, None]
        if perceived and self.price_quality_elasticity > 0 and s.infers_quality.any():
            signal = (s.price / s.list_price) ** self.price_quality_elasticity
            b = np.where(s.infers_quality[:, None], b * signal, b)
        return self.beta * b

    def delivered(self, s: ChoiceSituation, rows: np.ndarray, offers: np.ndarray) -> np.ndarray:
        """True benefit (no price signal) of ``offers[k]`` to shopper ``rows[k]``.

        Returns
        -------
        ndarray, shape (buyer,)
        """
        b = np.einsum("bd,bd->b", s.weights[rows].astype(np.float64), s.attributes[offers])
        stated = s.valuations[s.segment[rows], offers]
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
        return Contribution(self.beta * s.bond[:, s.offer_firm])


@dataclasses.dataclass(**FROZEN)
class SocialValue:
    """``beta * social_f``: word of mouth about the offer's firm (mean field)."""

    name: ClassVar[str] = "social"
    enabled: bool = True
    beta: float = 1.0

    def __post_init__(self) -> None:
        check_finite("beta", self.beta)

    def contribution(self, s: ChoiceSituation) -> Contribution:
        return Contribution(self.beta * s.social[s.offer_firm][None, :])


@dataclasses.dataclass(**FROZEN)
class ContextValue:
    """Context effects of each shopper's own choice set S.

    - compromise: an offer with a cheaper and a dearer alternative in S gains ``compromise``;
    - attraction: an offer that asymmetrically dominates another offer in S
      (no worse on every attribute, no dearer, better somewhere) gains ``attraction``;
    - overload: each offer in S with a near-identical sibling in S (relative distance in
      attributes plus price below ``crowding_radius``) adds ``overload`` to the outside option.
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

    def contribution(self, s: ChoiceSituation) -> Contribution:
        m = s.consider
        order = np.argsort(s.price, kind="stable")
        ms = m[:, order]
        below = np.zeros_like(ms)
        below[:, 1:] = np.logical_or.accumulate(ms, axis=1)[:, :-1]
        above = np.zeros_like(ms)
        above[:, :-1] = np.logical_or.accumulate(ms[:, ::-1], axis=1)[:, ::-1][:, 1:]
        middle = np.empty_like(ms)
        middle[:, order] = ms & below & above
        mf = m.astype(np.float32)
        a, p = s.attributes, s.price
        ge = (a[:, None, :] >= a[None, :, :]).all(axis=2)
        gt = (a[:, None, :] > a[None, :, :]).any(axis=2)
        dominates = ge & (p[:, None] <= p[None, :]) & (gt | (p[:, None] < p[None, :]))
        decoys = mf @ dominates.T.astype(np.float32)  # (shopper, offer): dominated offers in S
        scale_a = max(float(np.abs(a).mean()), 1e-12)
        scale_p = max(float(np.abs(p).mean()), 1e-12)
        dist = (np.abs(a[:, None, :] - a[None, :, :]).mean(axis=2) / scale_a
                + np.abs(p[:, None] - p[None, :]) / scale_p)
        similar = (dist < self.crowding_radius) & ~np.eye(len(p), dtype=bool)
        crowded = (m & ((mf @ similar.astype(np.float32)) > 0)).sum(axis=1)
        offers = self.compromise * middle + self.attraction * (m & (decoys > 0))
        return Contribution(offers, self.overload * crowded)


@dataclasses.dataclass(**FROZEN)
class PriceValue:
    """``-alpha_i(e_t) * [p_j + (lambda_i - 1) * max(0, p_j - r_ij)]``: price with loss aversion."""

    name: ClassVar[str] = "price"
    enabled: bool = True

    def contribution(self, s: ChoiceSituation) -> Contribution:
        p = s.price[None, :]
        loss = np.maximum(0.0, p - s.reference_price)
        cost = p + (s.loss_aversion[:, None] - 1.0) * loss
        return Contribution(-s.price_sensitivity[:, None].astype(np.float64) * cost)


#: Component classes by config name. A new component is one class and one line here.
COMPONENTS: dict[str, type] = {
    c.name: c for c in (AttributeValue, BondValue, SocialValue, ContextValue, PriceValue)
}


@dataclasses.dataclass(**FROZEN)
class ValueFunction:
    """The sum of enabled components (customers x offers x context -> perceived value)."""

    components: tuple[Any, ...] = (
        AttributeValue(), BondValue(), SocialValue(), ContextValue(), PriceValue()
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
        offers : ndarray of float64, shape (shopper, offer)
        outside : ndarray of float64, shape (shopper,)
            Contributions to the outside option (added to u0 by the caller).
        """
        v = np.zeros(s.consider.shape)
        v0 = np.zeros(s.n_shoppers)
        for c in self.components:
            if c.enabled:
                add = c.contribution(s)
                v += add.offers
                v0 += add.outside
        return v, v0
