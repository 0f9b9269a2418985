"""Every firm's customer journey as the market lives it (MODEL.md §8, issue 6).

Each period, the customers who choose a firm go through its journey
(:mod:`agents.journey`): they arrive at ``inquiries / hours_per_period`` per time unit,
so load rises with demand and an under-staffed journey degrades as the firm grows.
Each customer's own outcome -- final action (buys, asks for more, goes away,
escalates), time spent waiting, hand-offs -- is drawn from SimPy simulations of the
journey at that load:

- only customers whose outcome is ``buys`` are booked as sales;
- the wait and hand-offs a buyer lived through lower the benefit delivered (hence
  satisfaction, bonds and word of mouth), through :class:`sim.experience.JourneyValue`;
- a customer who escalates turns detractor and loses bond (churn);
- the staff time the journey used is the firm's journey cost to serve;
- next period, shoppers expect the firm's journey to be what it was (its reputation; before
  a firm has served anyone, they expect nothing of it).

A journey's performance depends only on its parameters and its load, so it is
simulated on a geometric grid of loads (ratio ``load_step``) and interpolated between
the two grid loads around the period's: one SimPy simulation of ``sample_size``
inquiries per grid load a run visits, shared by firms with the same journey and reused
across periods. Simulating every firm-period at its exact load (``load_step: 1``)
costs about six times the whole market's run time in the default scenario. Grid load
``k`` always uses the same random stream, so scenarios that differ only elsewhere
(another strategy, another hand-off count) see the same simulated inquiries: common
random numbers.

Customers' outcomes are drawn by rank: each in-market customer has one uniform per
period, and an outcome is taken at that quantile of the simulated inquiries ordered
from best (bought quickly) to worst (escalated), so a worse journey gives every
customer a worse outcome, never a luckier one.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import numpy as np

from agents.journey import FINAL_ACTIONS, TRANSFER, JourneyParams, JourneyStats, simulate_journey
from sim.params import FROZEN
from sim.validation import ConfigError, check_positive

__all__ = ["JourneyMarketParams", "JourneyBook", "Served", "touchpoint_names", "BUYS",
           "ESCALATES", "clear_simulation_cache"]

BUYS, ESCALATES = FINAL_ACTIONS.index("buys"), FINAL_ACTIONS.index("escalates")
_GRID_KEY = 1 << 20  # spawn keys of grid loads: offset so that negative grid indices work


@dataclasses.dataclass(**FROZEN)
class JourneyMarketParams:
    """How firms' journeys run in the market.

    Attributes
    ----------
    enabled : bool
        False: no journeys (customers who choose a firm buy from it directly).
    hours_per_period : float
        Open hours of a period in the journey's time unit (40: a working week of hours).
    load_step : float
        Ratio between neighbouring loads of the simulated grid, >= 1; 1 simulates every
        firm's journey every period at its exact load (slow; for checking the grid).
    """

    enabled: bool = True
    hours_per_period: float = 40.0
    load_step: float = 1.5

    def __post_init__(self) -> None:
        check_positive("hours_per_period", self.hours_per_period)
        if not (isinstance(self.load_step, (int, float)) and 1.0 <= self.load_step <= 4.0):
            raise ConfigError("load_step", self.load_step, "a number in [1, 4]")


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class Served:
    """What one period's journeys did to the shoppers who chose a firm.

    Attributes
    ----------
    firm : ndarray of int, shape (shopper,)
        Firm each shopper chose, -1 for none.
    action : ndarray of int8, shape (shopper,)
        Final action (index into :data:`agents.journey.FINAL_ACTIONS`); ``BUYS`` for
        shoppers of a firm without a journey, -1 for shoppers who chose no firm.
    wait, handoffs : ndarray of float32, shape (shopper,)
        Time each waited and hand-offs each went through (0 without a journey).
    record : dict of ndarray
        The period's journey outputs (see :data:`sim.schema.OUTPUTS`).
    """

    firm: np.ndarray
    action: np.ndarray
    wait: np.ndarray
    handoffs: np.ndarray
    record: dict


def touchpoint_names(journeys: Sequence[JourneyParams | None]) -> tuple[str, ...]:
    """The ``touchpoint`` coordinate: every journey's touchpoints in order of first
    appearance, then ``"transfer"``; the default journey's when no firm has one."""
    names: list[str] = []
    for j in journeys:
        for name in (j.names[:-1] if j is not None else ()):
            if name not in names:
                names.append(name)
    if not names:
        names = list(JourneyParams().names[:-1])
    return (*names, TRANSFER)


class _Simulated:
    """One simulation of a journey at one load, with its inquiries ordered best first."""

    def __init__(self, stats: JourneyStats) -> None:
        self.stats = stats
        order = np.lexsort((stats.inquiry_wait, stats.inquiry_action))
        self.action = stats.inquiry_action[order].astype(np.int8)
        self.wait = stats.inquiry_wait[order].astype(np.float32)
        self.handoffs = stats.inquiry_handoffs[order].astype(np.float32)
        n = max(stats.n_inquiries, 1)
        self.arrival_share = stats.arrivals / n
        self.handoff_share = stats.handoffs / n
        for a in (self.action, self.wait, self.handoffs, self.arrival_share, self.handoff_share):
            a.flags.writeable = False  # shared by every run that reuses this simulation


@functools.lru_cache(maxsize=1024)
def _simulated(journey: JourneyParams, rate: float, entropy: int,
               spawn_key: tuple[int, ...]) -> _Simulated:
    """One SimPy simulation, a pure function of its arguments: remembered per process, so
    the runs of a sweep or study that share a seed and replicate (common random numbers)
    and a journey simulate it once. Results are the same with or without the memory."""
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=spawn_key))
    return _Simulated(simulate_journey(journey, rate, rng))


def clear_simulation_cache() -> None:
    """Forget the process's journey simulations (benchmarks time them afresh)."""
    _simulated.cache_clear()


class JourneyBook:
    """The firms' journeys of one run, and the simulations made of them so far.

    Parameters
    ----------
    journeys : sequence of JourneyParams or None, one per firm
    params : JourneyMarketParams
    seed : numpy.random.SeedSequence
        Root of the simulations' streams.
    touchpoints : tuple of str
        The run's ``touchpoint`` coordinate (see :func:`touchpoint_names`).
    """

    def __init__(self, journeys: Sequence[JourneyParams | None], params: JourneyMarketParams,
                 seed: np.random.SeedSequence, touchpoints: tuple[str, ...]) -> None:
        self.journeys = [j if params.enabled else None for j in journeys]
        self.params = params
        self.seed = seed
        self.touchpoints = touchpoints
        self._columns = [None if j is None else np.array([touchpoints.index(n) for n in j.names])
                         for j in self.journeys]
        self._simulated: dict[tuple, _Simulated] = {}
        distinct = list(dict.fromkeys(j for j in self.journeys if j is not None))
        self._journey_id = [None if j is None else distinct.index(j) for j in self.journeys]
        n = len(journeys)
        self.expected_wait = np.full(n, np.nan)      # what shoppers expect (reputation)
        self.expected_handoffs = np.full(n, np.nan)

    @property
    def active(self) -> bool:
        """Whether any firm's journey runs."""
        return any(j is not None for j in self.journeys)

    @property
    def simulations(self) -> int:
        """SimPy simulations run so far."""
        return len(self._simulated)

    def _simulate(self, f: int, rate: float, key: tuple) -> _Simulated:
        """Firm ``f``'s journey simulated at ``rate``, on the random stream fixed by ``key``
        alone (common random numbers)."""
        found = self._simulated.get((self._journey_id[f], *key))
        if found is None:
            found = _simulated(self.journeys[f], rate, self.seed.entropy,
                               (*self.seed.spawn_key, *key))
            self._simulated[(self._journey_id[f], *key)] = found
        return found

    def _bracket(self, f: int, t: int, rate: float) -> tuple[_Simulated, _Simulated, float]:
        """The simulations around ``rate`` and the interpolation weight of the upper one."""
        step = self.params.load_step
        if step == 1.0:
            exact = self._simulate(f, rate, (_GRID_KEY * 2 + f, t))
            return exact, exact, 0.0
        x = math.log(rate) / math.log(step)
        k = math.floor(x)
        lo = self._simulate(f, step ** k, (_GRID_KEY + k,))
        hi = self._simulate(f, step ** (k + 1), (_GRID_KEY + k + 1,))
        return lo, hi, x - k

    def serve(self, t: int, chosen: np.ndarray, weight: float,
              uniform: np.ndarray | None) -> Served:
        """Send this period's shoppers through the journeys of the firms they chose.

        Parameters
        ----------
        t : int
            Period.
        chosen : ndarray of int, shape (shopper,)
            Firm each shopper chose, -1 for none.
        weight : float
            Real customers per simulated one.
        uniform : ndarray of float32, shape (shopper,)
            One uniform per shopper: the quantile of its outcome among the simulated
            inquiries; where it falls within that inquiry's slice of [0, 1) chooses which
            of the two neighbouring grid loads it is drawn from (None: no journeys).
        """
        n_firms = len(self.journeys)
        rec = _empty_record(n_firms, len(self.touchpoints))
        action = np.where(chosen >= 0, np.int8(BUYS), np.int8(-1))
        wait = np.zeros(chosen.size, np.float32)
        handoffs = np.zeros(chosen.size, np.float32)
        for f, journey in enumerate(self.journeys):
            who = np.flatnonzero(chosen == f)
            inquiries = weight * who.size
            rec["inquiries"][f] = inquiries
            if journey is None or who.size == 0:  # no journey: they buy directly
                rec["final_actions"][f, BUYS] = inquiries
                continue
            lo, hi, upper = self._bracket(f, t, inquiries / self.params.hours_per_period)
            _fill(rec, f, self._columns[f], lo, hi, upper, inquiries)
            # each shopper's outcome is the quantile ``u`` of the simulated inquiries, from
            # the upper load with probability ``upper`` (where u falls within its slice)
            u = uniform[who]
            position = u * np.float32(lo.action.size)
            at = np.minimum(position.astype(np.int64), lo.action.size - 1)  # float32 u < 1
            sim_action, sim_wait, sim_handoffs = lo.action[at], lo.wait[at], lo.handoffs[at]
            if upper > 0:
                up = position - at < upper
                at_hi = np.minimum((u[up] * np.float32(hi.action.size)).astype(np.int64),
                                   hi.action.size - 1)
                sim_action[up], sim_wait[up] = hi.action[at_hi], hi.wait[at_hi]
                sim_handoffs[up] = hi.handoffs[at_hi]
            action[who], wait[who], handoffs[who] = sim_action, sim_wait, sim_handoffs
            rec["final_actions"][f] = inquiries * np.bincount(
                sim_action.view(np.uint8), minlength=len(FINAL_ACTIONS)) / who.size
            rec["journey_wait"][f] = self.expected_wait[f] = float(sim_wait.mean())
            self.expected_handoffs[f] = float(sim_handoffs.mean())
        with np.errstate(invalid="ignore", divide="ignore"):
            rec["journey_completion"] = rec["final_actions"][:, BUYS] / rec["inquiries"]
        return Served(chosen, action, wait, handoffs, rec)


def _empty_record(n_firms: int, n_tp: int) -> dict[str, np.ndarray]:
    nan2, nan3 = np.full(n_firms, np.nan), np.full((n_firms, n_tp), np.nan)
    return {
        "inquiries": np.zeros(n_firms),
        "journey_wait": nan2, "journey_cost": np.zeros(n_firms),
        "final_actions": np.zeros((n_firms, len(FINAL_ACTIONS))),
        "touchpoint_arrivals": np.zeros((n_firms, n_tp)),
        "touchpoint_handoffs": np.zeros((n_firms, n_tp)),
        "touchpoint_mean_wait": nan3, "touchpoint_p90_wait": nan3.copy(),
        "touchpoint_completion": nan3.copy(), "touchpoint_abandonment": nan3.copy(),
    }


def _fill(rec: dict, f: int, cols: np.ndarray, lo: _Simulated, hi: _Simulated, upper: float,
          inquiries: float) -> None:
    """Firm ``f``'s per-touchpoint outputs, interpolated between two simulated loads."""
    def between(a, b):
        return (1.0 - upper) * a + upper * b if upper > 0 else a

    rec["touchpoint_arrivals"][f, cols] = inquiries * between(lo.arrival_share, hi.arrival_share)
    rec["touchpoint_handoffs"][f, cols] = inquiries * between(lo.handoff_share, hi.handoff_share)
    for name, field in (("touchpoint_mean_wait", "mean_wait"), ("touchpoint_p90_wait", "p90_wait"),
                        ("touchpoint_completion", "completion_rate"),
                        ("touchpoint_abandonment", "abandonment_rate")):
        rec[name][f, cols] = between(getattr(lo.stats, field), getattr(hi.stats, field))
    rec["journey_cost"][f] = inquiries * between(lo.stats.cost_to_serve, hi.stats.cost_to_serve)
