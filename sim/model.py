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
from agents.innovation import adoption
from agents.journey import FINAL_ACTIONS
from agents.journey_book import BUYS, ESCALATES, JourneyBook, touchpoint_names
from agents.population import AwarenessState, CustomerPopulation
from agents.strategies.base import Observation
from sim.accounting import period_accounts
from sim.choice import OUTSIDE, logit_choice
from sim.fit import charge_basis, stage_index
from sim.market_state import MarketOffers
from sim.recorder import Recorder
from sim.streams import streams
from sim.survey import stated_willingness_to_pay
from sim.value import AttributeValue, ChoiceSituation, PriceValue

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
        self.cost_index = spec.unit_cost.path(spec.n_periods)
        self.transparency = spec.transparency.path(spec.n_periods)
        self.frontier = spec.disruption.path(spec.n_periods)
        self.adopted, self.investment = adoption(self.frontier, [f.innovation for f in firms])
        dimension = getattr(spec.disruption, "dimension", None)
        self.disrupted = (spec.market.value_dimensions.index(dimension)
                          if dimension is not None and self.frontier.any() else None)
        self.entry = np.array([f.entry_period for f in firms])
        self._choice_rng = rngs["choice"]
        # one awareness stream per firm, so adding a firm (an entrant) leaves the others'
        # draws as they were: common random numbers across market structures
        self._awareness_rngs = rngs["awareness"].spawn(len(firms))
        self.population = CustomerPopulation.draw(
            spec.population,
            dimensions=spec.market.value_dimensions,
            list_price=self.offers.list_price,
            # an entrant starts unknown, whatever its awareness would be
            initial_awareness=np.array([f.initial_awareness if f.entry_period == 0 else 0.0
                                        for f in firms]),
            initial_insiders=np.array([f.initial_insiders if f.entry_period == 0 else 0.0
                                       for f in firms]),
            rng=rngs["population"],
        )
        firm_rngs = rngs["firms"].spawn(len(firms))
        self.firms = [Firm(self, fp, f, firm_rngs[f]) for f, fp in enumerate(firms)]
        self.advertising = np.array([f.advertising for f in firms])
        self.fixed_cost = np.array([f.fixed_cost for f in firms])
        self.care = np.array([f.care for f in firms])
        self.supplied_depth = np.array([f.supplied_depth for f in firms], dtype=np.float32)
        self.stage = np.array([stage_index(f.stage) for f in firms], dtype=np.int8)
        self.depth_cost = np.array([f.depth_cost for f in firms])
        self.care_cost = np.array([f.care_cost for f in firms])
        # a transformation charges for the outcome: only buyers who get it pay (seed 000)
        self.pays_on_outcome = np.array([charge_basis(f.stage) == "outcomes" for f in firms])
        journeys = [f.journey for f in firms]
        self.journey = JourneyBook(journeys, spec.market.journey,
                                   rngs["journey"].bit_generator.seed_seq,
                                   touchpoint_names(journeys))
        self._journey_rng = rngs["journey"]
        self.valuations = self._valuation_table()
        self.attribute_value = spec.market.value.get("attributes") or AttributeValue()
        self.period = 0
        self.price_history = np.zeros((spec.n_periods, self.offers.n_offers))
        self.on_sale_history = np.zeros((spec.n_periods, self.offers.n_offers), dtype=bool)
        self.initial_on_sale = np.concatenate([  # what rivals see before period 0
            self.offers.menu(f, fp.menu, self.offers.list_price)[1] & (fp.entry_period == 0)
            for f, fp in enumerate(firms)])
        self.recorder = Recorder({
            "period": np.arange(spec.n_periods),
            "firm": [f.name for f in firms],
            "offer": list(self.offers.name),
            "segment": list(spec.population.segment_names),
            "state": list(AwarenessState.NAMES),
            "touchpoint": list(self.journey.touchpoints),
            "action": list(FINAL_ACTIONS),
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
        rec, own = self.recorder.data, firm.offers
        last = max(t - 1, 0)
        seen = t - 1 - self.market.information_lag
        prices = self.price_history[seen] if seen >= 0 else self.offers.list_price
        on_sale = self.on_sale_history[seen] if seen >= 0 else self.initial_on_sale
        own_prices = self.price_history[t - 1] if t > 0 else self.offers.list_price
        rivals = self.offers.firm != firm.index
        return Observation(
            period=t,
            economy_index=float(self.economy[last]),
            rung=self.offers.rung[own],
            # what a unit sold costs the firm: production plus its cost to serve per buyer
            unit_cost=self.offers.unit_cost[own] * self.cost_index[t]
            + self.care_cost[firm.index]
            + self.depth_cost[firm.index] * float(self.supplied_depth[firm.index]),
            list_price=self.offers.list_price[own],
            price=own_prices[own].copy(),
            units=rec["units"][last, own] if t > 0 else np.zeros(own.size),
            share=float(rec["share"][last, firm.index]) if t > 0 else 0.0,
            rival_price=prices[rivals].copy(),
            rival_rung=self.offers.rung[rivals],
            is_bundle=self.offers.is_bundle[own],
            menu=firm.menu,
            base_unit_cost=self.offers.unit_cost[own],
            rival_on_sale=on_sale[rivals].copy(),
            survey=self._survey(firm, t),
        )

    def _survey(self, firm: Firm, t: int) -> np.ndarray | None:
        ask = getattr(firm.strategy, "survey_request", None)
        request = ask(t) if ask is not None else None
        if request is None:
            return None
        return stated_willingness_to_pay(self, firm.index, request, firm.stream)

    def post_offers(self, t: int) -> MarketOffers:
        """Every firm decides; the period's offers, prices, menus and concessions."""
        n = self.offers.n_offers
        posted, on_sale = np.empty(n), np.empty(n, bool)
        concession, commitment = np.zeros(n), np.zeros(n, np.int64)
        for firm in self.firms:
            own = firm.offers
            if t < self.entry[firm.index]:  # not in the market yet
                posted[own], on_sale[own] = self.offers.list_price[own], False
                continue
            p = firm.decide(self._observation(firm, t))
            posted[own], on_sale[own] = p.price, p.on_sale
            war = firm.params.price_war
            if war is not None and war.active(t):
                posted[own] = np.minimum(posted[own], war.ceiling(self.offers.list_price[own]))
            concession[own] = p.concession
            commitment[own] = np.where(p.concession > 0, p.commitment, 0)
        self.price_history[t], self.on_sale_history[t] = posted, on_sale
        attributes = self.offers.attributes_under([f.menu for f in self.firms])
        if self.disrupted is not None:  # judged against the frontier; firms' adoption adds
            attributes = attributes.copy()
            attributes[:, self.disrupted] += (self.adopted[t, self.offers.firm]
                                              - self.frontier[t])
        return MarketOffers(posted, on_sale, concession, commitment,
                            self.offers.unit_cost * self.cost_index[t], attributes)

    # -- 4. shopping -------------------------------------------------------------
    def _shoppers(self, e: float) -> np.ndarray:
        pop = self.population
        u = self._choice_rng.random(pop.n_customers, dtype=np.float32)
        defer = np.float32(e ** self.spec.population.want_deferral)
        rate = pop.purchase_rate * np.where(pop.need, np.float32(1.0), defer)
        return np.flatnonzero(u < rate)

    def situation(self, shop: np.ndarray, offers: MarketOffers | np.ndarray, e: float,
                  wom: np.ndarray) -> ChoiceSituation:
        """The choice situation of shoppers ``shop`` at economy index ``e``.

        Parameters
        ----------
        shop : ndarray of int, shape (shopper,)
            Customer indices.
        offers : MarketOffers or ndarray, shape (offer,)
            The period's offers (an array: posted prices, all on sale, no concessions).
        e : float
            Economy index.
        wom : ndarray, shape (firm,)
            Net word of mouth per firm.
        """
        if not isinstance(offers, MarketOffers):
            offers = MarketOffers.at(offers, self.offers.unit_cost)
        pop, book, pp = self.population, self.offers, self.spec.population
        hard = pop.hardship[shop]
        budget = pop.budget[shop] * np.float32(e) ** (pp.budget_elasticity * hard)
        alpha = pop.price_sensitivity[shop] * np.float32(e) ** (-pp.sensitivity_elasticity * hard)
        aware = (_columns(pop.awareness, shop) >= AwarenessState.EDGE)[book.firm]
        # affordable at the lowest price on offer (the deal price, if there is a concession)
        consider = aware & (offers.paid[:, None] <= budget) & offers.on_sale[:, None]
        tau = float(self.transparency[self.period]) if self.period < len(
            self.transparency) else 0.0
        insider = ((_columns(pop.awareness, shop) == AwarenessState.INSIDER) if tau > 0
                   else None)
        committed = _columns(pop.committed_until, shop) > self.period
        bound = committed.any(axis=0)
        if bound.any():  # under contract: only the committed-to firm's offers (or nothing)
            consider[:, bound] &= committed[:, bound][book.firm]
        return ChoiceSituation(
            weights=_columns(pop.weights, shop), price_sensitivity=alpha,
            base_price_sensitivity=pop.price_sensitivity[shop],
            loss_aversion=pop.loss_aversion[shop], infers_quality=pop.infers_quality[shop],
            bond=_columns(pop.bond, shop), reference_price=_columns(pop.reference_price, shop),
            segment=pop.segment[shop], valuation_scale=pop.valuation_scale[shop],
            consider=consider, price=offers.posted,
            attributes=book.attributes if offers.attributes is None else offers.attributes,
            list_price=book.list_price, offer_firm=book.firm, valuations=self.valuations,
            social=wom, concession=offers.concession, commitment=offers.commitment,
            committed=committed, budget=budget, transparency=tau, insider=insider,
            desired_depth=pop.desired_depth[shop], supplied_depth=self.supplied_depth[book.firm],
            stage=self.stage[book.firm],
            journey_wait=self.journey.expected_wait if self.journey.active else None,
            journey_handoffs=self.journey.expected_handoffs if self.journey.active else None,
        )

    # -- the period ----------------------------------------------------------------
    def step(self) -> None:
        """Advance one period (MODEL.md §3)."""
        t, pop, mp = self.period, self.population, self.market
        e = float(self.economy[t])
        offers = self.post_offers(t)
        wom = net_word_of_mouth(pop.awareness, pop.promoter, mp.awareness.negative_weight)
        u = np.empty(pop.awareness.shape, dtype=np.float32)
        for f, rng in enumerate(self._awareness_rngs):
            rng.random(dtype=np.float32, out=u[f])
        move_awareness(pop.awareness, pop.bond, pop.last_purchase, period=t,
                       advertising=np.where(t >= self.entry, self.advertising, 0.0),
                       word_of_mouth=wom,
                       params=mp.awareness, uniforms=u, committed=pop.committed_until > t)
        shop = self._shoppers(e)
        uniforms = self._choice_rng.random(pop.n_customers, dtype=np.float32)[shop]
        noise = self._choice_rng.standard_normal(pop.n_customers, dtype=np.float32)[shop]
        s = self.situation(shop, offers, e, wom)
        value, outside_extra = mp.value(s)
        outside = pop.outside_utility[shop] + outside_extra
        choice, surplus = logit_choice(value, outside, s.consider, mp.noise_scale, uniforms)
        served = self._journeys(t, shop, choice)
        choice = np.where(served.action == BUYS, choice, OUTSIDE)  # the journey lost them
        booked = self._after_purchase(t, shop, s, choice, noise, served)
        self.recorder.record(t, economy_index=e, transparency=self.transparency[t],
                             technology_frontier=self.frontier[t], **served.record,
                             **period_accounts(
            self, shop, s, choice, surplus, wom, offers, booked))
        self.period += 1

    def _journeys(self, t, shop, choice):
        """Shoppers who chose a firm go through its journey (:mod:`agents.journey_book`)."""
        u = (self._journey_rng.random(self.population.n_customers, dtype=np.float32)[shop]
             if self.journey.active else None)
        chosen = np.where(choice != OUTSIDE, self.offers.firm[np.maximum(choice, 0)], -1)
        return self.journey.serve(t, chosen, self.spec.population.customer_weight, u)

    def _after_purchase(self, t, shop, s, choice, noise, served) -> dict:
        """Book purchases and update customers; the period's booked totals for the accounts."""
        pop, mp = self.population, self.market
        bought = choice != OUTSIDE
        rows, j = shop[bought], choice[bought]
        firm = self.offers.firm[j]
        n_firms = len(self.firms)
        acquired = np.bincount(firm[pop.awareness[firm, rows] == AwarenessState.EDGE],
                               minlength=n_firms)
        local = np.flatnonzero(bought)
        price_value = mp.value.get("price") or PriceValue()
        deal = price_value.takes_deal(s, local, j)
        paid = s.price[j] * np.where(deal, 1.0 - s.concession[j], 1.0) if s.has_deals \
            else s.price[j]
        delivered = (self.attribute_value.delivered(s, local, j)
                     + mp.satisfaction_noise * noise[bought])
        fit = mp.value.get("fit")
        if fit is not None:  # the interaction depth they live with
            delivered = delivered + fit.lived(s, local, j)
        journey_value = mp.value.get("journey")
        if journey_value is not None and self.journey.active:  # the journey they lived
            delivered = delivered - journey_value.penalty(served.wait[bought],
                                                          served.handoffs[bought])
        satisfied = delivered >= pop.expectation[rows]
        if self.pays_on_outcome.any():  # charged for outcomes: only the satisfied pay
            paid = np.where(self.pays_on_outcome[firm] & ~satisfied, 0.0, paid)
        revenue = np.bincount(j, weights=paid, minlength=self.offers.n_offers)
        escalated = served.action == ESCALATES
        if escalated.any():  # an escalation sours the relationship: detractor, bond damaged
            ef, er = served.firm[escalated], shop[escalated]
            pop.bond[ef, er] *= np.float32(1 - mp.awareness.bond_damage)
            pop.promoter[ef, er] = -1
        satisfied_buyers = np.bincount(firm, weights=satisfied, minlength=n_firms)
        decay_bonds(pop.bond, mp.awareness, self.care)
        book_experience(pop, rows, firm, satisfied, period=t, params=mp.awareness,
                        care=self.care)
        already = (pop.committed_until[firm, rows] > t) if deal.any() else deal
        commits = deal & ~already
        if commits.any():  # taking a concession binds the buyer
            r, f = rows[commits], firm[commits]
            pop.committed_until[f, r] = t + s.commitment[j[commits]]
        pop.expectation[rows] += np.float32(mp.expectation_adaptation) * (
            delivered.astype(np.float32) - pop.expectation[rows])
        if mp.expectation_drift:
            pop.expectation += np.float32(mp.expectation_drift)
        # reference prices follow the *posted* prices seen while shopping: a concession is
        # a deal, not a new price
        theta = np.float32(mp.reference_memory)
        aware = (_columns(pop.awareness, shop) >= AwarenessState.EDGE)[self.offers.firm]
        posted = s.price.astype(np.float32)[:, None]
        seen = theta * s.reference_price + (1 - theta) * posted
        pop.reference_price[:, shop] = np.where(aware, seen, s.reference_price)
        return {"revenue": revenue, "acquired": acquired, "satisfied": satisfied_buyers,
                "journey_cost": served.record["journey_cost"]}
