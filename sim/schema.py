"""The output schema, declared once: every result variable with its dims, units and long name.

The recorder preallocates from it, :func:`check_dataset` verifies a result
against it, and the dataset's attributes are filled from it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Variable", "OUTPUTS", "DIMS", "check_dataset"]

#: Dims a single run's variables may use (MODEL.md §10).
DIMS = ("period", "firm", "offer", "segment", "state", "touchpoint", "action")


class Variable(NamedTuple):
    """One declared output variable."""

    name: str
    dims: tuple[str, ...]
    units: str
    long_name: str


def _v(name: str, dims: str, units: str, long_name: str) -> Variable:
    return Variable(name, tuple(dims.split()), units, long_name)


OUTPUTS: tuple[Variable, ...] = (
    _v("economy_index", "period", "1", "economy index (1 = normal times)"),
    _v("technology_frontier", "period", "1",
       "disruption's technology frontier (offers are judged against it)"),
    _v("transparency", "period", "1",
       "price transparency (0 = none; 1 = to non-insiders all offers look alike)"),
    _v("price", "period offer", "currency", "posted price"),
    _v("on_sale", "period offer", "1", "1 if the offer is on the menu"),
    _v("concession", "period offer", "1", "price cut given to buyers who commit (fraction)"),
    _v("unit_cost", "period offer", "currency", "unit cost"),
    _v("units", "period offer", "purchases", "units sold"),
    _v("revenue", "period offer", "currency", "revenue"),
    _v("variable_cost", "period offer", "currency", "variable cost of units sold"),
    _v("offer_profit", "period offer", "currency", "gross margin (revenue - variable cost)"),
    _v("offer_share", "period offer", "1", "share of all purchases"),
    _v("segment_units", "period segment offer", "purchases", "units sold by buyer segment"),
    _v("firm_units", "period firm", "purchases", "units sold"),
    _v("firm_revenue", "period firm", "currency", "revenue"),
    _v("firm_variable_cost", "period firm", "currency", "variable cost"),
    _v("fixed_cost", "period firm", "currency", "fixed cost"),
    _v("cost_to_serve", "period firm", "currency",
       "cost of serving customers (care and interaction depth per buyer, journey staff)"),
    _v("adopted_technology", "period firm", "1",
       "technology level the firm has adopted (0 until it adopts a disruption's)"),
    _v("investment", "period firm", "currency",
       "investment in adopting a disruption's technology"),
    _v("profit", "period firm", "currency",
       "profit (revenue - variable cost - fixed cost - cost to serve - investment)"),
    _v("share", "period firm", "1", "share of purchases"),
    _v("revenue_share", "period firm", "1", "share of revenue"),
    _v("average_price", "period firm", "currency", "average realised price (NaN without sales)"),
    _v("customers", "period firm state", "customers", "customers by awareness state"),
    _v("acquisitions", "period firm", "customers",
       "purchases by edge customers (new or returning insiders)"),
    _v("committed", "period firm", "customers", "customers under a commitment to the firm"),
    _v("mean_bond", "period firm", "1", "mean bond among insiders (NaN without insiders)"),
    _v("word_of_mouth", "period firm", "1",
       "net word of mouth (promoters - detractors) / customers"),
    _v("satisfied_share", "period firm", "1", "share of buyers satisfied (NaN without sales)"),
    _v("inquiries", "period firm", "customers",
       "customers who chose the firm and entered its journey"),
    _v("journey_completion", "period firm", "1",
       "share of inquiries that bought (NaN without inquiries)"),
    _v("journey_wait", "period firm", "hours",
       "mean time an inquiry waited, in queues and hand-offs (NaN without a journey)"),
    _v("journey_cost", "period firm", "currency",
       "staff cost of the journey (part of cost to serve)"),
    _v("final_actions", "period firm action", "customers",
       "inquiries by final action (buys, asks for more, goes away, escalates)"),
    _v("touchpoint_arrivals", "period firm touchpoint", "customers",
       "inquiries reaching the touchpoint"),
    _v("touchpoint_handoffs", "period firm touchpoint", "customers",
       "inquiries handed off from the touchpoint to another department"),
    _v("touchpoint_mean_wait", "period firm touchpoint", "hours",
       "mean wait in the touchpoint's queue (NaN: not visited)"),
    _v("touchpoint_p90_wait", "period firm touchpoint", "hours",
       "90th percentile of the wait in the touchpoint's queue (NaN: not visited)"),
    _v("touchpoint_completion", "period firm touchpoint", "1",
       "share of arrivals that passed the touchpoint (NaN: not visited)"),
    _v("touchpoint_abandonment", "period firm touchpoint", "1",
       "share of arrivals that gave up in the touchpoint's queue (NaN: not visited)"),
    _v("in_market", "period", "customers", "customers in the market"),
    _v("buyers", "period", "customers", "customers who bought"),
    _v("outside_share", "period", "1",
       "share of in-market customers choosing no offer (NaN if nobody shops)"),
    _v("consumer_surplus", "period", "currency",
       "expected consumer surplus over the outside option"),
)

BY_NAME = {v.name: v for v in OUTPUTS}


def check_dataset(ds) -> list[str]:
    """Differences between a results Dataset and the schema (empty list: conforms).

    Checks that every declared variable is present with its dims, ``units`` and
    ``long_name``, that no undeclared variable is present, and that counts,
    prices and costs are non-negative.
    """
    problems = []
    for v in OUTPUTS:
        if v.name not in ds:
            problems.append(f"{v.name}: missing")
            continue
        da = ds[v.name]
        if tuple(d for d in da.dims if d in DIMS) != v.dims:
            problems.append(f"{v.name}: dims {da.dims} != {v.dims}")
        if da.attrs.get("units") != v.units or da.attrs.get("long_name") != v.long_name:
            problems.append(f"{v.name}: units/long_name differ from the schema")
        nonneg = v.units in ("customers", "purchases", "hours") or v.name in (
            "price", "unit_cost", "revenue", "variable_cost", "fixed_cost", "cost_to_serve",
            "investment", "consumer_surplus", "journey_cost")
        if nonneg and np.nanmin(np.asarray(da.values, dtype=float), initial=0.0) < 0:
            problems.append(f"{v.name}: negative values")
    for name in ds.data_vars:
        if name not in BY_NAME:
            problems.append(f"{name}: not in the schema")
    return problems
