"""Value-based: price at a percentile of the target segment's stated willingness to pay."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from agents.strategies.base import Decision, Observation, floor_price
from sim.params import FROZEN
from sim.survey import SurveyRequest
from sim.validation import check_int, check_nonnegative, check_range

__all__ = ["ValueBased"]


@dataclasses.dataclass(**FROZEN)
class ValueBased:
    """Every ``review_every`` periods, survey the target segment and re-price.

    Each offer's price is the ``percentile``-th percentile of stated
    willingness to pay (so about ``100 - percentile`` percent of respondents
    would still find it worth buying), never below ``unit_cost * (1 +
    floor_margin)``. The firm learns only the noisy, biased answers (see
    :mod:`sim.survey`). State: the prices set at the last review.
    """

    kind: ClassVar[str] = "value_based"
    survey: SurveyRequest = dataclasses.field(default_factory=SurveyRequest)
    percentile: float = 50.0
    review_every: int = 13
    floor_margin: float = 0.0

    @property
    def segment(self) -> str:
        return self.survey.segment

    def __post_init__(self) -> None:
        check_range("percentile", self.percentile, 0.0, 100.0)
        check_int("review_every", self.review_every, low=1)
        check_nonnegative("floor_margin", self.floor_margin)

    def survey_request(self, period: int) -> SurveyRequest | None:
        """The survey to run before deciding ``period`` (None: no survey)."""
        return self.survey if period % self.review_every == 0 else None

    def initial_state(self) -> np.ndarray | None:
        return None

    def decide(
        self, observation: Observation, state: np.ndarray | None, rng: np.random.Generator
    ) -> tuple[Decision, np.ndarray | None]:
        o = observation
        if o.survey is not None and o.survey.shape[1]:
            state = np.percentile(o.survey, self.percentile, axis=1)
        price = o.list_price.copy() if state is None else state
        return Decision(price=np.maximum(price, floor_price(o, self.floor_margin))), state
