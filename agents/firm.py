"""Firms: Mesa agents that own a value ladder of offers, costs and a strategy."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import mesa
import numpy as np

from agents.strategies import Strategy, build
from agents.strategies.base import Observation
from sim.params import FROZEN
from sim.validation import (
    ConfigError,
    check_finite,
    check_nonnegative,
    check_positive,
    check_probability,
)

__all__ = ["TierParams", "FirmParams", "Firm", "OfferBook"]


@dataclasses.dataclass(**FROZEN)
class TierParams:
    """One rung of a value ladder: attributes (by value dimension), unit cost and list price."""

    name: str
    price: float
    unit_cost: float
    attributes: Mapping[str, float]

    def __post_init__(self) -> None:
        check_positive("price", self.price)
        check_nonnegative("unit_cost", self.unit_cost)
        for k, v in self.attributes.items():
            check_finite(f"attributes.{k}", v)


@dataclasses.dataclass(**FROZEN)
class FirmParams:
    """A firm: its ladder (rungs in order, lowest first), costs, reach and strategy."""

    name: str
    tiers: Mapping[str, TierParams]
    strategy: Any
    fixed_cost: float = 0.0
    advertising: float = 0.02
    initial_awareness: float = 0.5
    initial_insiders: float = 0.1

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ConfigError("tiers", {}, "at least one tier")
        object.__setattr__(self, "strategy", build(self.strategy, "strategy"))
        check_nonnegative("fixed_cost", self.fixed_cost)
        check_probability("advertising", self.advertising)
        check_probability("initial_awareness", self.initial_awareness)
        check_probability("initial_insiders", self.initial_insiders)
        if self.initial_insiders > self.initial_awareness:
            raise ConfigError("initial_insiders", self.initial_insiders,
                              f"a share <= initial_awareness ({self.initial_awareness})")


@dataclasses.dataclass(frozen=True, slots=True)
class OfferBook:
    """Every offer of every firm, flattened (J offers, D value dimensions).

    Attributes
    ----------
    name : tuple of str, shape (offer,)
        ``"<firm>/<tier>"``.
    firm : ndarray of int, shape (offer,)
    rung : ndarray of int, shape (offer,)
    attributes : ndarray, shape (offer, dimension)
    unit_cost : ndarray, shape (offer,)
    list_price : ndarray, shape (offer,)
    """

    name: tuple[str, ...]
    firm: np.ndarray
    rung: np.ndarray
    attributes: np.ndarray
    unit_cost: np.ndarray
    list_price: np.ndarray

    @classmethod
    def from_firms(cls, firms: Sequence[FirmParams], dimensions: Sequence[str]) -> OfferBook:
        names, firm, rung, attrs, cost, price = [], [], [], [], [], []
        dims = list(dimensions)
        for f, fp in enumerate(firms):
            for r, (tname, t) in enumerate(fp.tiers.items()):
                for k in t.attributes:
                    if k not in dims:
                        raise ConfigError(f"firms.{fp.name}.tiers.{tname}.attributes.{k}",
                                          "unknown value dimension", "one of " + ", ".join(dims))
                names.append(f"{fp.name}/{tname}")
                firm.append(f)
                rung.append(r)
                attrs.append([float(t.attributes.get(d, 0.0)) for d in dims])
                cost.append(t.unit_cost)
                price.append(t.price)
        return cls(tuple(names), np.array(firm), np.array(rung), np.array(attrs, dtype=np.float64),
                   np.array(cost, dtype=np.float64), np.array(price, dtype=np.float64))

    @property
    def n_offers(self) -> int:
        return len(self.name)


class Firm(mesa.Agent):
    """A firm in the market: owns offers (indices into the :class:`OfferBook`) and a strategy.

    Parameters
    ----------
    model : mesa.Model
    params : FirmParams
    index : int
        Position of the firm in the market's firm order.
    offers : ndarray of int, shape (own_offer,)
        Indices of its offers in the offer book.
    rng : numpy.random.Generator
        The firm's own stream (its strategy's randomness).
    """

    def __init__(self, model: mesa.Model, params: FirmParams, index: int,
                 offers: np.ndarray, rng: np.random.Generator) -> None:
        super().__init__(model)
        self.params = params
        self.index = index
        self.offers = offers
        self.stream = rng
        self.strategy: Strategy = params.strategy
        self.state = self.strategy.initial_state()

    @property
    def name(self) -> str:
        return self.params.name

    def decide(self, observation: Observation) -> np.ndarray:
        """Run the strategy; return this period's prices, shape (own_offer,)."""
        decision, self.state = self.strategy.decide(observation, self.state, self.stream)
        price = np.asarray(decision.price, dtype=np.float64)
        if price.shape != self.offers.shape or not np.all(np.isfinite(price)) or (price < 0).any():
            raise ValueError(f"strategy {self.strategy.kind!r} of firm {self.name!r} "
                             f"posted invalid prices {price!r}")
        return price
