"""The market: a Mesa model whose customers are arrays and whose firms are agents.

One call to :meth:`MarketModel.step` is one period, in the order of MODEL.md §3:
drivers, firms' decisions, awareness, shopping and choice, booking,
post-purchase updates, recording.
"""

from __future__ import annotations

import mesa
import numpy as np

from agents.awareness import book_experience, decay_bonds, move_awareness, net_word_of_mouth
from agents.firm import Firm
from agents.population import AwarenessState, CustomerPopulation
from agents.strategies.base import Observation
from sim.choice import OUTSIDE, logit_choice
from sim.recorder import Recorder
from sim.streams import streams
from sim.value import AttributeValue, ChoiceSituation

__all__ = ["MarketModel"]


def _columns(table: np.ndarray, customers: np.ndarray) -> np.ndarray:
    """Customers' columns of an entity-major table, C-contiguous (fancy indexing is not)."""
    return np.take(table, customers, axis=1)


class MarketModel(mesa.Model):
    """One scenario's market.

    Parameters
    ----------
    spec : ScenarioSpec
        The fully specified scenario (see :mod:`scenarios.spec`).
    """

    def __init__(self, spec) -> None:
        rngs = streams(spec.seed, spec.replicate)
        super().__init__(rng=rngs["mesa"])
        self.spec = spec
        self.market = spec.market
        self.offers = spec.offer_book()
        firms = list(spec.firms.values())
        self.economy = spec.economy.path(spec.n_periods)
        self._choice_rng, self._awareness_rng = rngs["choice"], rngs["awareness"]
        self.population = CustomerPopulation.draw(
            spec.population,
            dimensions=spec.market.value_dimensions,
            list_price=self.offers.list_price,
            initial_awareness=np.array([f.initial_awareness for f in firms]),
            initial_insiders=np.array([f.initial_insiders for f in firms]),
            rng=rngs["population"],
        )
        firm_rngs = rngs["firms"].spawn(len(firms))
        self.firms = [
            Firm(self, fp, f, np.flatnonzero(self.offers.firm == f), firm_rngs[f])
            for f, fp in enumerate(firms)
        ]
        self.advertising = np.array([f.advertising for f in firms])
        self.fixed_cost = np.array([f.fixed_cost for f in firms])
        self.valuations = self._valuation_table()
        self.attribute_value = spec.market.value.get("attributes") or AttributeValue()
        self.period = 0
        self.price_history = np.zeros((spec.n_periods, self.offers.n_offers))
        self.recorder = Recorder({
            "period": np.arange(spec.n_periods),
            "firm": [f.name for f in firms],
            "offer": list(self.offers.name),
            "segment": list(spec.population.segment_names),
            "state": list(AwarenessState.NAMES),
        })

    def _valuation_table(self) -> np.ndarray:
        """Stated valuations, shape (offer, segment); NaN for segments described by weights."""
        segs = self.spec.population.segments.values()
        table = np.full((self.offers.n_offers, len(segs)), np.nan)
        for s, seg in enumerate(segs):
            if seg.valuations is not None:
                table[:, s] = [seg.valuations.get(name, 0.0) for name in self.offers.name]
        return table

    # -- 2. firms --------------------------------------------------------------
    def _observation(self, firm: Firm, t: int) -> Observation:
        rec = self.recorder.data
        last = max(t - 1, 0)
        seen = t - 1 - self.market.information_lag
        prices = self.price_history[seen] if seen >= 0 else self.offers.list_price
        own_prices = self.price_history[t - 1] if t > 0 else self.offers.list_price
        rivals = self.offers.firm != firm.index
        return Observation(
            period=t,
            economy_index=float(self.economy[last]),
            rung=self.offers.rung[firm.offers],
            unit_cost=self.offers.unit_cost[firm.offers],
            list_price=self.offers.list_price[firm.offers],
            price=own_prices[firm.offers].copy(),
            units=rec["units"][last, firm.offers] if t > 0 else np.zeros(firm.offers.size),
            share=float(rec["share"][last, firm.index]) if t > 0 else 0.0,
            rival_price=prices[rivals].copy(),
            rival_rung=self.offers.rung[rivals],
        )

    def _set_prices(self, t: int) -> np.ndarray:
        price = np.empty(self.offers.n_offers)
        for firm in self.firms:
            price[firm.offers] = firm.decide(self._observation(firm, t))
        self.price_history[t] = price
        return price

    # -- 4. shopping -------------------------------------------------------------
    def _shoppers(self, e: float) -> np.ndarray:
        pop = self.population
        u = self._choice_rng.random(pop.n_customers, dtype=np.float32)
        defer = np.float32(e ** self.spec.population.want_deferral)
        rate = pop.purchase_rate * np.where(pop.need, np.float32(1.0), defer)
        return np.flatnonzero(u < rate)

    def situation(self, shop: np.ndarray, price: np.ndarray, e: float,
                   wom: np.ndarray) -> ChoiceSituation:
        """The choice situation of shoppers ``shop`` facing ``price`` at economy index ``e``.

        Parameters
        ----------
        shop : ndarray of int, shape (shopper,)
            Customer indices.
        price : ndarray, shape (offer,)
        e : float
            Economy index.
        wom : ndarray, shape (firm,)
            Net word of mouth per firm.
        """
        pop, offers, pp = self.population, self.offers, self.spec.population
        hard = pop.hardship[shop]
        budget = pop.budget[shop] * np.float32(e) ** (pp.budget_elasticity * hard)
        alpha = pop.price_sensitivity[shop] * np.float32(e) ** (-pp.sensitivity_elasticity * hard)
        aware = (_columns(pop.awareness, shop) >= AwarenessState.EDGE)[offers.firm]
        consider = aware & (price[:, None] <= budget)
        return ChoiceSituation(
            weights=_columns(pop.weights, shop), price_sensitivity=alpha,
            base_price_sensitivity=pop.price_sensitivity[shop],
            loss_aversion=pop.loss_aversion[shop], infers_quality=pop.infers_quality[shop],
            bond=_columns(pop.bond, shop), reference_price=_columns(pop.reference_price, shop),
            segment=pop.segment[shop], valuation_scale=pop.valuation_scale[shop],
            consider=consider, attributes=offers.attributes, price=price,
            list_price=offers.list_price, offer_firm=offers.firm, valuations=self.valuations,
            social=wom,
        )

    # -- the period ----------------------------------------------------------------
    def step(self) -> None:
        """Advance one period (MODEL.md §3)."""
        t, pop, mp = self.period, self.population, self.market
        e = float(self.economy[t])
        price = self._set_prices(t)
        wom = net_word_of_mouth(pop.awareness, pop.promoter, mp.awareness.negative_weight)
        u = self._awareness_rng.random(pop.awareness.shape, dtype=np.float32)
        move_awareness(pop.awareness, pop.bond, pop.last_purchase, period=t,
                       advertising=self.advertising, word_of_mouth=wom,
                       params=mp.awareness, uniforms=u)
        shop = self._shoppers(e)
        uniforms = self._choice_rng.random(pop.n_customers, dtype=np.float32)[shop]
        noise = self._choice_rng.standard_normal(pop.n_customers, dtype=np.float32)[shop]
        s = self.situation(shop, price, e, wom)
        value, outside_extra = mp.value(s)
        outside = pop.outside_utility[shop] + outside_extra
        choice, surplus = logit_choice(value, outside, s.consider, mp.noise_scale, uniforms)
        self._after_purchase(t, shop, s, choice, noise)
        self._record(t, e, price, shop, s, choice, surplus, wom)
        self.period += 1

    def _after_purchase(self, t, shop, s, choice, noise) -> None:
        pop, mp = self.population, self.market
        bought = choice != OUTSIDE
        rows, j = shop[bought], choice[bought]
        firm = self.offers.firm[j]
        self._acquired = np.bincount(
            firm[pop.awareness[firm, rows] == AwarenessState.EDGE], minlength=len(self.firms))
        delivered = (self.attribute_value.delivered(s, np.flatnonzero(bought), j)
                     + mp.satisfaction_noise * noise[bought])
        satisfied = delivered >= pop.expectation[rows]
        self._satisfied = np.bincount(firm, weights=satisfied, minlength=len(self.firms))
        decay_bonds(pop.bond, mp.awareness)
        book_experience(pop, rows, firm, satisfied, period=t, params=mp.awareness)
        pop.expectation[rows] += np.float32(mp.expectation_adaptation) * (
            delivered.astype(np.float32) - pop.expectation[rows])
        if mp.expectation_drift:
            pop.expectation += np.float32(mp.expectation_drift)
        theta = np.float32(mp.reference_memory)
        aware = (_columns(pop.awareness, shop) >= AwarenessState.EDGE)[self.offers.firm]
        seen = theta * s.reference_price + (1 - theta) * s.price.astype(np.float32)[:, None]
        pop.reference_price[:, shop] = np.where(aware, seen, s.reference_price)

    def _record(self, t, e, price, shop, s, choice, surplus, wom) -> None:
        pop, offers = self.population, self.offers
        n_firms, n_offers = len(self.firms), offers.n_offers
        j = choice[choice != OUTSIDE]
        units = np.bincount(j, minlength=n_offers).astype(np.float64)
        seg = pop.segment[shop][choice != OUTSIDE].astype(np.int64)
        n_seg = len(self.recorder.coords["segment"])
        seg_units = np.bincount(seg * n_offers + j, minlength=n_seg * n_offers)
        revenue, var_cost = units * price, units * offers.unit_cost
        by_firm = lambda x: np.bincount(offers.firm, weights=x, minlength=n_firms)  # noqa: E731
        f_units, f_rev, f_var = by_firm(units), by_firm(revenue), by_firm(var_cost)
        total, total_rev = units.sum(), revenue.sum()
        counts = pop.state_counts()
        n_ins = counts[:, AwarenessState.INSIDER]
        bond_sum = np.array([pop.bond[f][pop.awareness[f] == AwarenessState.INSIDER].sum(
            dtype=np.float64) for f in range(n_firms)])
        with np.errstate(invalid="ignore", divide="ignore"):
            avg_price = np.where(f_units > 0, f_rev / f_units, np.nan)
            satisfied = np.where(f_units > 0, self._satisfied / f_units, np.nan)
            bond = np.where(n_ins > 0, bond_sum / n_ins, 0.0)
        self.recorder.record(
            t, economy_index=e, price=price, unit_cost=offers.unit_cost, units=units,
            revenue=revenue, variable_cost=var_cost, offer_profit=revenue - var_cost,
            offer_share=units / total if total else 0.0,
            segment_units=seg_units.reshape(n_seg, n_offers),
            firm_units=f_units, firm_revenue=f_rev, firm_variable_cost=f_var,
            fixed_cost=self.fixed_cost, profit=f_rev - f_var - self.fixed_cost,
            share=f_units / total if total else 0.0,
            revenue_share=f_rev / total_rev if total_rev else 0.0,
            average_price=avg_price, customers=counts, acquisitions=self._acquired,
            mean_bond=bond, word_of_mouth=wom, satisfied_share=satisfied,
            in_market=shop.size, buyers=total, outside_share=1 - total / shop.size
            if shop.size else 0.0,
            consumer_surplus=float((surplus / s.price_sensitivity).sum(dtype=np.float64)),
        )
