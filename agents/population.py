"""Customers as a structure of arrays.

A :class:`CustomerPopulation` holds one row per customer and never one Python
object per customer. Segment parameters describe the distributions each
customer's subjective weights, price sensitivity, budget, loss aversion and
need/want flag are drawn from (MODEL.md §4); per-firm and per-offer state
(awareness, bond, reference price) lives in the same object.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from sim.params import FROZEN
from sim.validation import (
    ConfigError,
    check_finite,
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
    check_range,
)

__all__ = ["SegmentParams", "PopulationParams", "CustomerPopulation", "AwarenessState"]

#: What is drawn per customer, each from its own child of the population stream
#: (append only: the order fixes the streams).
DRAWS = ("segment", "weights", "price_sensitivity", "budget", "loss_aversion", "need",
         "infers_quality", "valuation", "awareness", "last_purchase", "desired_depth")


class AwarenessState:
    """Codes of the per (customer, firm) awareness state (MODEL.md §5)."""

    OUTSIDER, EDGE, INSIDER = 0, 1, 2
    NAMES = ("outsider", "edge", "insider")


@dataclasses.dataclass(**FROZEN)
class SegmentParams:
    """Distributions one a-priori customer segment is drawn from.

    Either ``weights`` (mean weights over value dimensions, normalised to the
    simplex; customers draw Dirichlet weights around them) or ``valuations``
    (a willingness-to-pay table: offer name -> money value) describes what the
    segment values.
    """

    name: str
    share: float
    weights: Mapping[str, float] | None = None
    weight_concentration: float = 20.0
    valuations: Mapping[str, float] | None = None
    valuation_spread: float = 0.0
    price_sensitivity: float = 0.07
    price_sensitivity_spread: float = 0.3
    budget: float = 100.0
    budget_spread: float = 0.4
    loss_aversion: float = 2.0
    loss_aversion_spread: float = 0.3
    need_share: float = 0.5
    purchase_rate: float = 0.25
    outside_utility: float = 0.0
    price_quality_share: float = 0.0
    expectation: float = 5.0
    desired_depth: float = 5.0
    desired_depth_spread: float = 1.0

    def __post_init__(self) -> None:
        check_probability("share", self.share)
        if self.weights is not None:
            for k, v in self.weights.items():
                check_nonnegative(f"weights.{k}", v)
            if sum(self.weights.values()) <= 0:
                raise ConfigError("weights", dict(self.weights), "non-negative weights, sum > 0")
        if self.valuations is not None:
            for k, v in self.valuations.items():
                check_nonnegative(f"valuations.{k}", v)
        check_range("weight_concentration", self.weight_concentration, 0.01, 1e6)
        check_range("valuation_spread", self.valuation_spread, 0.0, 3.0)
        check_positive("price_sensitivity", self.price_sensitivity)
        check_range("price_sensitivity_spread", self.price_sensitivity_spread, 0.0, 3.0)
        check_positive("budget", self.budget)
        check_range("budget_spread", self.budget_spread, 0.0, 3.0)
        check_range("loss_aversion", self.loss_aversion, 1.0, 10.0)
        check_nonnegative("loss_aversion_spread", self.loss_aversion_spread)
        check_probability("need_share", self.need_share)
        check_range("purchase_rate", self.purchase_rate, 0.0, 1.0, low_open=True)
        check_finite("outside_utility", self.outside_utility)
        check_probability("price_quality_share", self.price_quality_share)
        check_finite("expectation", self.expectation)
        check_range("desired_depth", self.desired_depth, 0.0, 10.0)
        check_range("desired_depth_spread", self.desired_depth_spread, 0.0, 10.0)


@dataclasses.dataclass(**FROZEN)
class PopulationParams:
    """The whole customer population and how the economy reaches it.

    ``budget_elasticity`` and ``sensitivity_elasticity`` scale how a falling
    economy index shrinks budgets and raises price sensitivity; each customer's
    exposure is ``hardship = (median budget / budget) ** hardship_exponent``, so
    lower budgets are hit harder. ``want_deferral`` is how strongly customers
    buying a *want* (not a need) leave the market in a downturn.

    ``n_customers`` is how many customers are simulated (precision);
    ``market_size`` is how many real customers they stand for (economics: units,
    money and customer counts in the results are scaled to it). Left empty, it
    equals ``n_customers``.
    """

    n_customers: int
    segments: Mapping[str, SegmentParams]
    market_size: int | None = None
    budget_elasticity: float = 1.5
    sensitivity_elasticity: float = 1.0
    hardship_exponent: float = 0.5
    want_deferral: float = 2.0

    def __post_init__(self) -> None:
        check_int("n_customers", self.n_customers, low=1)
        if self.market_size is not None:
            check_int("market_size", self.market_size, low=1)
        if not self.segments:
            raise ConfigError("segments", {}, "at least one segment")
        total = sum(s.share for s in self.segments.values())
        if abs(total - 1.0) > 1e-6:
            raise ConfigError("segments.*.share", round(total, 9), "shares summing to 1")
        check_nonnegative("budget_elasticity", self.budget_elasticity)
        check_nonnegative("sensitivity_elasticity", self.sensitivity_elasticity)
        check_range("hardship_exponent", self.hardship_exponent, 0.0, 5.0)
        check_nonnegative("want_deferral", self.want_deferral)

    @property
    def segment_names(self) -> tuple[str, ...]:
        return tuple(self.segments)

    @property
    def customer_weight(self) -> float:
        """Real customers each simulated customer stands for (``market_size / n_customers``)."""
        return 1.0 if self.market_size is None else self.market_size / self.n_customers


@dataclasses.dataclass(slots=True, eq=False)
class CustomerPopulation:
    """Customers as a structure of arrays (one row per customer).

    Attributes
    ----------
    segment : ndarray of int16, shape (customer,)
    weights : ndarray of float32, shape (dimension, customer)
        Subjective weights over value dimensions (each customer's column on the simplex).
    price_sensitivity : ndarray of float32, shape (customer,)
        Base price sensitivity alpha_i (utility per currency unit).
    budget : ndarray of float32, shape (customer,)
        Base budget y_i (currency).
    hardship : ndarray of float32, shape (customer,)
        Exposure to the economy index (higher for lower budgets).
    loss_aversion : ndarray of float32, shape (customer,)
    need : ndarray of bool, shape (customer,)
        True if the category is a need for the customer, False if a want.
    purchase_rate : ndarray of float32, shape (customer,)
        Probability of being in the market in a normal period.
    outside_utility : ndarray of float32, shape (customer,)
    infers_quality : ndarray of bool, shape (customer,)
        Customer reads a price cut as a quality signal.
    valuation_scale : ndarray of float32, shape (customer,)
        Individual multiplier of the segment's valuation table.
    expectation : ndarray of float32, shape (customer,)
        Benefit the customer expects from a purchase.
    desired_depth : ndarray of float32, shape (customer,)
        Interaction depth d_i in [0, 10] the customer wants (iCustomer; rises with the
        value stage of what they buy, see :mod:`sim.fit`).
    awareness : ndarray of int8, shape (firm, customer)
        :class:`AwarenessState` code per firm.
    bond : ndarray of float32, shape (firm, customer)
        Relationship stock in [0, 1].
    last_purchase : ndarray of int32, shape (firm, customer)
        Period of the last purchase from the firm (-1_000_000 if never).
    promoter : ndarray of int8, shape (firm, customer)
        Sign of the last experience with the firm (+1, 0, -1).
    reference_price : ndarray of float32, shape (offer, customer)
    committed_until : ndarray of int32, shape (firm, customer)
        Period until which the customer is committed to the firm (a buyer concession).

    Notes
    -----
    Tables over firms, offers or dimensions are stored entity-major (one
    contiguous row per firm/offer/dimension) so the engine's passes over the few
    firms and offers are vector operations over all customers.
    """

    segment: np.ndarray
    weights: np.ndarray
    price_sensitivity: np.ndarray
    budget: np.ndarray
    hardship: np.ndarray
    loss_aversion: np.ndarray
    need: np.ndarray
    purchase_rate: np.ndarray
    outside_utility: np.ndarray
    infers_quality: np.ndarray
    valuation_scale: np.ndarray
    expectation: np.ndarray
    desired_depth: np.ndarray
    awareness: np.ndarray
    bond: np.ndarray
    last_purchase: np.ndarray
    promoter: np.ndarray
    reference_price: np.ndarray
    committed_until: np.ndarray

    NEVER = -1_000_000

    @property
    def n_customers(self) -> int:
        return self.segment.shape[0]

    def state_counts(self) -> np.ndarray:
        """Customers per firm and awareness state, shape (firm, state)."""
        edge = np.count_nonzero(self.awareness == AwarenessState.EDGE, axis=1)
        insider = np.count_nonzero(self.awareness == AwarenessState.INSIDER, axis=1)
        return np.stack([self.n_customers - edge - insider, edge, insider], axis=1)

    @property
    def nbytes(self) -> int:
        """Bytes held by the population's arrays."""
        return sum(getattr(self, f.name).nbytes for f in dataclasses.fields(self))

    @classmethod
    def draw(
        cls,
        params: PopulationParams,
        *,
        dimensions: Sequence[str],
        list_price: np.ndarray,
        initial_awareness: np.ndarray,
        initial_insiders: np.ndarray,
        rng: np.random.Generator,
    ) -> CustomerPopulation:
        """Draw a population.

        Parameters
        ----------
        params : PopulationParams
        dimensions : sequence of str, shape (dimension,)
            Names of the value dimensions.
        list_price : ndarray, shape (offer,)
            Initial reference prices.
        initial_awareness, initial_insiders : ndarray, shape (firm,)
            Share of customers aware of (edge or insider) / insiders of each firm.
        rng : numpy.random.Generator
            The population stream.
        """
        n = params.n_customers
        # one child stream per attribute: changing one attribute's distribution (or a
        # rejection sampler's draw count) leaves every other attribute's draws unchanged
        streams = dict(zip(DRAWS, rng.spawn(len(DRAWS)), strict=True))
        segs = list(params.segments.values())
        shares = np.array([s.share for s in segs])
        segment = streams["segment"].choice(len(segs), size=n, p=shares / shares.sum())
        segment = segment.astype(np.int16)
        dims = list(dimensions)

        def per_segment(attr: str) -> np.ndarray:
            return np.array([getattr(s, attr) for s in segs], dtype=np.float64)[segment]

        mean_w = np.empty((len(segs), len(dims)))
        for k, s in enumerate(segs):
            w = np.array([(s.weights or {}).get(d, 0.0) for d in dims]) if s.weights else None
            mean_w[k] = w / w.sum() if w is not None else 1.0 / len(dims)
        conc = per_segment("weight_concentration")
        # Dirichlet around the segment mean via normalised gammas (vectorised).
        alpha = np.maximum(mean_w[segment] * conc[:, None], 1e-3)
        g = streams["weights"].standard_gamma(alpha)
        total = g.sum(axis=1, keepdims=True)
        # a tiny concentration can underflow every gamma draw: fall back to the segment mean
        w = np.where(total > 0, g / np.where(total > 0, total, 1.0), mean_w[segment])
        weights = np.ascontiguousarray(w.T, dtype=np.float32)

        def lognormal(median: str, spread: str) -> np.ndarray:
            z = streams[median].standard_normal(n)
            return per_segment(median) * np.exp(per_segment(spread) * z)

        price_sensitivity = lognormal("price_sensitivity", "price_sensitivity_spread")
        budget = lognormal("budget", "budget_spread")
        loss = np.clip(
            per_segment("loss_aversion")
            + per_segment("loss_aversion_spread") * streams["loss_aversion"].standard_normal(n),
            1.0, 10.0,
        )
        need = streams["need"].random(n) < per_segment("need_share")
        infers = streams["infers_quality"].random(n) < per_segment("price_quality_share")
        vscale = np.exp(per_segment("valuation_spread") * streams["valuation"].standard_normal(n))
        hardship = np.clip(
            (np.median(budget) / budget) ** params.hardship_exponent, 0.1, 10.0
        )
        depth = np.clip(per_segment("desired_depth") + per_segment("desired_depth_spread")
                        * streams["desired_depth"].standard_normal(n), 0.0, 10.0)

        n_firms = initial_awareness.shape[0]
        u = streams["awareness"].random((n_firms, n))
        init_ins, init_aware = initial_insiders[:, None], initial_awareness[:, None]
        awareness = np.where(
            u < init_ins,
            AwarenessState.INSIDER,
            np.where(u < init_aware, AwarenessState.EDGE, AwarenessState.OUTSIDER),
        ).astype(np.int8)
        insider = awareness == AwarenessState.INSIDER
        bond = np.where(insider, 0.5, 0.0).astype(np.float32)
        # insiders last bought a geometric number of purchase cycles ago (no synchronised lapse)
        since = streams["last_purchase"].geometric(per_segment("purchase_rate")[None, :],
                                                   size=(n_firms, n)) - 1
        last = np.where(insider, -since, cls.NEVER).astype(np.int32)
        promoter = insider.astype(np.int8)
        f32 = np.float32
        return cls(
            segment=segment,
            weights=weights,
            price_sensitivity=price_sensitivity.astype(f32),
            budget=budget.astype(f32),
            hardship=hardship.astype(f32),
            loss_aversion=loss.astype(f32),
            need=need,
            purchase_rate=per_segment("purchase_rate").astype(f32),
            outside_utility=per_segment("outside_utility").astype(f32),
            infers_quality=infers,
            valuation_scale=vscale.astype(f32),
            expectation=per_segment("expectation").astype(f32),
            desired_depth=depth.astype(f32),
            awareness=awareness,
            bond=bond,
            last_purchase=last,
            promoter=promoter,
            reference_price=np.repeat(np.asarray(list_price, dtype=f32)[:, None], n, axis=1),
            committed_until=np.full((n_firms, n), cls.NEVER, dtype=np.int32),
        )
