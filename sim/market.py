"""Market-wide parameters: value dimensions, choice noise, value function, dynamics."""

from __future__ import annotations

import dataclasses

from agents.awareness import AwarenessParams
from agents.journey_book import JourneyMarketParams
from sim.params import FROZEN
from sim.validation import (
    ConfigError,
    check_int,
    check_nonnegative,
    check_probability,
)
from sim.value import ValueFunction

__all__ = ["MarketParams"]


@dataclasses.dataclass(**FROZEN)
class MarketParams:
    """How customers value, choose and remember.

    Attributes
    ----------
    value_dimensions : tuple of str
        Axes of benefit offers are scored on and customers weigh.
    noise_scale : float
        Scale of the Gumbel taste shock; 0 = deterministic surplus maximisation.
    value : ValueFunction
        The components of perceived value.
    awareness : AwarenessParams
    reference_memory : float
        theta in ``r <- theta * r + (1 - theta) * p`` (per period a price is seen).
    expectation_adaptation : float
        Weight of a delivered benefit in the updated expectation.
    expectation_drift : float
        Rise of every customer's expectation per period (benefit units).
    satisfaction_noise : float
        Sd of realised benefit around the offer's true benefit.
    information_lag : int
        Periods before a rival's posted price is seen by a firm.
    journey : JourneyMarketParams
        Whether firms' customer journeys run, and how (see :mod:`agents.journey_book`).
    """

    value_dimensions: tuple[str, ...] = ("quality", "convenience", "experience", "service")
    noise_scale: float = 1.0
    value: ValueFunction = dataclasses.field(default_factory=ValueFunction)
    awareness: AwarenessParams = dataclasses.field(default_factory=AwarenessParams)
    reference_memory: float = 0.8
    expectation_adaptation: float = 0.1
    expectation_drift: float = 0.0
    satisfaction_noise: float = 1.0
    information_lag: int = 0
    journey: JourneyMarketParams = dataclasses.field(default_factory=JourneyMarketParams)

    def __post_init__(self) -> None:
        if not self.value_dimensions or len(set(self.value_dimensions)) != len(
            self.value_dimensions
        ):
            raise ConfigError("value_dimensions", list(self.value_dimensions),
                              "a non-empty list of distinct names")
        check_nonnegative("noise_scale", self.noise_scale)
        if 0 < self.noise_scale < 1e-3:
            raise ConfigError("noise_scale", self.noise_scale,
                              "0 (deterministic) or a number >= 0.001")
        check_probability("reference_memory", self.reference_memory)
        check_probability("expectation_adaptation", self.expectation_adaptation)
        check_nonnegative("expectation_drift", self.expectation_drift)
        check_nonnegative("satisfaction_noise", self.satisfaction_noise)
        check_int("information_lag", self.information_lag, low=0)
