"""Willingness-to-pay surveys: what firms may learn about customers, with noise and bias.

Firms never read customers' hidden parameters. A value-based pricer commissions
a survey instead: a random sample of a target segment states what each of the
firm's offers is worth to them. The true willingness to pay is the money
value of the offer over the outside option at a price of zero,
``WTP_ij = (V_ij(p=0) - V_i0) / alpha_i``, from the market's own value
function; respondents state it with multiplicative noise and a bias.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.params import FROZEN
from sim.validation import check_int, check_nonnegative, check_range

__all__ = ["SurveyRequest", "stated_willingness_to_pay"]


@dataclasses.dataclass(**FROZEN)
class SurveyRequest:
    """Who is asked and how well they answer.

    Attributes
    ----------
    segment : str
        Target segment name, or ``all``.
    sample_size : int
    noise : float
        Sd of the log of each stated answer around the (biased) truth.
    bias : float
        Systematic mis-statement: stated = true * (1 + bias) on average.
    """

    segment: str = "all"
    sample_size: int = 200
    noise: float = 0.2
    bias: float = -0.1

    def __post_init__(self) -> None:
        check_int("sample_size", self.sample_size, low=1)
        check_nonnegative("noise", self.noise)
        check_range("bias", self.bias, -1.0, 10.0, low_open=True)


def stated_willingness_to_pay(model, firm: int, request: SurveyRequest,
                              rng: np.random.Generator) -> np.ndarray:
    """Survey answers for ``firm``'s offers.

    Parameters
    ----------
    model : MarketModel
    firm : int
    request : SurveyRequest
    rng : numpy.random.Generator
        The firm's own stream (sampling and answer noise).

    Returns
    -------
    ndarray, shape (own_offer, respondent)
        Stated willingness to pay in money (may be negative: not worth buying at all).
    """
    pop = model.population
    names = list(model.spec.population.segment_names)
    pool = (np.arange(pop.n_customers) if request.segment == "all"
            else np.flatnonzero(pop.segment == names.index(request.segment)))
    size = min(request.sample_size, pool.size)
    sample = np.sort(rng.choice(pool, size=size, replace=False))
    t = model.period
    posted = model.price_history[t - 1] if t > 0 else model.offers.list_price
    e = float(model.economy[max(t - 1, 0)])
    s = model.situation(sample, posted, e, np.zeros(len(model.firms)))
    value, outside_extra = model.market.value.without("price")(s)
    outside = pop.outside_utility[sample] + outside_extra
    own = model.offers.firm == firm
    wtp = (value[own] - outside) / s.price_sensitivity
    answer = np.exp(request.noise * rng.standard_normal(wtp.shape) - request.noise ** 2 / 2)
    return wtp * (1.0 + request.bias) * answer
