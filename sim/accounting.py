"""One period's books: units, revenue, costs, shares and customer counts, per schema variable."""

from __future__ import annotations

import numpy as np

from agents.population import AwarenessState
from sim.choice import OUTSIDE

__all__ = ["period_accounts"]


def period_accounts(model, shop, s, choice, surplus, wom, offers_now, booked) -> dict:
    """The period's values of every schema variable except ``economy_index``.

    Parameters
    ----------
    model : MarketModel
    shop : ndarray of int, shape (shopper,)
    s : ChoiceSituation
    choice : ndarray of int, shape (shopper,)
    surplus : ndarray, shape (shopper,)
    wom : ndarray, shape (firm,)
    offers_now : MarketOffers
    booked : dict
        From the booking step: ``revenue`` by offer (shape (offer,), simulated
        customers), ``acquired`` and ``satisfied`` buyers by firm (shape (firm,)), and
        ``journey_cost`` by firm (real customers' journeys, currency).
    """
    pop, offers = model.population, model.offers
    n_firms, n_offers = len(model.firms), offers.n_offers
    w = model.spec.population.customer_weight  # real customers per simulated one
    bought = choice != OUTSIDE
    j = choice[bought]
    units = w * np.bincount(j, minlength=n_offers)
    seg = pop.segment[shop][bought].astype(np.int64)
    n_seg = len(model.recorder.coords["segment"])
    seg_units = w * np.bincount(seg * n_offers + j, minlength=n_seg * n_offers)
    revenue, var_cost = w * booked["revenue"], units * offers_now.unit_cost

    def by_firm(x):
        return np.bincount(offers.firm, weights=x, minlength=n_firms)

    f_units, f_rev, f_var = by_firm(units), by_firm(revenue), by_firm(var_cost)
    # cost to serve: relationship care and interaction depth (iCustomer) per buyer, and
    # the staff time of the customer journey
    serve = ((model.care_cost + model.depth_cost * model.supplied_depth) * f_units
             + booked["journey_cost"])
    invest = model.investment[model.period]  # adopting a disruption wave's technology
    total, total_rev = units.sum(), revenue.sum()
    counts = pop.state_counts()
    n_ins = counts[:, AwarenessState.INSIDER]
    counts = w * counts
    bond_sum = np.array([pop.bond[f][pop.awareness[f] == AwarenessState.INSIDER].sum(
        dtype=np.float64) for f in range(n_firms)])
    committed = w * np.count_nonzero(pop.committed_until > model.period, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg_price = np.where(f_units > 0, f_rev / f_units, np.nan)
        satisfied = np.where(f_units > 0, w * booked["satisfied"] / f_units, np.nan)
        bond = np.where(n_ins > 0, bond_sum / n_ins, np.nan)
    return dict(
        price=offers_now.posted, unit_cost=offers_now.unit_cost,
        on_sale=offers_now.on_sale.astype(np.float64), concession=offers_now.concession,
        units=units, revenue=revenue, variable_cost=var_cost, offer_profit=revenue - var_cost,
        offer_share=units / total if total else 0.0,
        segment_units=seg_units.reshape(n_seg, n_offers),
        firm_units=f_units, firm_revenue=f_rev, firm_variable_cost=f_var,
        fixed_cost=model.fixed_cost, cost_to_serve=serve, investment=invest,
        adopted_technology=model.adopted[model.period],
        profit=f_rev - f_var - model.fixed_cost - serve - invest,
        share=f_units / total if total else 0.0,
        revenue_share=f_rev / total_rev if total_rev else 0.0,
        average_price=avg_price, customers=counts, acquisitions=w * booked["acquired"],
        committed=committed, mean_bond=bond, word_of_mouth=wom, satisfied_share=satisfied,
        in_market=w * shop.size, buyers=total,
        outside_share=1 - total / (w * shop.size) if shop.size else np.nan,
        consumer_surplus=w * float((surplus / s.price_sensitivity).sum(dtype=np.float64)),
    )
