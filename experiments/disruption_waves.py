"""Claim 10: disruption waves — does leading pay, do followers recover, does clinging fail?

A technology frontier steps up in waves; customers judge every offer's convenience
against it, and a firm's innovation policy sets how much of the frontier its offers
carry (lead: as it moves; follow: ``lag`` periods later, cheaper; cling: never).
Firm a's policy is the arm; rival b leads and rival c follows; the ``calm`` arm is the
same market without waves, the paired counterfactual (common random numbers). Each
market (default, herding) runs at a low and a high adoption cost and with an
epsilon-perturbed initial condition (conditions ``<market>_<role>``).

Everything is read from the runs: the onsets from ``technology_frontier`` and the
firms' catch-up from ``investment`` (so every firm must pay some adoption cost). Per
wave k, the *disruptive spell* D_k runs from the onset until the rival follower has
adopted; the *stable spell* S_k from then to the next onset; the *recovery window* L_k
is the part of S_k after every policy's adoption. Divergence is measured two ways: the
ensemble spread (across-replicate sd of firm shares) against the calm ensemble's, and
the distance between each run and its epsilon-perturbed twin, against the calm twins'.
Run::

    python experiments/disruption_waves.py [replicates=5 population.n_customers=5000]
"""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from scenarios.study import fmt, mean_ci, paired_ci, verdict
from scenarios.study_cli import main

NAME = "disruption_waves"
FIRM = "a"
CALM = "calm"      # the arm without waves
ROLES = ("cheap", "costly", "eps")
PRE = 10           # the pre-wave window: the periods just before the first onset
TAIL = 3           # periods at each end of a disruptive spell for the twins' growth
SMOOTH = 5         # trailing periods of share averaged to name the market leader
RECOVERED = 0.5    # "recovers": regains more than this fraction of its disruptive-spell loss
BOOT = 2000        # bootstrap resamples of replicates for the ensemble spread


def ci(x) -> tuple[float, float, float]:
    return mean_ci(np.asarray(x))


# -- the design, read from the runs -----------------------------------------------------


def markets(ds: xr.Dataset) -> dict[str, dict[str, str]]:
    """``{market: {role: condition}}`` from condition names ``<market>_<role>``."""
    out: dict[str, dict[str, str]] = {}
    for c in map(str, ds["condition"].values):
        market, _, role = c.rpartition("_")
        if role not in ROLES or not market:
            raise ValueError(f"condition {c!r}: name it <market>_<role>, role in {ROLES}")
        out.setdefault(market, {})[role] = c
    missing = [m for m, r in out.items() if "cheap" not in r]
    if missing or CALM not in ds["arm"].values:
        raise ValueError(f"every market needs a _cheap condition ({missing}) and the study "
                         f"a {CALM!r} arm")
    return out


def policies(ds: xr.Dataset) -> list[str]:
    return [str(a) for a in ds["arm"].values if a != CALM]


@dataclasses.dataclass(frozen=True)
class Waves:
    """The study's windows (slices of period indices), one entry per wave."""

    onsets: tuple[int, ...]
    disruptive: tuple[slice, ...]   # D_k: onset .. the rival follower's adoption
    stable: tuple[slice, ...]       # S_k: after D_k .. the next onset
    recovery: tuple[slice, ...]     # L_k: after every policy's adoption .. the next onset
    pre: slice


def _last(flags: np.ndarray, span: slice) -> int | None:
    hit = np.flatnonzero(flags[span])
    return None if hit.size == 0 else span.start + int(hit[-1])


def windows(ds: xr.Dataset) -> Waves:
    """Onsets and spells from ``technology_frontier`` and ``investment``.

    Raises
    ------
    ValueError
        No waves, arms with different frontiers, or no rival adoption visible (a
        rival with ``adoption_cost`` 0 books no investment).
    """
    front = ds["technology_frontier"].max(["condition", "replicate"])
    moving = (front.max("period") > 0).values
    if not moving.any():
        raise ValueError("no arm has disruption waves")
    paths = front.values[moving]
    if not np.allclose(paths, paths[0]):
        raise ValueError("the wave arms have different frontiers")
    rise = np.diff(paths[0], prepend=0.0) > 0
    onsets = tuple(int(t) for t in np.flatnonzero(rise & ~np.r_[False, rise[:-1]]))
    invest = ds["investment"] > 0
    rivals = [f for f in map(str, ds["firm"].values) if f != FIRM]
    rival = invest.sel(firm=rivals).any(["condition", "arm", "replicate", "firm"]).values
    anyone = invest.any(["condition", "arm", "replicate", "firm"]).values
    bounds = [*onsets, ds.sizes["period"]]
    dis, sta, rec = [], [], []
    for k, start in enumerate(onsets):
        span = slice(start, bounds[k + 1])
        end = _last(rival, span)
        if end is None:
            raise ValueError(f"wave at period {start}: no rival investment; give the rivals "
                             "an adoption_cost > 0 so their catch-up is visible")
        dis.append(slice(start, end + 1))
        sta.append(slice(end + 1, span.stop))
        rec.append(slice(max(end, _last(anyone, span)) + 1, span.stop))
    return Waves(onsets, tuple(dis), tuple(sta), tuple(rec),
                 slice(max(0, onsets[0] - PRE), onsets[0]))


def _span(s: slice, period: np.ndarray) -> str:
    return "–" if s.stop <= s.start else f"{period[s.start]}–{period[s.stop - 1]}"


# -- outcomes for firm a -----------------------------------------------------------------


def window_share(ds: xr.Dataset, s: slice, firm: str = FIRM) -> xr.DataArray:
    """Mean share of purchases of ``firm`` over periods ``s`` per condition, arm, replicate."""
    return ds["share"].sel(firm=firm).isel(period=s).mean("period")


def outcomes(ds: xr.Dataset, w: Waves) -> dict[str, xr.DataArray]:
    """Firm a's outcomes per condition, arm and replicate."""
    profit = ds["profit"].sel(firm=FIRM)
    final = w.recovery[-1] if w.recovery[-1].stop > w.recovery[-1].start else w.stable[-1]
    out = {"share pre": window_share(ds, w.pre)}
    for k, (d, r) in enumerate(zip(w.disruptive, w.recovery, strict=True), 1):
        out[f"share D{k}"] = window_share(ds, d)
        out[f"share L{k}"] = window_share(ds, r)
    out["share from onset"] = window_share(ds, slice(w.onsets[0], ds.sizes["period"]))
    out["cumulative profit"] = profit.sum("period")
    out["investment"] = ds["investment"].sel(firm=FIRM).sum("period")
    out["final profit"] = profit.isel(period=final).mean("period")
    out["viable"] = (out["final profit"] > 0).astype(float)
    out["insiders at end"] = ds["customers"].sel(firm=FIRM, state="insider").isel(period=-1)
    return out


def vs_calm(v: xr.DataArray, condition: str) -> xr.DataArray:
    """``v`` minus the calm arm's in the same condition and replicate (paired)."""
    return v.sel(condition=condition) - v.sel(condition=condition, arm=CALM)


def recovery(out: dict[str, xr.DataArray], w: Waves, condition: str) -> dict[str, xr.DataArray]:
    """Share lost against the calm arm in each D_k and L_k, and the fraction regained.

    ``regained = 1 - sum_k loss(L_k) / sum_k loss(D_k)`` per arm and replicate.
    """
    res: dict[str, xr.DataArray] = {}
    for k in range(1, len(w.onsets) + 1):
        for x in ("D", "L"):
            res[f"loss {x}{k}"] = -vs_calm(out[f"share {x}{k}"], condition)
    lost = {x: sum(res[f"loss {x}{k}"] for k in range(1, len(w.onsets) + 1))
            for x in ("D", "L")}
    res["regained"] = 1 - lost["L"] / lost["D"]
    res["lost D"] = lost["D"]
    res["insiders"] = vs_calm(out["insiders at end"], condition)
    return res


def break_even(out: dict[str, xr.DataArray], cost: float, cheap: str, arm: str,
               against: str) -> np.ndarray:
    """Adoption cost per unit of level at which ``arm`` and ``against`` earn the same.

    Cumulative profit is gross profit minus ``cost * units`` adopted (units = investment /
    cost, the same in every replicate), so per replicate the break-even cost is
    ``(gross_arm - gross_against) / (units_arm - units_against)``.
    """
    v = {a: out["cumulative profit"].sel(condition=cheap, arm=a) for a in (arm, against)}
    units = {a: out["investment"].sel(condition=cheap, arm=a) / cost for a in (arm, against)}
    gross = {a: v[a] + cost * units[a] for a in (arm, against)}
    return ((gross[arm] - gross[against]) / (units[arm] - units[against])).values


def leaders(ds: xr.Dataset, condition: str) -> tuple[xr.DataArray, xr.DataArray]:
    """Leader changes over the run and the period of the first, per arm and replicate.

    The leader is the firm with the highest share averaged over the trailing ``SMOOTH``
    periods (so one noisy period does not name a new leader); NaN if it never changes.
    """
    share = ds["share"].sel(condition=condition).rolling(period=SMOOTH, min_periods=1).mean()
    top = share.argmax("firm")
    changed = top.diff("period") != 0
    first = changed.argmax("period").astype(float) + 1
    return changed.sum("period"), first.where(changed.any("period"))


# -- divergence ----------------------------------------------------------------------------


def spread(share: np.ndarray) -> np.ndarray:
    """Ensemble spread: across-replicate sd of each firm's share, mean over firms.

    ``share`` has shape (..., replicate, period, firm); returns shape (..., period).
    """
    return share.std(axis=-3, ddof=1).mean(axis=-1)


def excess_spread(ds: xr.Dataset, condition: str, arms: list[str], spans: list[slice],
                  rng: np.random.Generator) -> tuple[float, float, float]:
    """Mean over ``arms`` and the periods of ``spans`` of spread(arm) - spread(calm).

    With a bootstrap 95% interval: replicates are resampled jointly for every arm and
    the calm arm (they are paired by common random numbers).
    """
    idx = np.concatenate([np.arange(s.start, s.stop) for s in spans])
    x = ds["share"].sel(condition=condition, arm=[*arms, CALM]).isel(period=idx)
    x = x.transpose("arm", "replicate", "period", "firm").values

    def stat(d):  # d: replicate indices, shape (draw, replicate)
        s = spread(x[:, d])                           # (arm, draw, period)
        return (s[:-1] - s[-1]).mean(axis=(0, -1))

    n = x.shape[1]
    draws = rng.integers(0, n, size=(BOOT, n))
    boot = np.concatenate([stat(draws[i:i + 200]) for i in range(0, BOOT, 200)])
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return float(stat(np.arange(n)[None])[0]), float(lo), float(hi)


def sampling_floor(ds: xr.Dataset, condition: str, customer_weight: float) -> xr.DataArray:
    """The spread that sampling noise alone gives the calm arm, per period.

    A share estimated from N simulated purchases has sd sqrt(s (1 - s) / N)
    (multinomial); averaged over firms like :func:`spread`, with the ensemble's mean
    shares and purchases. ``customer_weight``: real customers per simulated one.
    """
    x = ds.sel(condition=condition, arm=CALM)
    s = x["share"].mean("replicate")
    n = x["firm_units"].sum("firm").mean("replicate") / customer_weight
    return np.sqrt(s * (1 - s) / n).mean("firm")


def twin_distance(ds: xr.Dataset, condition: str, eps: str) -> xr.DataArray:
    """Total-variation distance between each run's share vector and its perturbed twin's."""
    diff = ds["share"].sel(condition=eps) - ds["share"].sel(condition=condition)
    return 0.5 * abs(diff).sum("firm")


def twin_growth(dist: xr.DataArray, d: slice) -> xr.DataArray:
    """Growth of the twin distance over spell ``d``: its last TAIL periods minus the TAIL
    periods before it."""
    before = dist.isel(period=slice(max(0, d.start - TAIL), d.start)).mean("period")
    after = dist.isel(period=slice(max(d.start, d.stop - TAIL), d.stop)).mean("period")
    return after - before


# -- tables ------------------------------------------------------------------------------------


def _row(label: str, cells) -> str:
    return f"| {label} | " + " | ".join(cells) + " |"


def _head(*cols: str) -> list[str]:
    return ["| " + " | ".join(cols) + " |", "|---" * len(cols) + "|"]


def adoption_costs(params) -> dict[str, float]:
    """Firm a's adoption cost per condition, from the study's overrides (0 if unset)."""
    key = f"firms.{FIRM}.innovation.adoption_cost"
    out = {}
    for c, over in params.conditions.items():
        pairs = dict(o.partition("=")[::2] for o in (*params.base, *over))
        out[c] = float(pairs.get(key, 0.0))
    return out


def share_tables(out, w: Waves, cheap: str, arms: list[str]) -> list[str]:
    """Firm a's share per window and arm, and paired differences against calm."""
    n = len(w.onsets)
    keys = ["share pre"] + [f"share {x}{k}" for k in range(1, n + 1) for x in ("D", "L")]
    cols = [k[6:] for k in keys]
    lines = ["Firm a's share of purchases per window (mean [95% CI]):\n",
             *_head("arm", *cols)]
    for a in [CALM, *arms]:
        lines.append(_row(a, [fmt(*ci(out[k].sel(condition=cheap, arm=a)), digits=3)
                              for k in keys]))
    lines += ["\nPaired difference against the calm arm (same replicate, no waves):\n",
              *_head("arm", *cols)]
    for a in arms:
        lines.append(_row(a, [fmt(*ci(vs_calm(out[k], cheap).sel(arm=a)), digits=3)
                              for k in keys]))
    return lines


def profit_table(out, m: dict[str, str], arms: list[str], costs) -> list[str]:
    conds = [m[r] for r in ("cheap", "costly") if r in m]
    lines = ["\nFirm a's profit (adoption investment included). *Final profit*: mean profit "
             "per period in the last recovery window (after every adoption); *viable*: final "
             "profit > 0; *solvent*: cumulative profit > 0:\n",
             *_head("arm", *[f"cumulative profit, cost {costs[c]:,.0f}" for c in conds],
                    "final profit per period", "viable",
                    *[f"solvent, cost {costs[c]:,.0f}" for c in conds])]
    for a in [CALM, *arms]:
        cum = [out["cumulative profit"].sel(condition=c, arm=a) for c in conds]
        cells = [fmt(*ci(x)) for x in cum]
        cells.append(fmt(*ci(out["final profit"].sel(condition=conds[0], arm=a))))
        cells.append(f"{float(out['viable'].sel(condition=conds[0], arm=a).mean()):.0%}")
        cells += [f"{float((x > 0).mean()):.0%}" for x in cum]
        lines.append(_row(a, cells))
    return lines


PAIRS = (("lead", "follow"), ("follow", "cling"), ("lead", "cling"), ("follow", "slow_follow"))


def break_evens(out, cheap: str, cost: float, arms: list[str]) -> dict[tuple, tuple]:
    return {(a, b): ci(break_even(out, cost, cheap, a, b)) for a, b in PAIRS
            if a in arms and b in arms}


def break_even_lines(be: dict) -> list[str]:
    return ["\nBreak-even adoption cost per unit of level (where the two policies earn the "
            "same cumulative profit; below it the first earns more):\n",
            *_head("policies", "break-even cost [95% CI]"),
            *[_row(f"{a} vs {b}", [fmt(*x)]) for (a, b), x in be.items()]]


def recovery_lines(rec, w: Waves, arms: list[str]) -> list[str]:
    keys = [f"loss {x}{k}" for k in range(1, len(w.onsets) + 1) for x in ("D", "L")]
    lines = ["\nShare lost against the calm arm in each disruptive spell (D) and recovery "
             "window (L), the fraction of the D losses regained by the L windows "
             "(1 − ΣL/ΣD), and insiders (customers in a's inner circle) at the end against "
             "the calm arm:\n",
             *_head("arm", *[k[5:] for k in keys], "regained", "insiders at end vs calm")]
    for a in arms:
        if a != "lead":
            lines.append(_row(a, [fmt(*ci(rec[k].sel(arm=a)), digits=3) for k in keys]
                              + [fmt(*ci(rec["regained"].sel(arm=a)), digits=2),
                                 fmt(*ci(rec["insiders"].sel(arm=a)))]))
    return lines


def window_leaders(ds: xr.Dataset, w: Waves, condition: str) -> tuple[list[str], xr.DataArray]:
    """The top-share firm in each window (pre, D1, S1, D2, ...) per arm and replicate."""
    names = ["pre"] + [f"{x}{k}" for k in range(1, len(w.onsets) + 1) for x in ("D", "S")]
    spans = [w.pre] + [s for pair in zip(w.disruptive, w.stable, strict=True) for s in pair]
    share = ds["share"].sel(condition=condition)
    top = xr.concat([share.isel(period=s).mean("period").argmax("firm") for s in spans],
                    dim="window")
    return names, top


def leader_lines(ds, w: Waves, cheap: str, arms: list[str]) -> list[str]:
    changes, first = leaders(ds, cheap)
    lines = [f"\nLeader turnover (leader: top share over the trailing {SMOOTH} periods): "
             "changes of leader over the run and the period of the first change (mean "
             "[95% CI]; sd across replicates), and the leader in each window (the firm with "
             "the top mean share in most replicates, and in how many):\n"]
    names, top = window_leaders(ds, w, cheap)
    firms = ds["firm"].values.astype(str)
    lines += _head("arm", "leader changes", "vs calm (paired)", "first change",
                   "vs calm (paired)", "sd of first change", *names)
    for a in [CALM, *arms]:
        f = first.sel(arm=a).values
        shift = (first.sel(arm=a) - first.sel(arm=CALM)).values
        modal = [np.bincount(t, minlength=firms.size) for t in top.sel(arm=a).values]
        lines.append(_row(a, [
            fmt(*ci(changes.sel(arm=a)), digits=2),
            "" if a == CALM else fmt(*ci(changes.sel(arm=a) - changes.sel(arm=CALM)), digits=2),
            fmt(*ci(f[np.isfinite(f)]), digits=1) if np.isfinite(f).any() else "never",
            "" if a == CALM or not np.isfinite(shift).all() else fmt(*ci(shift), digits=1),
            f"{np.nanstd(f, ddof=1):.1f}" if np.isfinite(f).sum() > 1 else "–",
            *[f"{firms[c.argmax()]} ({c.max()}/{c.sum()})" for c in modal]]))
    return lines


# -- divergence summaries ----------------------------------------------------------------


def _peak(v: xr.DataArray) -> tuple[float, int]:
    """Maximum of a path over periods, and its period."""
    k = int(np.argmax(v.values))
    return float(v.values[k]), int(v["period"].values[k])


def divergence(ds, w: Waves, m: dict[str, str], arms: list[str], rng) -> dict:
    """Excess ensemble spread over calm and twin-distance growth, in percentage points.

    Returns ``{"D"|"S": {arm|"all": [per wave..., pooled]}, "horizon": {arm|"all": x},
    "twin": {row: [per wave..., pooled]}, "peaks": {...}}``, each entry (mean, lo, hi).
    """
    res: dict = {"D": {}, "S": {}, "horizon": {}, "twin": {}, "peaks": {}}
    after = [slice(w.onsets[0], ds.sizes["period"])]
    for key, g in [*[(a, [a]) for a in arms], ("all", arms)]:
        for spell, spans in (("D", w.disruptive), ("S", w.stable)):
            per = [excess_spread(ds, m["cheap"], g, [s], rng) for s in spans]
            per.append(excess_spread(ds, m["cheap"], g, list(spans), rng))
            res[spell][key] = [tuple(100 * v for v in x) for x in per]
        res["horizon"][key] = tuple(100 * v for v in excess_spread(ds, m["cheap"], g, after,
                                                                    rng))
    x = ds["share"].sel(condition=m["cheap"]).transpose("arm", "replicate", "period", "firm")
    s = xr.DataArray(100 * spread(x.values), dims=("arm", "period"),
                     coords={"arm": x["arm"], "period": x["period"]})
    for key, v in ((CALM, s.sel(arm=CALM)), ("all", s.sel(arm=arms).mean("arm"))):
        res["peaks"][f"spread {key}"] = _peak(v)
    res["calm spread"] = float(s.sel(arm=CALM).isel(period=after[0]).mean())
    if "eps" not in m:
        return res
    dist = 100 * twin_distance(ds, m["cheap"], m["eps"])
    growth = {a: [twin_growth(dist.sel(arm=a), d) for d in w.disruptive] for a in
              [CALM, *arms]}
    rows = {CALM: growth[CALM], **{a: growth[a] for a in arms},
            "all": [sum(growth[a][k] for a in arms) / len(arms) for k in range(len(w.onsets))]}
    rows["all − calm"] = [rows["all"][k] - growth[CALM][k] for k in range(len(w.onsets))]
    res["twin"] = {r: [ci(x) for x in (*v, sum(v) / len(v))] for r, v in rows.items()}
    for key, v in ((CALM, dist.sel(arm=CALM)), ("all", dist.sel(arm=arms).mean("arm"))):
        v = v.mean("replicate")
        res["peaks"][f"twins {key}"] = _peak(v)
        res["peaks"][f"twins {key} ends"] = (float(v.isel(period=slice(0, TAIL)).mean()),
                                             float(v.isel(period=w.pre).mean()),
                                             float(v.isel(period=slice(-PRE, None)).mean()))
    return res


def divergence_lines(div, w: Waves, arms: list[str], floor: float) -> list[str]:
    waves = [f"wave {k}" for k in range(1, len(w.onsets) + 1)] + ["all waves"]
    p = div["peaks"]
    lines = ["\nEnsemble spread (across-replicate sd of the firms' shares, mean over firms, "
             "percentage points): excess over the calm arm's spread in the same periods, mean "
             "[bootstrap 95% CI], in the disruptive spells (D), the stable spells (S) and "
             "from the first onset to the end:\n",
             *_head("arm", *[f"D, {x}" for x in waves], *[f"S, {x}" for x in waves],
                    "from onset")]
    for a in [*arms, "all"]:
        lines.append(_row("all arms" if a == "all" else a,
                          [fmt(*x, digits=3) for x in div["D"][a] + div["S"][a]]
                          + [fmt(*div["horizon"][a], digits=3)]))
    lines.append(f"\nPeak spread: calm arm {p[f'spread {CALM}'][0]:.2f} pp (period "
                 f"{p[f'spread {CALM}'][1]}), policy arms {p['spread all'][0]:.2f} pp (period "
                 f"{p['spread all'][1]})"
                 + f"; sampling noise alone (multinomial sd of a share from the simulated "
                 f"purchases, calm arm) averages {floor:.2f} pp from the first onset.")
    if div["twin"]:
        a0, a1, a2 = p[f"twins {CALM} ends"]
        b0, b1, b2 = p["twins all ends"]
        lines += [f"\nEpsilon twins (firm a's initial awareness 0.61 instead of 0.60, same "
                  f"replicate): total-variation distance between the twins' share vectors, "
                  f"pp. Calm arm: {a0:.3f} in the first {TAIL} periods, {a1:.3f} before the "
                  f"first onset, {a2:.3f} in the last {PRE} (peak {p[f'twins {CALM}'][0]:.3f} "
                  f"at period {p[f'twins {CALM}'][1]}); policy arms: {b0:.3f}, {b1:.3f}, "
                  f"{b2:.3f} (peak {p['twins all'][0]:.3f} at period {p['twins all'][1]}). "
                  f"Change of the distance across each disruptive spell (mean of its last "
                  f"{TAIL} periods minus the {TAIL} before the onset; the calm arm over the "
                  f"same periods):\n", *_head("arm", *waves)]
        for r, v in div["twin"].items():
            lines.append(_row("all arms" if r == "all" else r,
                              [fmt(*x, digits=3) for x in v]))
    return lines


# -- verdicts --------------------------------------------------------------------------------


def verdicts(out, m, rec, div) -> list[tuple[str, str, tuple, str]]:
    """(part of the claim, test, (mean, low, high), verdict) for one market."""
    cheap = m["cheap"]

    def diff(key, a, b, cond=cheap):
        v = out[key].sel(condition=cond)
        return paired_ci(v.sel(arm=a).values, v.sel(arm=b).values)

    rows = []
    for b in ("follow", "cling"):
        x = diff("share from onset", "lead", b)
        rows.append((f"lead has higher share than {b}",
                     f"share from the first onset, lead − {b}", x, verdict(x[1], x[2])))
    for b in ("follow", "cling"):
        x = diff("viable", "lead", b)
        rows.append((f"lead has higher survival than {b}",
                     f"viable at the end (0/1), lead − {b}", x, verdict(x[1], x[2])))
    for role in ("cheap", "costly"):
        if role in m:
            x = diff("cumulative profit", "lead", "follow", m[role])
            rows.append(("lead earns more than follow", f"cumulative profit, lead − follow, "
                         f"{role} adoption", x, verdict(x[1], x[2])))
    for a in ("follow", "slow_follow"):
        x = ci(rec["regained"].sel(arm=a))
        rows.append((f"{a} recovers on the next wave", f"fraction of its disruptive-spell "
                     f"share loss regained by the next onset, vs {RECOVERED:.0%}", x,
                     verdict(x[1] - RECOVERED, x[2] - RECOVERED)))
    x = ci(out["final profit"].sel(condition=cheap, arm="cling"))
    rows.append(("cling fails", "cling's final profit per period (< 0: not viable)", x,
                 verdict(x[1], x[2], holds_if_positive=False)))
    x = diff("final profit", "cling", CALM)
    rows.append(("cling fails", "cling's final profit − the calm arm's", x,
                 verdict(x[1], x[2], holds_if_positive=False)))
    for role in ("cheap", "costly"):
        if role in m:
            x = diff("cumulative profit", "follow", "cling", m[role])
            rows.append(("cling fails", f"cumulative profit, follow − cling, {role} adoption",
                         x, verdict(x[1], x[2])))
    part = "divergence grows during disruptive periods"
    x = div["D"]["all"][-1]
    rows.append((part, "excess ensemble spread over calm in the disruptive spells (pp)", x,
                 verdict(x[1], x[2])))
    x = div["horizon"]["all"]
    rows.append((part, "excess ensemble spread over calm from the first onset (pp)", x,
                 verdict(x[1], x[2])))
    if div["twin"]:
        x = div["twin"]["all − calm"][-1]
        rows.append((part, "growth of the epsilon twins' distance across the disruptive "
                     "spells, waves − calm (pp)", x, verdict(x[1], x[2])))
    return rows


def _digits(test: str) -> int:
    if "share" in test or "(pp)" in test or "0/1" in test:
        return 3
    return 2 if "fraction" in test else 0


def verdict_table(rows_by_market: dict[str, list]) -> list[str]:
    """One row per (part, test); a market without that test shows a dash."""
    names = list(rows_by_market)
    keys = list(dict.fromkeys((p, t) for rows in rows_by_market.values() for p, t, *_ in rows))
    found = {n: {(p, t): (x, word) for p, t, x, word in rows}
             for n, rows in rows_by_market.items()}
    lines = _head("part of the claim", "test", *[f"{n} market" for n in names])
    for part, test in keys:
        cells = [f"{fmt(*found[n][part, test][0], digits=_digits(test))} → "
                 f"**{found[n][part, test][1]}**" if (part, test) in found[n] else "—"
                 for n in names]
        lines.append(_row(part, [test, *cells]))
    return lines


# -- reading -----------------------------------------------------------------------------------


def _mean_over_waves(out, key: str, cheap: str, arm: str, n: int) -> tuple:
    return ci(sum(vs_calm(out[f"share {key}{k}"], cheap).sel(arm=arm)
                  for k in range(1, n + 1)) / n)


def _reading_policies(out, m, rec, be, est, word, ds, n) -> list[str]:
    cheap = m["cheap"]
    calm_profit = float(ds["profit"].sel(condition=cheap, arm=CALM, firm=FIRM).mean())
    viable = {str(a): float(out["viable"].sel(condition=cheap, arm=a).mean())
              for a in out["viable"]["arm"].values}
    lead_d, lead_l = (_mean_over_waves(out, x, cheap, "lead", n) for x in ("D", "L"))
    text = (f"- **Lead.** Firm a's share exceeds the calm arm's by {fmt(*lead_d, digits=3)} on "
            f"average in the disruptive spells, while rival c still lags, and by "
            f"{fmt(*lead_l, digits=3)} in the recovery windows, once everyone has adopted "
            f"({lead_l[0] / lead_d[0]:.0%} of the edge stays). Viable at the end: "
            + ", ".join(f"{a} {v:.0%}" for a, v in viable.items()) + ".")
    if viable[CALM] < 1:
        text += (" Firm a is not always viable here even without waves, so survival hardly "
                 "tells the policies apart in this market.")
    elif viable["lead"] == viable["follow"]:
        text += " Leading and following survive alike; only clinging changes survival."
    lines = [text]
    k0 = ("lead earns more than follow", "cumulative profit, lead − follow, cheap adoption")
    text = (f"- **Leading pays only while adopting is cheap.** Lead − follow cumulative "
            f"profit is {fmt(*est[k0])} at the low cost (**{word[k0]}**)")
    k1 = ("lead earns more than follow", "cumulative profit, lead − follow, costly adoption")
    if k1 in est:
        text += f" and {fmt(*est[k1])} at the high cost (**{word[k1]}**)"
    if ("lead", "follow") in be:
        text += f"; the break-even adoption cost is {fmt(*be['lead', 'follow'])} per unit"
        if calm_profit > 0:
            text += (f", {be['lead', 'follow'][0] / calm_profit:.0f} periods of a's "
                     f"calm-market profit ({calm_profit:,.0f} per period)")
    lines.append(text + ".")
    for a in ("follow", "slow_follow"):
        losses = " → ".join(fmt(*ci(rec[f"loss L{k}"].sel(arm=a)), digits=3)
                            for k in range(1, n + 1))
        key = (f"{a} recovers on the next wave", f"fraction of its disruptive-spell share "
               f"loss regained by the next onset, vs {RECOVERED:.0%}")
        lines.append(f"- **{a}** regains {fmt(*est[key], digits=2)} of the share it loses in "
                     f"the disruptive spells (summed over the waves: "
                     f"{fmt(*ci(rec['lost D'].sel(arm=a)), digits=3)}) by the next onset "
                     f"(**{word[key]}**); its share "
                     f"loss against calm in the recovery windows goes {losses} over the waves, "
                     f"and it ends with {fmt(*ci(rec['insiders'].sel(arm=a)))} insiders "
                     f"against the calm arm.")
    return lines


def _reading_cling(rec, be, est, word, ds, n) -> list[str]:
    key = ("cling fails", "cling's final profit per period (< 0: not viable)")
    key2 = ("cling fails", "cling's final profit − the calm arm's")
    losses = " → ".join(fmt(*ci(rec[f"loss L{k}"].sel(arm="cling")), digits=3)
                        for k in range(1, n + 1))
    lines = [f"- **Cling.** Its share loss against calm in the recovery windows goes {losses} "
             f"over the waves (it ends with {fmt(*ci(rec['insiders'].sel(arm='cling')))} "
             f"insiders against calm) and its final profit is {fmt(*est[key])} per period "
             f"(not viable: **{word[key]}**), {fmt(*est[key2])} against the calm arm "
             f"(**{word[key2]}**)."]
    keyx = ("cling fails", "cumulative profit, follow − cling, costly adoption")
    if keyx in est and ("follow", "cling") in be:
        lines[0] += (f" Over the {ds.sizes['period']}-period horizon, follow − cling "
                     f"cumulative profit is {fmt(*est[keyx])} at the high adoption cost "
                     f"(**{word[keyx]}**): clinging out-earns following over the horizon "
                     f"whenever adopting costs more than {fmt(*be['follow', 'cling'])} per "
                     f"unit, although it ends unviable.")
    return lines


def _reading_leaders(ds, w: Waves, cheap: str) -> list[str]:
    changes, first = leaders(ds, cheap)
    names, top = window_leaders(ds, w, cheap)
    firms = ds["firm"].values.astype(str)

    def seq(arm):
        modal = [firms[np.bincount(t, minlength=firms.size).argmax()]
                 for t in top.sel(arm=arm).values]
        return " · ".join(f"{n} {f}" for n, f in zip(names, modal, strict=True))

    arms = policies(ds)
    shift = ci((first.sel(arm=arms) - first.sel(arm=CALM)).mean("arm"))
    more = ci((changes.sel(arm=arms) - changes.sel(arm=CALM)).mean("arm"))
    focus = "follow" if "follow" in arms else arms[0]
    sd = {a: float(np.nanstd(first.sel(arm=a).values, ddof=1)) for a in [CALM, *arms]}
    return [f"- **Leader turnover.** The waves change the number of leader changes by "
            f"{fmt(*more, digits=2)} (mean over policies, paired) and move the first change "
            f"by {fmt(*shift, digits=1)} periods; its sd across replicates is "
            f"{sd[CALM]:.1f} periods without waves and "
            + ", ".join(f"{sd[a]:.1f} ({a})" for a in arms)
            + f" with them. Leader by window, calm: {seq(CALM)}; a {focus}s: {seq(focus)}."]


def _reading_divergence(div, w: Waves, est, word, floor) -> list[str]:
    part = "divergence grows during disruptive periods"
    kd = (part, "excess ensemble spread over calm in the disruptive spells (pp)")
    kh = (part, "excess ensemble spread over calm from the first onset (pp)")
    p = div["peaks"]
    text = (f"- **Divergence.** The ensemble spread exceeds the calm arm's by "
            f"{fmt(*est[kd], digits=3)} pp in the disruptive spells (**{word[kd]}**) and by "
            f"{fmt(*est[kh], digits=3)} pp from the first onset (**{word[kh]}**); the calm "
            f"arm's spread averages {div['calm spread']:.2f} pp and peaks at "
            f"{p[f'spread {CALM}'][0]:.2f} pp (period {p[f'spread {CALM}'][1]}), the waves "
            f"arms' at {p['spread all'][0]:.2f} pp (period {p['spread all'][1]}).")
    ratio = div["calm spread"] / floor
    text += (f" Sampling noise alone (the multinomial sd of shares from the simulated "
             f"purchases) gives {floor:.2f} pp: the calm spread is {ratio:.2f} times that, "
             + ("so replicates differ by Monte Carlo noise, not by diverging paths."
                if ratio < 1.25 else "so replicates' paths do part."))
    if word[kd] == "holds" and word[kh] != "holds":
        text += (" The waves move spread into the disruptive spells rather than add to it "
                 f"(against calm, the stable spells' spread is "
                 f"{fmt(*div['S']['all'][-1], digits=3)} pp).")
    if div["twin"]:
        kt = (part, "growth of the epsilon twins' distance across the disruptive spells, "
                    "waves − calm (pp)")
        a0, a1, a2 = p[f"twins {CALM} ends"]
        text += (f" Epsilon twins (calm arm): their distance goes {a0:.3f} → {a1:.3f} → "
                 f"{a2:.3f} pp (start, before the first onset, last {PRE} periods; peak "
                 f"{p[f'twins {CALM}'][0]:.3f} pp at period {p[f'twins {CALM}'][1]}); across "
                 f"the disruptive spells it grows {fmt(*est[kt], digits=3)} pp more with "
                 f"waves than without (**{word[kt]}**).")
        at = p[f"twins {CALM}"][1]
        inside = [k + 1 for k, d in enumerate(w.disruptive) if d.start <= at < d.stop]
        if at > 0:
            text += (f" Without waves the twins part most at period {at}, "
                     + (f"inside disruptive spell {inside[0]}'s periods." if inside
                        else "outside every disruptive spell."))
    return [text]


def reading(name: str, out, w: Waves, m, rec, div, be, rows, ds, floor) -> list[str]:
    """The market's result in words; every number and direction comes from the runs."""
    word = {(p, t): v for p, t, _, v in rows}
    est = {(p, t): x for p, t, x, _ in rows}
    return [f"\n### Reading: the {name} market\n",
            *_reading_policies(out, m, rec, be, est, word, ds, len(w.onsets)),
            *_reading_cling(rec, be, est, word, ds, len(w.onsets)),
            *_reading_leaders(ds, w, m["cheap"]), *_reading_divergence(div, w, est, word, floor)]


SHORT = (("share from", "share"), ("viable", "viability"), ("fraction", "share regained"),
         ("cumulative profit, lead", "profit"), ("cumulative profit, follow", "profit vs follow"),
         ("cling's final profit per", "final profit"), ("cling's final profit −", "vs calm"),
         ("excess ensemble spread over calm in", "spread in disruptive spells"),
         ("excess ensemble spread over calm from", "spread from onset"),
         ("growth of the epsilon", "twins' distance"))


def _short(test: str) -> str:
    label = next(v for k, v in SHORT if test.startswith(k))
    return label + (f", {test.split(', ')[-1]}" if test.endswith(" adoption") else "")


def in_short(rows_by_market: dict[str, list]) -> list[str]:
    """Per part of the claim, where it holds, fails or is inconclusive (from the verdicts)."""
    parts = list(dict.fromkeys(p for rows in rows_by_market.values() for p, *_ in rows))
    lines = ["\n## In short\n"]
    for part in parts:
        found = [(n, _short(t), v) for n, rows in rows_by_market.items()
                 for p, t, _, v in rows if p == part]
        if all(v == "holds" for *_, v in found):
            lines.append(f"- **{part}**: holds in every market and test.")
            continue
        cells = []
        for v in ("holds", "fails", "inconclusive"):
            where = {n: [t for m, t, x in found if m == n and x == v] for n in rows_by_market}
            where = {n: ts for n, ts in where.items() if ts}
            if where:
                cells.append(f"{v} in " + ", ".join(f"{n} ({'; '.join(ts)})"
                                                    for n, ts in where.items()))
        lines.append(f"- **{part}**: " + "; ".join(cells) + ".")
        moved = [n for n, rows in rows_by_market.items()
                 if {_short(t): v for p, t, _, v in rows if p == part}
                 .get("spread in disruptive spells") == "holds"
                 and {_short(t): v for p, t, _, v in rows if p == part}
                 .get("spread from onset") != "holds"]
        if moved:
            lines[-1] += (f" In the {', '.join(moved)} market the waves raise the spread in "
                          "the disruptive spells but not over the horizon: they move "
                          "divergence in time rather than add to it (see its reading).")
    return lines


SCOPE = """
## What the model cannot express (findings, not fixes)

- **Policies are schedules, not decisions.** A firm's innovation policy is fixed for the run
  and adoption is exogenous (agents/innovation.py): no firm decides to adopt because it is
  losing customers, a clinger cannot change its mind, and a laggard cannot leap to the
  current frontier on the next wave (a follower always adopts the level of `lag` periods
  ago). "Lagging firms catch up on the next wave" is therefore tested only as a follower's
  recovery after a fixed lag; leapfrogging and switching are not expressible.
- **No exit.** A firm whose profit is negative keeps selling, so "survival" is read from
  profit (viable, solvent), not observed as exit; a clinging firm "fails" on paper only.
- **Disruption is one vertical frontier on one existing dimension.** The waves raise the
  bar on convenience; they do not open a new value dimension or market space, bring
  entrants, or speed up the drift of customers' weights (seed M48, M51); those would need
  new engine features.
- **Adoption is visible only through its cost.** The engine records `investment` but not
  the adopted level L_f(t), so the study reads catch-up from investments and needs every
  firm to pay some adoption cost.
"""


# -- the figure ------------------------------------------------------------------------------


def _shade(ax, w: Waves, period: np.ndarray, recovery: bool = False) -> None:
    for k, d in enumerate(w.disruptive):
        ax.axvspan(period[d.start] - 0.5, period[d.stop - 1] + 0.5, color="C3", alpha=0.08,
                   label="disruptive spell" if k == 0 else None)
        r = w.recovery[k]
        if recovery and r.stop > r.start:
            ax.axvspan(period[r.start] - 0.5, period[r.stop - 1] + 0.5, color="C2",
                       alpha=0.08, label="recovery window" if k == 0 else None)
    ax.margins(x=0)


def _policy_panels(ax, ds, m: dict[str, str], arms: list[str]) -> None:
    """Firm a's share, its paired gap to calm and its cumulative profit, per arm."""
    period, share = ds["period"].values, ds["share"].sel(firm=FIRM, condition=m["cheap"])
    ax[0].plot(period, share.sel(arm=CALM).mean("replicate"), "k--", lw=1.2, label=CALM)
    for i, arm in enumerate(arms):
        ax[0].plot(period, share.sel(arm=arm).mean("replicate"), lw=1.4, label=arm)
        ax[1].plot(period, (share.sel(arm=arm) - share.sel(arm=CALM)).mean("replicate"),
                   lw=1.4, label=arm)
        for role, style in (("cheap", "-"), ("costly", ":")):
            if role in m:
                cum = ds["profit"].sel(firm=FIRM, condition=m[role], arm=arm).cumsum("period")
                ax[2].plot(period, cum.mean("replicate") / 1e6, style, lw=1.4, color=f"C{i}",
                           label=arm if role == "cheap" else None)
    ax[0].set(title="default market: firm a's share (mean)", ylabel="share of purchases")
    ax[1].axhline(0, color="k", lw=0.8)
    ax[1].set(title="firm a's share minus the calm arm's (paired mean)",
              ylabel="share difference")
    ax[2].set(title="firm a's cumulative profit (—: cheap, ··: costly adoption)",
              ylabel="millions")


def figure(ds: xr.Dataset, w: Waves, mk: dict, floor: xr.DataArray | None) -> plt.Figure:
    period, arms = ds["period"].values, policies(ds)
    first = next(iter(mk))
    fig, ax = plt.subplots(2, 3, figsize=(17, 9.5), layout="constrained")
    _policy_panels(ax[0], ds, mk[first], arms)
    other = [x for x in mk if x != first]
    if other:
        focus = "follow" if "follow" in arms else arms[0]
        share = ds["share"].sel(condition=mk[other[0]]["cheap"]).mean("replicate")
        for k, f in enumerate(map(str, ds["firm"].values)):
            for arm, style in ((CALM, "--"), (focus, "-")):
                ax[1, 0].plot(period, share.sel(firm=f, arm=arm), style, color=f"C{k}", lw=1.3,
                              label=f"{f}, {arm}")
        ax[1, 0].set(title=f"{other[0]} market: every firm's share, calm vs a {focus}s",
                     ylabel="share of purchases")
    for i, (name, m) in enumerate(mk.items()):
        x = ds["share"].sel(condition=m["cheap"]).transpose("arm", "replicate", "period", "firm")
        s = 100 * spread(x.values)
        pol = [list(x["arm"].values).index(a) for a in arms]
        ax[1, 1].plot(period, s[list(x["arm"].values).index(CALM)], "--", color=f"C{i}",
                      lw=1.2, label=f"{name}, calm")
        ax[1, 1].plot(period, s[pol].mean(0), color=f"C{i}", lw=1.3,
                      label=f"{name}, waves (mean over policies)")
        if "eps" in m:
            dist = 100 * twin_distance(ds, m["cheap"], m["eps"]).mean("replicate")
            ax[1, 2].semilogy(period, dist.sel(arm=CALM), "--", color=f"C{i}", lw=1.2,
                              label=f"{name}, calm")
            ax[1, 2].semilogy(period, dist.sel(arm=arms).mean("arm"), color=f"C{i}", lw=1.3,
                              label=f"{name}, waves")
    if floor is not None:
        ax[1, 1].plot(period, 100 * floor, ":", color="k", lw=1.2,
                      label=f"{first}: sampling noise alone")
    ax[1, 1].set(title="ensemble spread: sd of shares across replicates", ylabel="pp")
    ax[1, 2].set(title="distance between epsilon twins (TV of share vectors, mean)",
                 ylabel="pp")
    for i, j in np.ndindex(2, 3):
        _shade(ax[i, j], w, period, recovery=(i, j) == (0, 1))
        ax[i, j].set_xlabel("period")
        ax[i, j].legend(fontsize="x-small", ncol=2)
    fig.suptitle(f"Disruption waves (onsets {', '.join(map(str, w.onsets))}): firm a's "
                 f"innovation policy; means over {ds.sizes['replicate']} replicates")
    return fig


# -- analysis --------------------------------------------------------------------------------


def design_lines(ds, w: Waves, mk, costs) -> list[str]:
    period = ds["period"].values
    front = ds["technology_frontier"].max(["condition", "arm", "replicate"]).values
    rows = [_row(str(k + 1), [str(period[o]), _span(d, period), _span(s, period),
                              _span(r, period), f"{front[s.stop - 1]:g}"])
            for k, (o, d, s, r) in enumerate(zip(w.onsets, w.disruptive, w.stable,
                                                 w.recovery, strict=True))]
    return [
        "## Design\n",
        f"Markets: {', '.join(mk)}. Arms: firm a's innovation policy "
        f"({', '.join(policies(ds))}) and `{CALM}`, the same market without waves (the "
        f"paired counterfactual). Rival b leads, rival c follows; every firm holds its list "
        f"prices; the economy is steady. Firm a's adoption cost per unit of level: "
        + ", ".join(f"{c} {v:,.0f}" for c, v in costs.items()) + " (rivals pay the same).\n",
        f"Windows (read from the frontier and the firms' investments); pre-wave window "
        f"{_span(w.pre, period)}:\n",
        *_head("wave", "onset", "disruptive spell D (frontier moving, rival c catching up)",
               "stable spell S", "recovery window L (every policy has adopted)",
               "frontier after"),
        *rows,
        "\n*Survival*: the model has no exit, so a firm is *viable* if its profit per period "
        "in the last recovery window is positive (it covers its fixed cost going forward) "
        "and *solvent* if its cumulative profit (adoption investment included) is "
        f"positive. *Recovery*: a policy recovers if, summed over the waves, it regains "
        f"more than {RECOVERED:.0%} of the share it loses against calm in the disruptive "
        f"spells by the recovery windows. *Divergence*: the ensemble spread of each "
        f"policy arm against the calm arm's (the same replicates), and the distance "
        f"between each run and its epsilon twin against the calm twins'.\n",
    ]


def _customer_weight(params) -> float:
    from scenarios.config import build_scenario, load_config

    return build_scenario(load_config(list(params.base))).population.customer_weight


def analyse(ds: xr.Dataset, params) -> tuple[str, plt.Figure]:
    mk, w, arms = markets(ds), windows(ds), policies(ds)
    out, costs = outcomes(ds, w), adoption_costs(params)
    rng = np.random.default_rng(params.seed)
    weight = _customer_weight(params)
    floors = {name: sampling_floor(ds, m["cheap"], weight) for name, m in mk.items()}
    rows, details = {}, []
    for name, m in mk.items():
        after = slice(w.onsets[0], ds.sizes["period"])
        floor = 100 * float(floors[name].isel(period=after).mean())
        rec = recovery(out, w, m["cheap"])
        div = divergence(ds, w, m, arms, rng)
        be = break_evens(out, m["cheap"], costs[m["cheap"]], arms)
        rows[name] = verdicts(out, m, rec, div)
        details += [f"\n## The {name} market\n", *share_tables(out, w, m["cheap"], arms),
                    *profit_table(out, m, arms, costs), *break_even_lines(be),
                    *recovery_lines(rec, w, arms), *leader_lines(ds, w, m["cheap"], arms),
                    *divergence_lines(div, w, arms, floor),
                    *reading(name, out, w, m, rec, div, be, rows[name], ds, floor)]
    body = [*design_lines(ds, w, mk, costs),
            "## Verdicts (mean [95% CI] over replicates; paired by common random numbers)\n",
            *verdict_table(rows), *in_short(rows), *details, SCOPE]
    return "\n".join(body) + "\n", figure(ds, w, mk, floors[next(iter(mk))])


if __name__ == "__main__":
    raise SystemExit(main(NAME, analyse))
