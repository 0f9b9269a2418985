"""One period of a firm's customer journey, simulated on SimPy (MODEL.md §8, issue 6).

A journey is an ordered list of touchpoints (research, contact, buy, onboarding, support),
each a department with ``capacity`` staff (a :class:`simpy.Resource`) and a service-time
distribution. A sample of the period's inquiries arrives as a Poisson stream at
``arrival_rate`` per unit of time (the time unit of the service times, e.g. hours); each
inquiry walks the touchpoints in order:

1. it joins the touchpoint's queue and waits for a free member of staff; if its patience
   (exponential, drawn afresh for every queue) runs out first it *abandons* and leaves the
   journey, escalating with probability ``escalation`` or else going away;
2. it is served; with probability ``more_info`` it then needs more information and queues
   again at the same touchpoint, at most ``max_more_info`` times, after which the case is
   left open;
3. it is handed off to the next department after an exponential delay with the touchpoint's
   ``handoff_delay`` mean. Waiting for a hand-off is waiting too: the delay uses up the
   patience of the next queue, so every hand-off can lose the customer. ``handoffs`` extra
   department hand-offs route the inquiry through a shared ``transfer`` desk (a queue like
   any other) between touchpoints.

Final actions, one per inquiry (:data:`FINAL_ACTIONS`): ``buys`` (passed every step),
``asks_for_more`` (still needed information after ``max_more_info`` repeat visits),
``goes_away`` and ``escalates`` (abandoned a queue). Cost to serve is staff busy time times
``staff_cost``, per inquiry.

Only a sample (``sample_size``) of inquiries is measured, never one process per customer,
after a warm-up that loads the queues (longer when a desk is saturated, see
:meth:`JourneyParams.warmup_at`); the caller scales demand into ``arrival_rate`` so load
rises with demand. :mod:`agents.journey_book` feeds the measured outcomes to the market's
customers (experience value, churn, word of mouth, cost to serve). All randomness comes
from the ``rng`` passed in and is drawn up front, per inquiry and step, so runs that
differ only in a parameter share their random numbers.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import simpy

from agents.journey_params import (
    FINAL_ACTIONS,
    MAX_WARMUP,
    SATURATED,
    TRANSFER,
    JourneyParams,
    TouchpointParams,
)
from sim.params import FROZEN
from sim.validation import check_positive

__all__ = ["FINAL_ACTIONS", "MAX_WARMUP", "SATURATED", "TRANSFER", "JourneyParams",
           "JourneyStats", "TouchpointParams", "erlang_c_wait", "simulate_journey"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class JourneyStats:
    """What one period's sampled journey measured.

    Per-touchpoint arrays have shape (touchpoint,), in the order of ``touchpoint``
    (the journey's touchpoints, then ``"transfer"``). Times are in the time unit of the
    service times. Rates over no arrivals are NaN.

    Attributes
    ----------
    touchpoint : tuple of str
    arrivals : ndarray of int
        Inquiries reaching the touchpoint (one per step; repeat visits not counted).
    visits : ndarray of int
        Queue joins, repeat visits for more information included.
    mean_wait, p90_wait : ndarray of float
        Mean and 90th percentile of the time in queue per visit (abandoned visits included).
    handoffs : ndarray of int
        Inquiries passed on from the touchpoint to another department.
    completion_rate, abandonment_rate : ndarray of float
        Fractions of arrivals that passed the touchpoint, or abandoned in its queue.
    n_inquiries : int
    final_actions : ndarray of int, shape (action,)
        Counts of :data:`FINAL_ACTIONS`; they sum to ``n_inquiries``.
    completion : float
        Fraction of inquiries that bought.
    mean_time_in_journey : float
        Mean time from arrival to final action.
    staff_time : float
        Total staff busy time.
    cost_to_serve : float
        ``staff_time * staff_cost / n_inquiries``, currency per inquiry.
    inquiry_action : ndarray of int, shape (inquiry,)
        Each sampled inquiry's final action (index into :data:`FINAL_ACTIONS`).
    inquiry_wait : ndarray of float, shape (inquiry,)
        Each one's time spent waiting: in queues and in hand-offs.
    inquiry_handoffs : ndarray of int, shape (inquiry,)
        Each one's hand-offs between departments.
    """

    touchpoint: tuple[str, ...]
    arrivals: np.ndarray
    visits: np.ndarray
    mean_wait: np.ndarray
    p90_wait: np.ndarray
    handoffs: np.ndarray
    completion_rate: np.ndarray
    abandonment_rate: np.ndarray
    n_inquiries: int
    final_actions: np.ndarray
    completion: float
    mean_time_in_journey: float
    staff_time: float
    cost_to_serve: float
    inquiry_action: np.ndarray
    inquiry_wait: np.ndarray
    inquiry_handoffs: np.ndarray

    def action(self, name: str) -> int:
        """Count of one final action, e.g. ``stats.action("escalates")``."""
        return int(self.final_actions[FINAL_ACTIONS.index(name)])


def erlang_c_wait(arrival_rate: float, mean_service: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C), time units; ``inf`` if unstable.

    Examples
    --------
    >>> round(erlang_c_wait(0.5, 1.0, 1), 6)  # M/M/1: rho / (mu - lambda)
    1.0
    """
    load = arrival_rate * mean_service
    if load >= servers:
        return math.inf
    blocking = 1.0  # Erlang B by the stable recursion B(k) = a B(k-1) / (k + a B(k-1))
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    rho = load / servers
    waiting = blocking / (1.0 - rho + rho * blocking)
    return waiting * mean_service / (servers - load)


@dataclasses.dataclass(**FROZEN)
class _Draws:
    """Every random number of one simulation, drawn up front, as nested lists indexed
    ``[inquiry][step][loop]``."""

    arrival: list      # [inquiry] arrival times
    service: list      # [inquiry][step][loop]
    patience: list     # [inquiry][step][loop]
    more_info: list    # [inquiry][step][loop] uniforms
    handoff: list      # [inquiry][step] standard exponentials
    escalate: list     # [inquiry] uniforms


def _step_draws(rng: np.random.Generator, desks, n: int, loops: int,
                patience: float) -> dict[str, np.ndarray]:
    """Draws for one visit per desk in ``desks``: arrays of shape (inquiry, desk, loop)."""
    shape = (n, len(desks), loops)
    z_exp, z_norm = rng.standard_exponential(shape), rng.standard_normal(shape)
    service = np.empty(shape)
    for k, desk in enumerate(desks):
        service[:, k] = desk.service_times(z_exp[:, k], z_norm[:, k])
    wait = rng.standard_exponential(shape)
    return {"service": service,
            "patience": np.full(shape, math.inf) if math.isinf(patience) else wait * patience,
            "more_info": rng.random(shape),
            "handoff": rng.standard_exponential(shape[:2])}


def _draw(params: JourneyParams, route: np.ndarray, arrival_rate: float, horizon: float,
          rng: np.random.Generator, n: int) -> _Draws:
    """Draw everything up front: touchpoint visits first, then the extra hand-offs, so that
    adding hand-offs leaves every touchpoint's random numbers unchanged (common random
    numbers across settings). ``n`` inquiries at most."""
    loops = params.max_more_info + 1
    n_touch = len(params.touchpoints)
    arrival = np.cumsum(rng.standard_exponential(n) / arrival_rate)
    m = int(np.sum(arrival < horizon))
    touch = _step_draws(rng, params.touchpoints, n, loops, params.patience)
    escalate = rng.random(n)
    extra = _step_draws(rng, (params.transfer,) * params.handoffs, n, loops, params.patience)
    column = np.where(route < n_touch, route, np.cumsum(route >= n_touch) - 1)
    source = [touch if k < n_touch else extra for k in route]

    def steps(key: str) -> np.ndarray:
        return np.stack([src[key][:m, c] for src, c in zip(source, column, strict=True)],
                        axis=1)

    # nested lists: the event loop reads single numbers, far faster from lists than arrays
    return _Draws(arrival=arrival[:m].tolist(), service=steps("service").tolist(),
                  patience=steps("patience").tolist(), more_info=steps("more_info").tolist(),
                  handoff=steps("handoff").tolist(), escalate=escalate[:m].tolist())


class _Log:
    """Mutable tallies of one run, plain lists while the events run (private; frozen into
    :class:`JourneyStats` at the end)."""

    def __init__(self, n_touchpoints: int, n_inquiries: int) -> None:
        self.waits: list[list[float]] = [[] for _ in range(n_touchpoints)]
        self.arrivals = [0] * n_touchpoints
        self.passed = [0] * n_touchpoints
        self.abandoned = [0] * n_touchpoints
        self.handoffs = [0] * n_touchpoints
        self.action = [0] * n_inquiries
        self.time = [0.0] * n_inquiries
        self.wait = [0.0] * n_inquiries    # queue waits and hand-off delays
        self.passes = [0] * n_inquiries    # hand-offs per inquiry
        self.staff_time = 0.0


def _visit(env, resource, patience: float, service: float, log: _Log, k: int, i: int):
    """Queue at desk ``k`` for at most ``patience``; be served. Returns whether served."""
    with resource.request() as req:
        if req.triggered:  # a free member of staff: served at once, nothing to wait for
            log.waits[k].append(0.0)
        else:
            queued = env.now
            yield (req if math.isinf(patience) else req | env.timeout(patience))
            waited = env.now - queued
            log.waits[k].append(waited)
            log.wait[i] += waited
            if not req.triggered:
                return False
        yield env.timeout(service)
        log.staff_time += service
    return True


def _step(env, i, s, k, delay, desks, resources, params, draws, log):
    """Step ``s`` (desk ``k``) of inquiry ``i``, reached after a hand-off ``delay``.

    The hand-off is waiting too: it uses up the patience of the first visit. Returns the
    inquiry's final action index if it ends here, else 0.
    """
    log.arrivals[k] += 1
    patience = draws.patience[i][s][0]
    if delay >= patience:
        yield env.timeout(patience)
        log.wait[i] += patience
        log.abandoned[k] += 1
        return 3 if draws.escalate[i] < params.escalation else 2
    if delay > 0:
        yield env.timeout(delay)
        log.wait[i] += delay
    for loop in range(params.max_more_info + 1):
        patience = draws.patience[i][s][loop] - (delay if loop == 0 else 0.0)
        if not (yield from _visit(env, resources[k], patience, draws.service[i][s][loop],
                                  log, k, i)):
            log.abandoned[k] += 1
            return 3 if draws.escalate[i] < params.escalation else 2
        if draws.more_info[i][s][loop] >= desks[k].more_info:
            log.passed[k] += 1
            return 0
    return 1


def _inquiry(env, i, route, desks, resources, params, draws, log):
    """SimPy process of inquiry ``i``: walk the route (a list of desk indices); record its
    final action and time."""
    start, action, delay, last = env.now, 0, 0.0, len(route) - 1
    for s, k in enumerate(route):
        action = yield from _step(env, i, s, k, delay, desks, resources, params, draws, log)
        if action:
            break
        if s < last:
            log.handoffs[k] += 1
            log.passes[i] += 1
            delay = desks[k].handoff_delay * draws.handoff[i][s]
    log.action[i], log.time[i] = action, env.now - start


def _source(env, route, desks, resources, params, draws, log, warm, measured: range):
    """Arrivals: inquiries ``measured`` are the sample, tallied in ``log``; those before
    load the queues and those after keep them loaded while the sample finishes (both
    tallied in ``warm``, not measured)."""
    for i, t in enumerate(draws.arrival):
        yield env.timeout(t - env.now)
        env.process(_inquiry(env, i, route, desks, resources, params, draws,
                             log if i in measured else warm))


def _rate(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def _stats(params: JourneyParams, log: _Log, measured: range) -> JourneyStats:
    sample = slice(measured.start, measured.stop)
    action = np.asarray(log.action[sample], dtype=np.int64)
    wait = np.asarray(log.wait[sample], dtype=np.float64)
    n = action.size
    arrivals = np.asarray(log.arrivals, dtype=np.int64)
    waits = [np.asarray(w, dtype=np.float64) for w in log.waits]
    mean_wait = np.array([w.mean() if w.size else np.nan for w in waits])
    p90 = np.array([np.quantile(w, 0.9) if w.size else np.nan for w in waits])
    actions = np.bincount(action, minlength=len(FINAL_ACTIONS))
    return JourneyStats(
        touchpoint=params.names, arrivals=arrivals,
        visits=np.array([w.size for w in waits]), mean_wait=mean_wait, p90_wait=p90,
        handoffs=np.asarray(log.handoffs, dtype=np.int64),
        completion_rate=_rate(np.asarray(log.passed), arrivals),
        abandonment_rate=_rate(np.asarray(log.abandoned), arrivals), n_inquiries=n,
        final_actions=actions, completion=float(actions[0] / n) if n else math.nan,
        mean_time_in_journey=float(np.mean(log.time[sample])) if n else math.nan,
        staff_time=float(log.staff_time),
        cost_to_serve=float(log.staff_time * params.staff_cost / n) if n else math.nan,
        inquiry_action=action, inquiry_wait=wait,
        inquiry_handoffs=np.asarray(log.passes[sample], dtype=np.int64))


def simulate_journey(params: JourneyParams, arrival_rate: float, rng: np.random.Generator,
                     horizon: float = math.inf) -> JourneyStats:
    """Simulate one period's sample of inquiries through the journey.

    Parameters
    ----------
    params : JourneyParams
    arrival_rate : float
        Poisson arrival rate of inquiries, per time unit of the service times, > 0.
        Scale the period's demand into it: load rises with demand.
    rng : numpy.random.Generator
        The only source of randomness (e.g. the model's ``journey`` stream).
    horizon : float
        Arrivals stop at ``horizon`` or after the warm-up (:meth:`JourneyParams.warmup_at`)
        and ``params.sample_size`` inquiries, whichever comes first; queues then drain
        (every inquiry reaches a final action). Only inquiries after the warm-up are
        measured.

    Returns
    -------
    JourneyStats
    """
    check_positive("arrival_rate", arrival_rate)
    route = params.route()
    warmup = params.warmup_at(arrival_rate)
    # a saturated journey keeps its arrivals coming while the sample finishes (the sample's
    # later visits queue behind inquiries that arrived after it); one that keeps up does not
    # need to, its later visits barely queue
    cooldown = warmup if warmup > params.warmup else 0
    draws = _draw(params, route, arrival_rate, horizon, rng,
                  warmup + params.sample_size + cooldown)
    arrived = len(draws.arrival)
    measured = range(min(warmup, arrived), min(warmup + params.sample_size, arrived))
    desks = params.touchpoints + (params.transfer,)
    env = simpy.Environment()
    resources = [simpy.Resource(env, capacity=d.capacity) for d in desks]
    log = _Log(len(desks), len(draws.arrival))
    warm = _Log(len(desks), len(draws.arrival))
    env.process(_source(env, route.tolist(), desks, resources, params, draws, log, warm,
                        measured))
    env.run()
    return _stats(params, log, measured)
