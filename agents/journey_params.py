"""A customer journey's parameters: touchpoints, hand-offs, patience (MODEL.md §8).

Validated where they enter (config or code); simulated by :mod:`agents.journey`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.params import FROZEN, from_mapping, to_mapping
from sim.validation import (
    ConfigError,
    check_choice,
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
)

__all__ = ["FINAL_ACTIONS", "SATURATED", "MAX_WARMUP", "TRANSFER", "TouchpointParams",
           "JourneyParams"]

FINAL_ACTIONS = ("buys", "asks_for_more", "goes_away", "escalates")
#: Offered load from which a desk counts as saturated (see :meth:`JourneyParams.warmup_at`).
SATURATED = 0.95
#: The longest warm-up, in inquiries.
MAX_WARMUP = 4000
SERVICE_DISTRIBUTIONS = ("exponential", "lognormal")
TRANSFER = "transfer"


@dataclasses.dataclass(**FROZEN)
class TouchpointParams:
    """One department of the journey.

    Attributes
    ----------
    name : str
    capacity : int
        Staff serving in parallel, >= 1.
    mean_service : float
        Mean service time per visit, time units, > 0.
    service : {"exponential", "lognormal"}
    service_cv : float
        Coefficient of variation of a lognormal service time, > 0 (unused if exponential).
    more_info : float
        Probability that a served inquiry needs more information and queues here again.
    handoff_delay : float
        Mean (exponential) delay when passing to the next department, time units, >= 0.
    """

    name: str
    capacity: int = 1
    mean_service: float = 0.5
    service: str = "exponential"
    service_cv: float = 1.0
    more_info: float = 0.0
    handoff_delay: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError("name", self.name, "a non-empty string")
        check_int("capacity", self.capacity, low=1)
        check_positive("mean_service", self.mean_service)
        check_choice("service", self.service, SERVICE_DISTRIBUTIONS)
        check_positive("service_cv", self.service_cv)
        check_probability("more_info", self.more_info)
        check_nonnegative("handoff_delay", self.handoff_delay)

    def service_times(self, z_exp: np.ndarray, z_norm: np.ndarray) -> np.ndarray:
        """Service times from standard exponential or normal draws (same shape), time units."""
        if self.service == "exponential":
            return self.mean_service * z_exp
        sigma2 = math.log1p(self.service_cv**2)
        return np.exp(math.log(self.mean_service) - sigma2 / 2 + math.sqrt(sigma2) * z_norm)


def _default_touchpoints() -> tuple[TouchpointParams, ...]:
    spec = [("research", 4, 0.2, 0.1), ("contact", 3, 0.5, 0.2), ("buy", 2, 0.3, 0.05),
            ("onboarding", 3, 0.6, 0.1), ("support", 3, 0.8, 0.2)]
    return tuple(TouchpointParams(name=n, capacity=c, mean_service=m, more_info=p,
                                  handoff_delay=0.1) for n, c, m, p in spec)


@dataclasses.dataclass(**FROZEN)
class JourneyParams:
    """A firm's journey: touchpoints in order, hand-offs, customer patience and costs.

    Attributes
    ----------
    touchpoints : tuple of TouchpointParams
        In the order an inquiry visits them; names unique and not ``"transfer"``.
    handoffs : int
        Extra department hand-offs per inquiry, each a visit to the ``transfer`` desk, >= 0.
    handoff_after : tuple of str
        Touchpoints after which the extra hand-offs happen, cycled; empty spreads them
        round-robin over the gaps between touchpoints.
    transfer : TouchpointParams
        The desk that receives hand-offs (its name must be ``"transfer"``).
    patience : float
        Mean (exponential) time an inquiry waits in one queue before abandoning, > 0; ``inf``
        for customers who never abandon.
    escalation : float
        Probability that an abandoning inquiry escalates rather than goes away.
    max_more_info : int
        Repeat visits allowed per touchpoint before the case is left open (asks for more).
    sample_size : int
        Inquiries measured per simulation, >= 1.
    warmup : int
        Inquiries simulated first to load the queues, then discarded, >= 0 (the sample
        then sees a journey in its working state, not an empty office).
    staff_cost : float
        Currency per unit of staff busy time, >= 0.
    """

    touchpoints: tuple[TouchpointParams, ...] = dataclasses.field(
        default_factory=_default_touchpoints)
    handoffs: int = 0
    handoff_after: tuple[str, ...] = ()
    transfer: TouchpointParams = dataclasses.field(default_factory=lambda: TouchpointParams(
        name=TRANSFER, capacity=2, mean_service=0.25, handoff_delay=0.25))
    patience: float = 2.0
    escalation: float = 0.2
    max_more_info: int = 2
    sample_size: int = 400
    warmup: int = 100
    staff_cost: float = 40.0

    def __post_init__(self) -> None:
        names = [tp.name for tp in self.touchpoints]
        if not names:
            raise ConfigError("touchpoints", self.touchpoints, "at least one touchpoint")
        if len(set(names)) != len(names) or TRANSFER in names:
            raise ConfigError("touchpoints", names, f"unique names other than {TRANSFER!r}")
        check_int("handoffs", self.handoffs, low=0)
        for k, name in enumerate(self.handoff_after):
            check_choice(f"handoff_after[{k}]", name, names)
        if self.transfer.name != TRANSFER:
            raise ConfigError("transfer.name", self.transfer.name, repr(TRANSFER))
        if not (isinstance(self.patience, (int, float)) and self.patience == math.inf):
            check_positive("patience", self.patience)
        check_probability("escalation", self.escalation)
        check_int("max_more_info", self.max_more_info, low=0)
        check_int("sample_size", self.sample_size, low=1)
        check_int("warmup", self.warmup, low=0)
        check_nonnegative("staff_cost", self.staff_cost)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], path: str = "journey") -> JourneyParams:
        """Build from a config mapping; ``touchpoints`` may be a list of touchpoints or a
        mapping ``{name: fields}`` in visiting order (the form the configs use, so that
        ``...journey.touchpoints.contact.capacity=12`` works on the command line)."""
        data = dict(data)
        tps = data.get("touchpoints")
        if isinstance(tps, Mapping):
            items = []
            for name, fields in tps.items():
                if not isinstance(fields, Mapping):
                    raise ConfigError(f"{path}.touchpoints.{name}", fields,
                                      "a mapping of touchpoint fields (capacity, ...)")
                items.append(from_mapping(TouchpointParams, {"name": str(name), **fields},
                                          f"{path}.touchpoints.{name}"))
            data["touchpoints"] = tuple(items)
        if isinstance(data.get("transfer"), Mapping):
            data["transfer"] = {"name": TRANSFER, **data["transfer"]}
        return from_mapping(cls, data, path)

    def to_mapping(self) -> dict[str, Any]:
        """The config form :meth:`from_mapping` reads (touchpoints keyed by name)."""
        out = {f.name: to_mapping(getattr(self, f.name)) for f in dataclasses.fields(self)}
        out["touchpoints"] = {tp["name"]: {k: v for k, v in tp.items() if k != "name"}
                              for tp in out["touchpoints"]}
        out["transfer"] = {k: v for k, v in out["transfer"].items() if k != "name"}
        return out

    def offered_load(self, arrival_rate: float) -> np.ndarray:
        """Offered load of each desk (touchpoints, then the transfer desk), shape (desk,):
        arrivals x expected visits (repeat visits for more information included) x mean
        service / staff. At 1 or more a desk cannot keep up: its queue grows until
        customers' patience runs out as fast as they arrive."""
        desks = self.touchpoints + (self.transfer,)
        steps = np.bincount(self.route(), minlength=len(desks))
        visits = np.array([sum(d.more_info ** i for i in range(self.max_more_info + 1))
                           for d in desks])
        work = np.array([d.mean_service / d.capacity for d in desks])
        return arrival_rate * steps * visits * work

    def warmup_at(self, arrival_rate: float) -> int:
        """Inquiries simulated before the sample is measured, at ``arrival_rate``.

        ``warmup`` while every desk keeps up; when one is saturated (offered load
        >= :data:`SATURATED`) its queue builds until abandonment balances arrivals, with
        the mean patience as time constant, so the warm-up covers four mean patiences
        (at most :data:`MAX_WARMUP` inquiries; customers who never abandon face a queue
        that never settles, and are measured after the longest warm-up).
        """
        if self.offered_load(arrival_rate).max() < SATURATED:
            return self.warmup
        settle = 4.0 * self.patience * arrival_rate
        return int(max(self.warmup, min(math.ceil(settle) if math.isfinite(settle)
                                        else MAX_WARMUP, MAX_WARMUP)))

    @property
    def names(self) -> tuple[str, ...]:
        """Touchpoint names in result order: the journey's, then ``"transfer"``."""
        return tuple(tp.name for tp in self.touchpoints) + (TRANSFER,)

    def route(self) -> np.ndarray:
        """Touchpoint index of every step, shape (step,); ``len(touchpoints)`` is the desk."""
        n = len(self.touchpoints)
        names = [tp.name for tp in self.touchpoints]
        after = ([names.index(a) for a in self.handoff_after] if self.handoff_after
                 else list(range(max(n - 1, 1))))
        extra = np.bincount([after[k % len(after)] for k in range(self.handoffs)], minlength=n)
        return np.concatenate([[k] + [n] * int(extra[k]) for k in range(n)]).astype(int)
