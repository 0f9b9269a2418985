"""A fully specified what-if: market + population + firms (with strategies) + economy + horizon."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from agents.firm import FirmParams
from agents.offers import OfferBook
from agents.population import PopulationParams
from scenarios import drivers
from sim.market import MarketParams
from sim.params import FROZEN, FrozenMap
from sim.validation import ConfigError, check_int

__all__ = ["ScenarioSpec"]


@dataclasses.dataclass(**FROZEN)
class ScenarioSpec:
    """Everything one run needs; ``seed`` and ``replicate`` name its random streams.

    Attributes
    ----------
    market : MarketParams
    population : PopulationParams
    firms : Mapping[str, FirmParams]
        Firms by name, in market order.
    economy : Driver
        Path of the economy index.
    unit_cost : Driver
        Path of the unit-cost multiplier (1 = budgeted costs).
    transparency : Driver
        Path of price transparency in [0, 1] (0 = none, the default).
    disruption : Driver
        Technology frontier of disruption waves (0 = none, the default).
    n_periods : int
    seed : int
        The run's entropy.
    replicate : int
        Selects an independent child stream of ``seed``.
    """

    market: MarketParams
    population: PopulationParams
    firms: Mapping[str, FirmParams]
    economy: Any = dataclasses.field(default_factory=drivers.Steady)
    unit_cost: Any = dataclasses.field(default_factory=drivers.Steady)
    transparency: Any = dataclasses.field(default_factory=drivers.Ramp)
    disruption: Any = dataclasses.field(default_factory=drivers.Ramp)
    n_periods: int = 52
    seed: int = 0
    replicate: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "economy", drivers.build(self.economy))
        object.__setattr__(self, "unit_cost", drivers.build(self.unit_cost, "unit_cost"))
        object.__setattr__(self, "transparency",
                           drivers.build(self.transparency, "transparency"))
        object.__setattr__(self, "disruption", drivers.build(self.disruption, "disruption"))
        object.__setattr__(self, "firms", FrozenMap(self.firms))
        check_int("n_periods", self.n_periods, low=1)
        check_int("seed", self.seed, low=0)
        check_int("replicate", self.replicate, low=0)
        if not self.firms:
            raise ConfigError("firms", {}, "at least one firm")
        tau = self.transparency.path(self.n_periods)
        if tau.size and (tau.min() < 0 or tau.max() > 1):
            raise ConfigError("transparency", f"a path from {tau.min():g} to {tau.max():g}",
                              "levels in [0, 1] (0: none, 1: only insiders see past price)")
        for fname, firm in self.firms.items():
            if firm.entry_period >= self.n_periods:
                raise ConfigError(f"firms.{fname}.entry_period", firm.entry_period,
                                  f"a period before the horizon (< n_periods = {self.n_periods})")
            war = firm.price_war
            if war is not None and war.start >= self.n_periods:
                raise ConfigError(f"firms.{fname}.price_war.start", war.start,
                                  f"a period before the horizon (< n_periods = {self.n_periods})")
        if all(f.entry_period > 0 for f in self.firms.values()):
            raise ConfigError("firms.*.entry_period", "every firm an entrant",
                              "at least one firm in the market from period 0")
        dimension = getattr(self.disruption, "dimension", None)
        if dimension is not None and dimension not in self.market.value_dimensions:
            raise ConfigError("disruption.dimension", dimension,
                              "one of " + ", ".join(self.market.value_dimensions))
        for i, onset in enumerate(getattr(self.disruption, "onsets", ())):
            if onset >= self.n_periods:
                raise ConfigError(f"disruption.onsets[{i}]", onset,
                                  f"a period before the horizon (< n_periods = {self.n_periods})")
        if self.disruption.path(self.n_periods).min(initial=0.0) < 0:
            raise ConfigError("disruption", "a falling frontier", "a frontier >= 0")
        for name in ("economy", "unit_cost", "transparency", "disruption"):
            onset = getattr(getattr(self, name), "onset", None)
            if onset is not None and onset >= self.n_periods:
                raise ConfigError(f"{name}.onset", onset,
                                  f"a period before the horizon (< n_periods = {self.n_periods})")
        if self.market.information_lag >= self.n_periods:
            raise ConfigError("market.information_lag", self.market.information_lag,
                              f"fewer periods than the horizon (< n_periods = {self.n_periods})")
        dims = self.market.value_dimensions
        offers = OfferBook.from_firms(tuple(self.firms.values()), dims)
        segments = tuple(self.population.segments)
        for fname, firm in self.firms.items():
            wanted = getattr(firm.strategy, "segment", None)
            if wanted is not None and wanted != "all" and wanted not in segments:
                raise ConfigError(f"firms.{fname}.strategy.survey.segment", wanted,
                                  "all, or one of " + ", ".join(segments))
        for sname, seg in self.population.segments.items():
            for k in seg.weights or {}:
                if k not in dims:
                    raise ConfigError(f"population.segments.{sname}.weights.{k}",
                                      "unknown value dimension", "one of " + ", ".join(dims))
            for k in seg.valuations or {}:
                if k not in offers.name:
                    raise ConfigError(f"population.segments.{sname}.valuations.{k}",
                                      "unknown offer", "one of " + ", ".join(offers.name))

    def offer_book(self) -> OfferBook:
        return OfferBook.from_firms(tuple(self.firms.values()), self.market.value_dimensions)
