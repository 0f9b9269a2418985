"""Firms: Mesa agents that own offers (a value ladder, bundles), costs and a strategy."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np

from agents.events import PriceWar
from agents.innovation import InnovationParams
from agents.journey import JourneyParams
from agents.offers import MENUS, BundleParams, LadderParams, OfferBook, TierParams
from agents.strategies import Strategy, build
from agents.strategies.base import Observation
from sim.fit import stage_index
from sim.params import FROZEN, FrozenMap, from_mapping
from sim.validation import (
    ConfigError,
    check_choice,
    check_int,
    check_nonnegative,
    check_probability,
    check_range,
)

__all__ = ["FirmParams", "Firm", "Posting", "OfferBook", "TierParams"]


@dataclasses.dataclass(**FROZEN)
class FirmParams:
    """A firm: its ladder (``tiers``, lowest rung first, or a generated ``ladder``),
    bundles and menu, costs, reach and strategy; dated events: the period it enters
    the market (``entry_period``; an entrant starts unknown) and a ``price_war``
    (see :mod:`agents.events`). ``care`` is the firm's relationship investment (a
    satisfying purchase bonds like ``1 + care`` ordinary ones, bonds wear ``1 + care``
    times slower) and ``care_cost`` what it costs per buyer per period (cost to serve).
    ``innovation`` is how it keeps up with disruption waves (:mod:`agents.innovation`).
    ``stage`` (commodity ... transformation) and ``supplied_depth`` (0-10) place it on the
    iCustomer chart (:mod:`sim.fit`); serving at depth D costs ``depth_cost * D`` per buyer.
    ``journey`` is its customer journey (:mod:`agents.journey`; None: customers buy
    directly)."""

    name: str
    strategy: Any
    tiers: Mapping[str, TierParams] | None = None
    ladder: LadderParams | None = None
    bundles: Mapping[str, BundleParams] = dataclasses.field(default_factory=FrozenMap)
    menu: str = "mixed"
    fixed_cost: float = 0.0
    advertising: float = 0.02
    initial_awareness: float = 0.5
    initial_insiders: float = 0.1
    entry_period: int = 0
    price_war: PriceWar | None = None
    care: float = 0.0
    care_cost: float = 0.0
    innovation: InnovationParams = dataclasses.field(default_factory=InnovationParams)
    stage: str = "service"
    supplied_depth: float = 5.0
    depth_cost: float = 0.0
    journey: JourneyParams | None = None

    def __post_init__(self) -> None:
        if (self.tiers is None) == (self.ladder is None):
            raise ConfigError("tiers", "missing" if self.tiers is None else "given with ladder",
                              "either tiers or ladder (exactly one)")
        if self.tiers is not None and not self.tiers:
            raise ConfigError("tiers", {}, "at least one tier")
        object.__setattr__(self, "bundles", FrozenMap(self.bundles))
        names = tuple(self.all_tiers())
        for bname, b in self.bundles.items():
            for c in b.components:
                if c not in names:
                    raise ConfigError(f"bundles.{bname}.components", c,
                                      "one of the firm's tiers: " + ", ".join(names))
            if bname in names:
                raise ConfigError(f"bundles.{bname}", bname, "a name no tier has")
        check_choice("menu", self.menu, MENUS)
        object.__setattr__(self, "strategy", build(self.strategy, "strategy"))
        check_nonnegative("fixed_cost", self.fixed_cost)
        check_probability("advertising", self.advertising)
        check_probability("initial_awareness", self.initial_awareness)
        check_probability("initial_insiders", self.initial_insiders)
        check_int("entry_period", self.entry_period, low=0)
        check_range("care", self.care, 0.0, 100.0)
        stage_index(self.stage, "stage")
        check_range("supplied_depth", self.supplied_depth, 0.0, 10.0)
        check_nonnegative("depth_cost", self.depth_cost)
        if not isinstance(self.innovation, InnovationParams):
            if not isinstance(self.innovation, Mapping):
                raise ConfigError("innovation", self.innovation,
                                  "a mapping with policy, lag, adoption_cost, spillover")
            object.__setattr__(self, "innovation",
                               from_mapping(InnovationParams, self.innovation, "innovation"))
        check_nonnegative("care_cost", self.care_cost)
        if self.price_war is not None and not isinstance(self.price_war, PriceWar):
            if not isinstance(self.price_war, Mapping):
                raise ConfigError("price_war", self.price_war,
                                  "a mapping with start, duration, depth (or null)")
            object.__setattr__(self, "price_war",
                               from_mapping(PriceWar, self.price_war, "price_war"))
        if self.initial_insiders > self.initial_awareness:
            raise ConfigError("initial_insiders", self.initial_insiders,
                              f"a share <= initial_awareness ({self.initial_awareness})")

    def all_tiers(self) -> Mapping[str, TierParams]:
        """The firm's tiers, given or generated from its ladder, lowest rung first."""
        return self.tiers if self.tiers is not None else self.ladder.tiers()


@dataclasses.dataclass(frozen=True, slots=True)
class Posting:
    """What a firm puts on the market this period.

    Attributes
    ----------
    price : ndarray, shape (own_offer,)
        Posted prices (after the menu: a components-menu bundle costs its parts' sum).
    on_sale : ndarray of bool, shape (own_offer,)
    concession : ndarray, shape (own_offer,)
        Price cut (fraction) given to buyers who commit.
    commitment : int
        Periods a conceding buyer commits for.
    """

    price: np.ndarray
    on_sale: np.ndarray
    concession: np.ndarray
    commitment: int


class Firm(mesa.Agent):
    """A firm in the market: owns offers (indices into the :class:`OfferBook`) and a strategy.

    Parameters
    ----------
    model : MarketModel
    params : FirmParams
    index : int
        Position of the firm in the market's firm order.
    rng : numpy.random.Generator
        The firm's own stream (its strategy's randomness).
    """

    def __init__(self, model: mesa.Model, params: FirmParams, index: int,
                 rng: np.random.Generator) -> None:
        super().__init__(model)
        self.params = params
        self.index = index
        self.offers = np.flatnonzero(model.offers.firm == index)
        self.stream = rng
        self.strategy: Strategy = params.strategy
        self.state = self.strategy.initial_state()
        self.menu = params.menu

    @property
    def name(self) -> str:
        return self.params.name

    def decide(self, observation: Observation) -> Posting:
        """Run the strategy and turn its decision into this period's posting."""
        decision, self.state = self.strategy.decide(observation, self.state, self.stream)
        price = np.asarray(decision.price, dtype=np.float64)
        n = self.offers.size
        if price.shape != (n,) or not np.all(np.isfinite(price)) or (price < 0).any():
            raise ValueError(f"strategy {self.strategy.kind!r} of firm {self.name!r} "
                             f"posted invalid prices {price!r}")
        if decision.menu is not None:
            self.menu = check_choice(f"firms.{self.name}.menu", decision.menu, MENUS)
        full = np.zeros(self.model.offers.n_offers)
        full[self.offers] = price
        price, on_sale = self.model.offers.menu(self.index, self.menu, full)
        concession = (np.zeros(n) if decision.concession is None
                      else np.clip(np.asarray(decision.concession, dtype=np.float64), 0, 0.95))
        if (concession > 0).any() and int(decision.commitment) < 1:
            raise ValueError(f"strategy {self.strategy.kind!r} of firm {self.name!r} gave a "
                             f"concession without a commitment (commitment must be >= 1)")
        return Posting(price, on_sale, concession, int(decision.commitment))
