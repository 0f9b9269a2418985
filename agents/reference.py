"""The readable reference: one Mesa agent per customer, value and choice in plain Python.

This module restates MODEL.md §4 (perceived value and logit choice) the slow, obvious way.
A :class:`CustomerAgent` holds one customer's attributes as Python floats and lists, adds up
the perceived value of each offer term by term with loops over offers and value dimensions,
and picks an offer by inverting the logit distribution with the uniform it is given. A
:class:`ReferenceMarket` builds those agents from an engine
:class:`~sim.value.ChoiceSituation` and runs the choice step over all of them.

It never calls the engine's kernels (the components of :mod:`sim.value`, the functions of
:mod:`sim.choice`): it is the independent check the vectorised engine is compared with
(``tests/unit/test_reference_agrees.py``, ``experiments/benchmark.py``). From the engine it
reads only data (a ``ChoiceSituation``) and parameters (a ``ValueFunction``'s components).
The engine never uses this module: one Python object per customer is exactly what it avoids.

Perceived value of offer j (firm f) to customer i, with S_i the customer's consideration set
(offers of firms it is aware of, priced within its budget)::

    V_ij = beta_attr * benefit_ij * (p_j / list_j) ** elasticity   (the signal: only for
                                                                    customers who infer quality)
         + beta_bond * b_if + beta_social * social_f
         + compromise * [j in S_i, a cheaper and a dearer offer in S_i]
         + attraction * [j in S_i, j dominates some offer in S_i]
         - min(alpha_i(e) * cost(p_j),                              [pay the posted price]
               alpha_i(e) * cost(p_j (1 - c_j)) + commitment_cost * k_j)   [or take a concession]
    cost(q) = q + (lambda_i - 1) * max(0, q - r_ij)
    V_i0 = u0_i + overload * #{j in S_i with a near-identical sibling in S_i}

where ``benefit_ij = sum_d w_id a_jd``, or ``alpha_i * scale_i * WTP_sj`` for segments that
state a willingness to pay (``alpha_i`` the base price sensitivity).
"""

from __future__ import annotations

import dataclasses
import math

import mesa
import numpy as np

from sim.choice import OUTSIDE
from sim.value import ChoiceSituation, ValueFunction

__all__ = ["ValueTerms", "CustomerRow", "CustomerAgent", "ReferenceMarket"]

#: Value components the reference knows how to compute.
KNOWN_COMPONENTS = ("attributes", "bond", "social", "context", "price", "fit", "journey")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ValueTerms:
    """A value function's parameters as plain floats; a switched-off term has weight 0."""

    attribute_beta: float = 0.0
    price_quality_elasticity: float = 0.0
    bond_beta: float = 0.0
    social_beta: float = 0.0
    compromise: float = 0.0
    attraction: float = 0.0
    overload: float = 0.0
    crowding_radius: float = 0.0
    price_weight: float = 0.0
    commitment_cost: float = 0.0
    transparency_weight: float = 0.0
    fit_under: float = 0.0
    fit_over: float = 0.0
    fit_tolerance: float = 0.0
    fit_stage_shift: float = 0.0
    journey_wait: float = 0.0
    journey_handoff: float = 0.0

    @classmethod
    def of(cls, value_function: ValueFunction) -> ValueTerms:
        """Read the enabled components of ``value_function`` (each name at most once)."""
        names = [c.name for c in value_function.components if c.enabled]
        unknown = set(names) - set(KNOWN_COMPONENTS)
        if unknown or len(set(names)) != len(names):
            raise ValueError(f"the reference computes each of {KNOWN_COMPONENTS} at most once, "
                             f"got {names}")
        terms = {}
        if (c := value_function.get("attributes")) is not None:
            terms.update(attribute_beta=c.beta, price_quality_elasticity=c.price_quality_elasticity)
        if (c := value_function.get("bond")) is not None:
            terms.update(bond_beta=c.beta)
        if (c := value_function.get("social")) is not None:
            terms.update(social_beta=c.beta)
        if (c := value_function.get("context")) is not None:
            terms.update(compromise=c.compromise, attraction=c.attraction, overload=c.overload,
                         crowding_radius=c.crowding_radius)
        if (c := value_function.get("price")) is not None:
            terms.update(price_weight=1.0, commitment_cost=c.commitment_cost,
                         transparency_weight=c.transparency_weight)
        if (c := value_function.get("fit")) is not None and c.enabled:
            terms.update(fit_under=c.beta_under, fit_over=c.beta_over,
                         fit_tolerance=c.tolerance, fit_stage_shift=c.stage_shift)
        if (c := value_function.get("journey")) is not None:
            terms.update(journey_wait=c.beta_wait, journey_handoff=c.beta_handoff)
        return cls(**{k: float(v) for k, v in terms.items()})


@dataclasses.dataclass(slots=True, kw_only=True)
class CustomerRow:
    """One customer's attributes as plain Python values (one row of a ChoiceSituation).

    Attributes
    ----------
    weights : list of float, shape (dimension,)
    price_sensitivity : float
        alpha_i(e_t), already moved by the economy.
    base_price_sensitivity : float
        alpha_i in normal times (turns stated money valuations into utility).
    loss_aversion : float
    infers_quality : bool
    bond : list of float, shape (firm,)
    reference_price : list of float, shape (offer,)
    segment : int
    valuation_scale : float
    consider : list of bool, shape (offer,)
        Aware of the offer's firm and the price within budget.
    outside_utility : float
        u0_i, the value of buying nothing.
    committed : list of bool, shape (firm,)
        Already under a commitment to the firm.
    budget : float
        What the customer can spend this period (inf: no limit given).
    insider : list of bool, shape (firm,)
        An insider of the firm (keeps seeing its attributes under price transparency).
    desired_depth : float
        Interaction depth wanted at the service stage (iCustomer fit).
    """

    weights: list[float]
    price_sensitivity: float
    base_price_sensitivity: float
    loss_aversion: float
    infers_quality: bool
    bond: list[float]
    reference_price: list[float]
    segment: int
    valuation_scale: float
    consider: list[bool]
    outside_utility: float
    committed: list[bool]
    budget: float
    insider: list[bool]
    desired_depth: float


class CustomerAgent(mesa.Agent):
    """One customer: perceives the value of each offer and chooses one or none.

    Parameters
    ----------
    model : ReferenceMarket
        Holds the offers (attributes, prices, firms), word of mouth and the value terms.
    row : CustomerRow
        This customer's attributes.
    """

    def __init__(self, model: ReferenceMarket, row: CustomerRow) -> None:
        super().__init__(model)
        self.row = row
        self.choice = OUTSIDE

    def benefit(self, j: int) -> float:
        """Benefit of offer ``j`` as this customer perceives it (before ``beta_attr``)."""
        m, c = self.model, self.row
        stated = m.valuations[c.segment][j]
        if math.isnan(stated):
            benefit = 0.0
            for w, a in zip(c.weights, m.attributes[j], strict=True):
                benefit += w * a
        else:
            benefit = stated * c.base_price_sensitivity * c.valuation_scale
        elasticity = m.terms.price_quality_elasticity
        if c.infers_quality and elasticity > 0:
            # a cut of the *posted* price reads as lower quality (a concession does not, and
            # a price above list does not read as higher quality)
            benefit *= min(1.0, m.price[j] / m.list_price[j]) ** elasticity
        return benefit

    def fit(self, j: int) -> float:
        """iCustomer fit of offer ``j``: the depth this customer wants at the offer's stage,
        ``clip(d_i + shift * (stage - 2), 0, 10)``, against the depth its firm supplies."""
        m, c, t = self.model, self.row, self.model.terms
        if (t.fit_under == 0 and t.fit_over == 0) or m.supplied_depth is None:
            return 0.0
        wanted = min(10.0, max(0.0, c.desired_depth + t.fit_stage_shift * (m.stage[j] - 2)))
        supplied = m.supplied_depth[j]
        return (-t.fit_under * max(0.0, wanted - t.fit_tolerance - supplied)
                - t.fit_over * max(0.0, supplied - wanted - t.fit_tolerance))

    def seen_price_cost(self, j: int, menu: list[int]) -> float:
        """What paying for ``j`` costs as price transparency shows it: for a non-insider
        of j's firm, ``1 + k * tau`` times its difference from the mean cost of the
        offers in the choice set."""
        m, c = self.model, self.row
        cost = self.price_cost(j)
        k = m.terms.transparency_weight
        if m.transparency <= 0 or k <= 0 or c.insider[m.offer_firm[j]]:
            return cost
        costs = [self.price_cost(i) for i in menu]
        costs = [x for x in costs if math.isfinite(x)]
        mean = sum(costs) / len(costs) if costs else 0.0
        return mean + (1.0 + k * m.transparency) * (cost - mean)

    def seen_benefit(self, j: int, menu: list[int]) -> float:
        """Benefit of offer ``j`` as price transparency lets this customer see it: a
        non-insider of j's firm sees only ``1 - tau`` of its difference from the mean
        benefit of the offers in the customer's choice set."""
        m, c = self.model, self.row
        benefit = self.benefit(j)
        if m.transparency <= 0 or c.insider[m.offer_firm[j]]:
            return benefit
        mean = sum(self.benefit(k) for k in menu) / len(menu) if menu else 0.0
        return mean + (1.0 - m.transparency) * (benefit - mean)

    def context_bonus(self, j: int, menu: list[int]) -> float:
        """Compromise and attraction bonus of offer ``j`` within the choice set ``menu``."""
        m, t = self.model, self.model.terms
        if j not in menu:
            return 0.0
        bonus = 0.0
        prices = [m.price[k] for k in menu]
        if min(prices) < m.price[j] < max(prices):
            bonus += t.compromise
        if any(m.dominates[j][k] for k in menu):
            bonus += t.attraction
        return bonus

    def price_cost(self, j: int) -> float:
        """What paying for offer ``j`` costs in utility: the posted price, or the deal.

        Each price weighs losses against the reference price by lambda_i; the deal
        (a concession for a commitment) adds the commitment's cost unless the customer
        is already committed to the firm. A posted price above the budget can only be
        paid on the deal.
        """
        c, m, t = self.row, self.model, self.model.terms

        def cost(q: float) -> float:
            return c.price_sensitivity * (q + (c.loss_aversion - 1.0) * max(
                0.0, q - c.reference_price[j]))

        plain = cost(m.price[j])
        if m.concession[j] <= 0:
            return plain
        if m.price[j] > c.budget:  # the posted price is out of reach: the deal or nothing
            plain = math.inf
        deal = cost(m.price[j] * (1.0 - m.concession[j]))
        if not c.committed[m.offer_firm[j]]:
            deal += t.commitment_cost * m.commitment[j]
        return min(plain, deal)

    def journey(self, f: int) -> float:
        """What this customer expects to lose in firm ``f``'s journey (waits, hand-offs)."""
        m, t = self.model, self.model.terms
        if m.journey_wait is None or math.isnan(m.journey_wait[f]):
            return 0.0
        return t.journey_wait * m.journey_wait[f] + t.journey_handoff * m.journey_handoffs[f]

    def perceived_values(self) -> tuple[list[float], float]:
        """Perceived value of every offer and of the outside option.

        Returns
        -------
        values : list of float, shape (offer,)
            V_ij for every offer on the menu (only the considered ones can be chosen).
        outside : float
            u0_i plus the overload term of this customer's choice set.
        """
        m, c, t = self.model, self.row, self.model.terms
        menu = [j for j in range(m.n_offers) if c.consider[j]]
        values = []
        for j in range(m.n_offers):
            f = m.offer_firm[j]
            value = t.attribute_beta * self.seen_benefit(j, menu)
            value += t.bond_beta * c.bond[f]
            value += t.social_beta * m.social[f]
            value += self.context_bonus(j, menu)
            value -= t.price_weight * self.seen_price_cost(j, menu)
            value += self.fit(j)
            value -= self.journey(f)
            values.append(value)
        crowded = sum(1 for j in menu if any(m.similar[j][k] for k in menu))
        return values, c.outside_utility + t.overload * crowded

    def choose(self, uniform: float) -> int:
        """Choose one offer or nothing, by inverting the logit distribution at ``uniform``.

        The uniform is spent on the outside option first, then on the considered offers in
        offer order: the choice is the first one whose cumulative logit probability reaches it.
        With noise scale 0 the customer maximises surplus; a tie goes to the outside option.

        Parameters
        ----------
        uniform : float
            This customer's U(0, 1) number for the period.

        Returns
        -------
        int
            The chosen offer's index, or :data:`~sim.choice.OUTSIDE`; also kept as ``choice``.
        """
        values, outside = self.perceived_values()
        menu = [j for j in range(self.model.n_offers) if self.row.consider[j]]
        scale = self.model.noise_scale
        if scale == 0:
            self.choice, best = OUTSIDE, outside
            for j in menu:
                if values[j] > best:
                    self.choice, best = j, values[j]
            return self.choice
        x0 = outside / scale
        top = max([x0, *(values[j] / scale for j in menu)])
        weight0 = math.exp(x0 - top)
        weights = [math.exp(values[j] / scale - top) for j in menu]
        total = weight0 + sum(weights)
        rest = uniform - weight0 / total
        self.choice = OUTSIDE
        if rest >= 0 and menu:
            self.choice = menu[-1]  # if round-off leaves rest past the last cumulative sum
            cumulative = 0.0
            for j, w in zip(menu, weights, strict=True):
                cumulative += w / total
                if cumulative >= rest:
                    self.choice = j
                    break
        return self.choice


class ReferenceMarket(mesa.Model):
    """All shoppers of one period as Mesa agents, facing one menu of offers.

    Parameters
    ----------
    situation : ChoiceSituation
        The engine's description of the shoppers and the offers they face.
    outside_utility : ndarray, shape (shopper,)
        u0_i, the value of buying nothing.
    value_function : ValueFunction
        Which value terms are on, with what weights (only its parameters are read).
    noise_scale : float
        Scale of the Gumbel taste shock; 0 = deterministic surplus maximisation.
    rng : numpy.random.Generator
        The model's generator (the choice step itself draws nothing: uniforms are given).
    """

    def __init__(self, situation: ChoiceSituation, outside_utility: np.ndarray, *,
                 value_function: ValueFunction, noise_scale: float,
                 rng: np.random.Generator) -> None:
        super().__init__(rng=rng)
        s = situation
        self.terms = ValueTerms.of(value_function)
        self.noise_scale = float(noise_scale)
        self.attributes = np.asarray(s.attributes, dtype=np.float64).tolist()
        self.price = np.asarray(s.price, dtype=np.float64).tolist()
        n = len(self.price)
        self.concession = (np.zeros(n) if s.concession is None else s.concession).tolist()
        self.commitment = (np.zeros(n, int) if s.commitment is None else s.commitment).tolist()
        self.list_price = np.asarray(s.list_price, dtype=np.float64).tolist()
        self.offer_firm = np.asarray(s.offer_firm).tolist()
        self.social = np.asarray(s.social, dtype=np.float64).tolist()
        self.transparency = float(s.transparency)
        self.supplied_depth = (None if s.supplied_depth is None
                               else np.asarray(s.supplied_depth, dtype=np.float64).tolist())
        self.stage = None if s.stage is None else np.asarray(s.stage).tolist()
        self.journey_wait = (None if s.journey_wait is None
                             else np.asarray(s.journey_wait, dtype=np.float64).tolist())
        self.journey_handoffs = (None if s.journey_handoffs is None
                                 else np.asarray(s.journey_handoffs, dtype=np.float64).tolist())
        # engine tables are offer-major; the reference reads them customer by customer
        self.valuations = np.asarray(s.valuations, dtype=np.float64).T.tolist()
        self.n_offers = len(self.price)
        self.dominates = [[self._dominates(j, k) for k in range(self.n_offers)]
                          for j in range(self.n_offers)]
        self.similar = self._similar()
        self.customers = [CustomerAgent(self, row) for row in _rows(s, outside_utility)]

    def _dominates(self, j: int, k: int) -> bool:
        """Offer j is no worse than k on every attribute, no dearer, and better somewhere."""
        a, p = self.attributes, self.price
        no_worse = all(x >= y for x, y in zip(a[j], a[k], strict=True)) and p[j] <= p[k]
        better = any(x > y for x, y in zip(a[j], a[k], strict=True)) or p[j] < p[k]
        return no_worse and better

    def _similar(self) -> list[list[bool]]:
        """Pairs of distinct offers closer than the crowding radius.

        Distance = mean absolute attribute difference / mean absolute attribute
        + absolute price difference / mean absolute price (means over the whole menu).
        """
        a, p, n = self.attributes, self.price, self.n_offers
        scale_a = max(sum(abs(x) for row in a for x in row) / (n * len(a[0])), 1e-12)
        scale_p = max(sum(abs(x) for x in p) / n, 1e-12)
        similar = [[False] * n for _ in range(n)]
        for j in range(n):
            for k in range(n):
                gap = sum(abs(x - y) for x, y in zip(a[j], a[k], strict=True)) / len(a[j])
                distance = gap / scale_a + abs(p[j] - p[k]) / scale_p
                similar[j][k] = j != k and distance < self.terms.crowding_radius
        return similar

    def step(self, uniforms: np.ndarray) -> None:
        """Every customer chooses once, customer ``i`` with ``uniforms[i]``."""
        for agent, u in zip(self.customers, np.asarray(uniforms).tolist(), strict=True):
            agent.choose(u)

    def choices(self) -> np.ndarray:
        """Each customer's last choice: offer index or OUTSIDE, shape (shopper,)."""
        return np.array([a.choice for a in self.customers], dtype=np.int64)

    def values(self) -> tuple[np.ndarray, np.ndarray]:
        """Perceived values, shape (offer, shopper), and outside values, shape (shopper,)."""
        rows = [a.perceived_values() for a in self.customers]
        return (np.array([v for v, _ in rows]).reshape(len(rows), self.n_offers).T,
                np.array([v0 for _, v0 in rows]))


def _rows(s: ChoiceSituation, outside_utility: np.ndarray) -> list[CustomerRow]:
    """Copy every shopper's attributes out of the situation's arrays into plain Python."""
    columns = dict(  # the engine's (dimension|firm|offer, shopper) tables, one row per shopper
        weights=s.weights.T, price_sensitivity=s.price_sensitivity,
        base_price_sensitivity=s.base_price_sensitivity, loss_aversion=s.loss_aversion,
        infers_quality=s.infers_quality, bond=s.bond.T, reference_price=s.reference_price.T,
        segment=s.segment, valuation_scale=s.valuation_scale, consider=s.consider.T,
        outside_utility=outside_utility,
        committed=(np.zeros((s.social.shape[0], s.n_shoppers), bool) if s.committed is None
                   else s.committed).T,
        budget=np.full(s.n_shoppers, np.inf) if s.budget is None else s.budget,
        insider=(np.zeros((s.social.shape[0], s.n_shoppers), bool) if s.insider is None
                 else s.insider).T,
        desired_depth=(np.full(s.n_shoppers, 5.0) if s.desired_depth is None
                       else s.desired_depth),
    )
    lists = {k: np.asarray(v).tolist() for k, v in columns.items()}
    return [CustomerRow(**{k: v[i] for k, v in lists.items()}) for i in range(s.n_shoppers)]
