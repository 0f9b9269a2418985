"""Claim 1: downturn polarisation — do mid-priced tiers lose share to low and high tiers?

Every firm holds its list prices; the economy index dips (U-shaped) and customers'
budgets shrink, their price sensitivity rises and wants are deferred (MODEL.md §4).
Two markets (arms): the default three ladders (tier = rung: good/better/best) and
three single-offer firms low/mid/high. Conditions: a grid of downturn depth x budget
heterogeneity (every segment's ``budget_spread``) x incidence of the shock
(``hardship_exponent``: how strongly the hit falls on low budgets), plus a steady
economy (depth 0) per heterogeneity level. The grid values are read from the study
config's overrides.

A tier's share is its units over all units bought in a window. The effect of the
downturn on tier k is ``Δshare_k = share_k(downturn) − share_k(steady)`` over the trough,
paired by replicate (common random numbers: the same customers and draws; the two runs
are identical before the onset, so this is also the pre-to-trough change net of the
market's own drift). The hollowing index is ``H = Δmid − ½(Δlow + Δhigh)`` (seed M39).
Run::

    python experiments/downturn_polarisation.py [replicates=5 population.n_customers=5000]
"""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from scenarios.study import StudyParams, fmt, mean_ci
from scenarios.study_cli import main

NAME = "downturn_polarisation"
TIERS = ("low", "mid", "high")
PRE_PERIODS = 6        # the pre-downturn window: the periods just before the onset
AFTER_PERIODS = 12     # the after-recovery window: the last periods of the horizon
TROUGH = 0.9           # trough: periods where the dip is at least 90% of its full depth


# -- the design, read from the study's own overrides --------------------------------------


def _overrides(params: StudyParams, condition: str) -> dict[str, str]:
    pairs = (o.partition("=") for o in (*params.base, *params.conditions[condition]))
    return {k: v for k, _, v in pairs}


def grid(params: StudyParams) -> dict[str, dict]:
    """Each condition's depth, budget spread and hardship exponent, and its steady baseline.

    Returns
    -------
    dict
        ``{condition: {"depth", "spread", "hardship", "baseline"}}``; ``baseline`` is
        the depth-0 condition with the same budget spread (None for the steady
        conditions themselves); ``hardship`` is None where the condition does not set it.
    """
    cells = {}
    for c in params.conditions:
        o = _overrides(params, c)
        spreads = {float(v) for k, v in o.items() if k.endswith(".budget_spread")}
        if len(spreads) != 1:
            raise ValueError(f"condition {c}: set one budget_spread for every segment")
        depth = float(o.get("economy.depth", "nan"))
        hardship = o.get("population.hardship_exponent")
        cells[c] = {"depth": depth, "spread": spreads.pop(),
                    "hardship": None if hardship is None else float(hardship)}
    for name, cell in cells.items():
        if cell["depth"] > 0 and cell["hardship"] is None:
            raise ValueError(f"condition {name}: set population.hardship_exponent")
        same = [c for c, v in cells.items() if v["depth"] == 0 and v["spread"] == cell["spread"]]
        if cell["depth"] > 0 and len(same) != 1:
            raise ValueError(f"no single steady condition at budget_spread {cell['spread']}")
        cell["baseline"] = same[0] if cell["depth"] > 0 else None
    return cells


def tiers(ds: xr.Dataset) -> xr.DataArray:
    """Tier (0 low, 1 mid, 2 high) of every offer in each arm, NaN where the arm lacks it.

    When an arm's offers sit on three ladder rungs, the tier is the rung (good/better/
    best); otherwise (single-offer firms) it is the price tercile of the offer's list
    price among the arm's offers.
    """
    price = ds["price"].isel(condition=0, replicate=0, period=0)
    out = xr.full_like(price, np.nan, dtype=float)
    for arm in ds["arm"].values:
        p = price.sel(arm=arm).values
        here = np.flatnonzero(np.isfinite(p))
        rung = ds["offer_rung"].values[here]
        if set(rung.tolist()) == {0, 1, 2}:
            tier = rung
        else:
            rank = np.argsort(np.argsort(p[here], kind="stable"), kind="stable")
            tier = (3 * rank) // here.size
        values = np.full(p.shape, np.nan)
        values[here] = tier
        out.loc[{"arm": arm}] = values
    return out.reset_coords(drop=True)


def windows(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Periods of the pre-downturn, trough and after-recovery windows.

    Read from the deepest condition's economy index: the onset is the first period
    below 1; the trough the periods whose dip is at least ``TROUGH`` of the deepest.
    """
    e = ds["economy_index"].isel(arm=0, replicate=0)
    deepest = e.min("period").argmin("condition").item()
    dip = 1.0 - e.isel(condition=deepest).values
    down = np.flatnonzero(dip > 1e-12)
    if not down.size:
        raise ValueError("no condition has a downturn")
    onset, end = int(down[0]), int(down[-1])
    n = dip.size
    after = np.arange(max(end + 1, n - AFTER_PERIODS), n)
    return {"pre": np.arange(max(0, onset - PRE_PERIODS), onset),
            "trough": np.flatnonzero(dip >= TROUGH * dip.max()), "after": after}


# -- measures --------------------------------------------------------------------------------


def tier_units(units: xr.DataArray, tier: xr.DataArray, periods: np.ndarray) -> xr.DataArray:
    """Units per tier summed over ``periods``: dims of ``units`` less period/offer, plus tier."""
    u = units.isel(period=periods).sum("period")
    parts = [u.where(tier == k).sum("offer") for k in range(len(TIERS))]
    return xr.concat(parts, dim=xr.DataArray(list(TIERS), dims="tier", name="tier"))


def tier_shares(units: xr.DataArray, tier: xr.DataArray, periods: np.ndarray) -> xr.DataArray:
    """Share of each tier in all units bought over ``periods``."""
    u = tier_units(units, tier, periods)
    return u / u.sum("tier")


def hollowing(d_share: xr.DataArray) -> xr.DataArray:
    """``H = Δmid − ½(Δlow + Δhigh)`` from share changes with a ``tier`` dim."""
    return d_share.sel(tier="mid") - 0.5 * (d_share.sel(tier="low") + d_share.sel(tier="high"))


def _on_grid(da: xr.DataArray, cells: dict) -> xr.DataArray:
    """A per-condition array laid on (hardship, spread, depth); steady conditions dropped."""
    down = [c for c, v in cells.items() if v["depth"] > 0]
    da = da.sel(condition=down)
    da = da.assign_coords({k: ("condition", [cells[c][k] for c in down])
                           for k in ("hardship", "spread", "depth")})
    return da.set_index(condition=["hardship", "spread", "depth"]).unstack("condition")


def _paired(da: xr.DataArray, cells: dict, how: str = "diff") -> xr.DataArray:
    """Downturn condition vs its steady baseline, per replicate, on the grid."""
    base = _baselines(da, cells)
    x = da.sel(condition=base["condition"].values)
    return _on_grid(x - base if how == "diff" else x / base - 1.0, cells)


def _baselines(da: xr.DataArray, cells: dict) -> xr.DataArray:
    """Each downturn condition's steady baseline, labelled by the downturn condition."""
    down = [c for c, v in cells.items() if v["depth"] > 0]
    return da.sel(condition=[cells[c]["baseline"] for c in down]).assign_coords(condition=down)


def decompose(seg_units: xr.DataArray, cells: dict) -> tuple[xr.DataArray, xr.DataArray]:
    """Split each tier's share change into *who buys* and *what they buy*.

    With w_s a segment's share of all purchases and m_sk tier k's share of segment s's
    purchases, share_k = Σ_s w_s m_sk, and exactly
    ``Δshare_k = Σ_s Δw_s · m̄_sk + Σ_s w̄_s · Δm_sk`` (bars: mean of steady and downturn):
    the *composition* term (segments buying less or more often) and the *mix* term
    (segments changing tiers). ``seg_units`` has dims (tier, segment, condition, ...).

    Returns
    -------
    composition, mix : DataArray on the grid, with a ``tier`` dim
    """
    w = seg_units.sum("tier") / seg_units.sum(["tier", "segment"])
    m = seg_units / seg_units.sum("tier")
    w0, m0 = _baselines(w, cells), _baselines(m, cells)
    down = list(w0["condition"].values)
    w1, m1 = w.sel(condition=down), m.sel(condition=down)
    # a segment that buys nothing has no mix: take the other side's (its term is then exact)
    m0, m1 = m0.fillna(m1).fillna(0.0), m1.fillna(m0).fillna(0.0)
    composition = ((w1 - w0) * 0.5 * (m0 + m1)).sum("segment")
    mix = (0.5 * (w0 + w1) * (m1 - m0)).sum("segment")
    return _on_grid(composition, cells), _on_grid(mix, cells)


def effects(ds: xr.Dataset, params: StudyParams) -> xr.Dataset:
    """Per arm, hardship, spread, depth and replicate: the downturn's effects.

    Variables: ``d_share`` (tier; trough share change vs steady), ``H``, ``composition``
    and ``mix`` (tier; the two parts of ``d_share``, see :func:`decompose`), ``d_units``
    (tier; relative change of units bought at the trough), ``d_outside`` (change of the
    share of shoppers buying nothing), ``d_segment`` (segment; relative change of the
    segment's purchases at the trough), ``d_share_after`` (tier; after recovery),
    ``H_early`` and ``H_late`` (H over the first and the last half of the trough),
    ``naive`` (tier; the downturn run's own pre-to-trough share change) and ``drift``
    (tier; the steady run's pre-to-trough change).
    """
    cells, tier, w = grid(params), tiers(ds), windows(ds)
    half = len(w["trough"]) // 2
    w = {**w, "early": w["trough"][:half], "late": w["trough"][-half:]}
    share = {k: tier_shares(ds["units"], tier, p) for k, p in w.items()}
    d_share = _paired(share["trough"], cells)
    seg_units = tier_units(ds["segment_units"], tier, w["trough"])
    composition, mix = decompose(seg_units, cells)
    outside = ds["outside_share"].isel(period=w["trough"]).mean("period")
    change = share["trough"] - share["pre"]
    return xr.Dataset({
        "d_share": d_share,
        "H": hollowing(d_share),
        "composition": composition,
        "mix": mix,
        "d_units": _paired(tier_units(ds["units"], tier, w["trough"]), cells, how="ratio"),
        "d_outside": _paired(outside, cells),
        "d_segment": _paired(seg_units.sum("tier"), cells, how="ratio"),
        "d_share_after": _paired(share["after"], cells),
        "H_early": hollowing(_paired(share["early"], cells)),
        "H_late": hollowing(_paired(share["late"], cells)),
        "naive": _on_grid(change, cells),
        "drift": _on_grid(_baselines(change, cells), cells),
    })


# -- verdicts ----------------------------------------------------------------------------------


def sign(low: float, high: float) -> int:
    """+1 / −1 when a 95% interval lies above / below 0, else 0."""
    return 1 if low > 0 else (-1 if high < 0 else 0)


PATTERNS = {
    "polarisation": "the mid tier loses share to both low and high",
    "mid loses to low": "the mid tier loses share to low; high's change is not detectable",
    "mid loses to high": "the mid tier loses share to high; low's change is not detectable",
    "down-market shift": "mid and high lose share to low",
    "up-market shift": "low and mid lose share to high",
    "mid gains": "the mid tier gains share",
    "mid unchanged": "no detectable change of the mid tier's share",
}


def polarisation_verdict(low: tuple, mid_h: tuple, high: tuple) -> tuple[str, str]:
    """Verdict and pattern (a key of :data:`PATTERNS`) from the (mean, lo, hi) intervals
    of Δlow, H and Δhigh.

    - **holds**: H < 0 (the mid tier loses share) and both Δlow > 0 and Δhigh > 0;
    - **holds weakly**: H < 0, one side gains and the other does not change detectably;
    - **fails**: H > 0 (the mid tier gains), or H < 0 while one side loses too
      (a down-market or an up-market shift);
    - **inconclusive**: H's interval contains 0.

    All intervals are 95% t-intervals over replicates, judged one cell at a time.
    """
    s_low, s_mid, s_high = sign(*low[1:]), sign(*mid_h[1:]), sign(*high[1:])
    if s_mid == 0:
        return "inconclusive", "mid unchanged"
    if s_mid > 0:
        return "fails", "mid gains"
    if s_low > 0 and s_high > 0:
        return "holds", "polarisation"
    if s_low < 0:
        return "fails", "up-market shift"
    if s_high < 0:
        return "fails", "down-market shift"
    return "holds weakly", "mid loses to low" if s_low > 0 else "mid loses to high"


def verdicts(eff: xr.Dataset) -> list[dict]:
    """One row per arm and grid cell: (mean, lo, hi) intervals, verdict, pattern."""
    rows = []
    for arm in eff["arm"].values:
        for hx, spread, depth in itertools.product(
                eff["hardship"].values, eff["spread"].values, eff["depth"].values):
            at = eff.sel(arm=arm, hardship=hx, spread=spread, depth=depth)
            if not np.isfinite(at["H"].values).any():
                continue  # not a cell of the design
            per_tier = {v: {k: mean_ci(at[v].sel(tier=k).values) for k in TIERS}
                        for v in ("d_share", "composition", "mix", "d_units", "d_share_after")}
            ci = {**per_tier["d_share"], "H": mean_ci(at["H"].values)}
            word, pattern = polarisation_verdict(ci["low"], ci["H"], ci["high"])
            rows.append({
                "arm": str(arm), "hardship": float(hx), "spread": float(spread),
                "depth": float(depth), "ci": ci, "verdict": word, "pattern": pattern,
                "composition": per_tier["composition"], "mix": per_tier["mix"],
                "units": per_tier["d_units"], "outside": mean_ci(at["d_outside"].values),
                "after": per_tier["d_share_after"],
                "segments": {str(g): float(at["d_segment"].sel(segment=g).mean())
                             for g in at["segment"].values},
                "H_after": mean_ci(hollowing(at["d_share_after"]).values),
                "H_moves": float((at["H_late"] - at["H_early"]).mean())})
    return rows


# -- mechanism: who buys, and what they buy ---------------------------------------------------


def segment_table(ds: xr.Dataset, params: StudyParams, arm: str, condition: str) -> dict:
    """Per segment at the trough (means over replicates): purchases per period without and
    with the downturn, and the segment's tier mix (shares of its purchases) in each."""
    cells, tier, w = grid(params), tiers(ds).sel(arm=arm), windows(ds)
    seg = ds["segment_units"].sel(arm=arm)
    n = len(w["trough"])
    out = {}
    for label, c in (("steady", cells[condition]["baseline"]), ("downturn", condition)):
        u = tier_units(seg.sel(condition=c), tier, w["trough"]).mean("replicate") / n
        out[label] = {"purchases": u.sum("tier"), "mix": u / u.sum("tier")}
    return {str(s): {k: {"purchases": float(v["purchases"].sel(segment=s)),
                         "mix": v["mix"].sel(segment=s).values} for k, v in out.items()}
            for s in ds["segment"].values}


def condition_of(params: StudyParams, hardship: float, spread: float, depth: float) -> str:
    """The condition at a grid cell."""
    for c, v in grid(params).items():
        if (v["hardship"], v["spread"], v["depth"]) == (hardship, spread, depth):
            return c
    raise KeyError((hardship, spread, depth))


def mechanism_cells(rows: list[dict]) -> dict[str, list[tuple]]:
    """Per arm, the cells whose mechanism is shown: the smallest hardship exponent (the
    mildest incidence) and the largest, each at the spread and depth nearest the middle of
    the grid, and between them the cell where the claim holds (weakly, if nowhere fully)
    with the most negative H."""
    spreads, depths = sorted({r["spread"] for r in rows}), sorted({r["depth"] for r in rows})
    middle = (spreads[len(spreads) // 2], depths[len(depths) // 2])

    def nearest(sub: list[dict]) -> tuple:
        return _key(min(sub, key=lambda r: (abs(r["spread"] - middle[0]),
                                            abs(r["depth"] - middle[1]))))

    out = {}
    for arm in _arms(rows):
        mine = [r for r in rows if r["arm"] == arm]
        hxs = sorted({r["hardship"] for r in mine})
        held = ([r for r in mine if r["verdict"] == "holds"]
                or [r for r in mine if r["verdict"] == "holds weakly"])
        best = [_key(min(held, key=lambda r: r["ci"]["H"][0]))] if held else []
        cells = [nearest([r for r in mine if r["hardship"] == hxs[0]]), *best,
                 nearest([r for r in mine if r["hardship"] == hxs[-1]])]
        out[arm] = list(dict.fromkeys(cells))
    return out


# -- the written result ---------------------------------------------------------------------


def _key(r: dict) -> tuple[float, float, float]:
    return r["hardship"], r["spread"], r["depth"]


def _cell(r: dict | tuple) -> str:
    h, s, d = _key(r) if isinstance(r, dict) else r
    return f"hardship {h:g}, spread {s:g}, depth {d:g}"


def _short(r: dict) -> str:
    word = f"**{r['verdict']}**" if r["verdict"].startswith("holds") else r["verdict"]
    return f"{word} ({r['pattern']}); H {r['ci']['H'][0]:+.3f}"


def _arms(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["arm"] for r in rows))


def region_tables(rows: list[dict]) -> list[str]:
    """Per arm and hardship exponent, a spread x depth table of verdicts."""
    lines = []
    for arm in _arms(rows):
        for hx in sorted({r["hardship"] for r in rows}):
            sub = [r for r in rows if r["arm"] == arm and r["hardship"] == hx]
            depths = sorted({r["depth"] for r in sub})
            lines += [f"\n**{arm}, hardship exponent {hx:g}** (rows: budget spread)\n",
                      "| spread | " + " | ".join(f"depth {d:g}" for d in depths) + " |",
                      "|---" * (len(depths) + 1) + "|"]
            for s in sorted({r["spread"] for r in sub}):
                by_depth = {r["depth"]: _short(r) for r in sub if r["spread"] == s}
                lines.append(f"| {s:g} | " + " | ".join(by_depth[d] for d in depths) + " |")
    return lines


def full_table(rows: list[dict]) -> list[str]:
    head = ["market", "hardship", "spread", "depth", "Δshare low", "Δshare mid",
            "Δshare high", "H", "verdict", "units low", "units mid", "units high",
            "Δ outside share", "Δshare after recovery (low/mid/high)"]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for r in rows:
        ci, u = r["ci"], r["units"]
        cells = [r["arm"], f"{r['hardship']:g}", f"{r['spread']:g}", f"{r['depth']:g}",
                 *(fmt(*ci[k], digits=3) for k in (*TIERS, "H")), r["verdict"],
                 *(f"{100 * u[k][0]:+.0f}%" for k in TIERS), fmt(*r["outside"], digits=3),
                 " / ".join(f"{r['after'][k][0]:+.3f}" for k in TIERS)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def mechanism_lines(ds: xr.Dataset, params: StudyParams, rows: list[dict],
                    shown: dict) -> list[str]:
    """Per shown cell: segments' purchases and tier mixes, and the share decomposition."""
    by_key = {(r["arm"], *_key(r)): r for r in rows}
    pct = lambda m: "/".join(f"{100 * x:.0f}" for x in m)  # noqa: E731
    lines = []
    for arm, cells in shown.items():
        for cell in cells:
            r = by_key[(arm, *cell)]
            seg = segment_table(ds, params, arm, condition_of(params, *cell))
            lines += [f"\n**{arm}, {_cell(cell)}** — {r['verdict']} ({r['pattern']})\n",
                      "| segment | purchases per period, steady → downturn | tier mix % "
                      "(low/mid/high), steady → downturn |", "|---|---|---|"]
            for s, v in seg.items():
                a, b = v["steady"], v["downturn"]
                change = b["purchases"] / a["purchases"] - 1 if a["purchases"] else np.nan
                lines.append(f"| {s} | {a['purchases']:,.0f} → {b['purchases']:,.0f} "
                             f"({100 * change:+.0f}%) | {pct(a['mix'])} → {pct(b['mix'])} |")
            lines += ["", "| tier | Δshare | who buys (composition) | what they buy (mix) |",
                      "|---|---|---|---|"]
            lines += [f"| {k} | {fmt(*r['ci'][k], digits=3)} | "
                      f"{fmt(*r['composition'][k], digits=3)} | {fmt(*r['mix'][k], digits=3)} |"
                      for k in TIERS]
    return lines


def summary_lines(rows: list[dict]) -> list[str]:
    """Per arm: patterns counted, and the cells where the claim holds."""
    lines = []
    for arm in _arms(rows):
        sub = [r for r in rows if r["arm"] == arm]
        counts: dict[str, int] = {}
        for r in sub:
            counts[r["pattern"]] = counts.get(r["pattern"], 0) + 1
        held = [r for r in sub if r["verdict"].startswith("holds")]
        where = "; ".join(f"{_cell(r)} ({r['verdict']}: Δlow {fmt(*r['ci']['low'], digits=3)}"
                          f", Δmid {fmt(*r['ci']['mid'], digits=3)}, Δhigh "
                          f"{fmt(*r['ci']['high'], digits=3)})" for r in held)
        lines.append(f"- **{arm}** ({len(sub)} cells): "
                     + ", ".join(f"{n} {k}" for k, n in counts.items())
                     + (f". The claim holds at {where}." if held else
                        ". The claim holds nowhere."))
    return lines


def _count(rows: list[dict], part: str, tier: str, direction: int) -> int:
    return sum(sign(*r[part][tier][1:]) == direction for r in rows)


def channel_lines(rows: list[dict]) -> list[str]:
    """How often each channel moves each tier's share, over all cells, and what follows."""
    n = len(rows)
    mix_low, comp_high = _count(rows, "mix", "low", 1), _count(rows, "composition", "high", 1)
    mid_net = sum(abs(r["mix"]["mid"][0]) > abs(r["composition"]["mid"][0]) for r in rows)
    lines = [
        f"\nTwo channels (counts over all {n} cells, 95% CI excluding 0): **what they buy** "
        f"(mix) raises the low tier's share in {mix_low} cells and lowers the mid tier's in "
        f"{_count(rows, 'mix', 'mid', -1)} and the high tier's in "
        f"{_count(rows, 'mix', 'high', -1)}; **who buys** (composition) lowers the low "
        f"tier's share in {_count(rows, 'composition', 'low', -1)} cells and raises the "
        f"mid tier's in {_count(rows, 'composition', 'mid', 1)} and the high tier's in "
        f"{comp_high}. The mid tier's loss through the mix outweighs its gain through "
        f"composition in {mid_net} cells."]
    if mix_low >= 0.9 * n and comp_high >= 0.9 * n:
        lines.append(
            "So, almost everywhere, buyers who keep buying trade down, while the buyers who "
            "drop out are disproportionately those of the low tier, which tilts the "
            "remaining purchases up-market. Low and high can *both* gain only where these "
            "two opposing channels roughly balance: where the mix dominates the downturn "
            "shifts share down-market; where composition dominates it shifts share "
            "up-market, or even to the mid tier when the low tier's buyers leave altogether.")
    else:
        lines.append("The channels do not point the same way across cells; see the tables.")
    return lines


def regime_lines(rows: list[dict]) -> list[str]:
    """Patterns by hardship exponent, and segments' purchases where the mid tier gains."""
    lines = ["\nPatterns by hardship exponent (both markets, all spreads and depths):"]
    for hx in sorted({r["hardship"] for r in rows}):
        sub = [r for r in rows if r["hardship"] == hx]
        counts = {p: sum(r["pattern"] == p for r in sub) for p in PATTERNS}
        lines.append(f"- {hx:g}: " + ", ".join(f"{n} {p}" for p, n in counts.items() if n))
    gains = [r for r in rows if r["pattern"] == "mid gains"]
    if gains:
        rest = [r for r in rows if r["pattern"] != "mid gains"]
        mean = lambda sub, g: 100 * np.mean([r["segments"][g] for r in sub])  # noqa: E731
        segs = list(gains[0]["segments"])
        lines.append(f"\nWhere the mid tier gains ({len(gains)} cells: "
                     + "; ".join(f"{r['arm']}, {_cell(r)}" for r in gains)
                     + "), segments' purchases at the trough change by "
                     + ", ".join(f"{g} {mean(gains, g):+.0f}%" for g in segs)
                     + " on average, against " + ", ".join(f"{mean(rest, g):+.0f}%" for g in segs)
                     + " in the other cells.")
    return lines


def time_lines(rows: list[dict]) -> list[str]:
    """Per arm: how far H moves within the trough, and what is left after the recovery."""
    lines = []
    for arm in _arms(rows):
        sub = [r for r in rows if r["arm"] == arm]
        trough = np.median([abs(r["ci"]["H"][0]) for r in sub])
        moves = np.median([abs(r["H_moves"]) for r in sub])
        after = np.median([max(abs(r["after"][k][0]) for k in TIERS) for r in sub])
        last = max(((r, k) for r in sub for k in TIERS), key=lambda x: abs(x[0]["after"][x[1]][0]))
        lines.append(f"- **{arm}**: median |H| at the trough {trough:.3f}; from the first to the "
                     f"second half of the trough H moves by a median of {moves:.3f}; after the "
                     f"recovery (last {AFTER_PERIODS} periods) the median of the largest "
                     f"|Δshare| of a tier is {after:.3f}, the largest "
                     f"{last[0]['after'][last[1]][0]:+.3f} ({last[1]} tier; {_cell(last[0])}).")
    return ["\nOver time (see the figure's paths):", *lines,
            "In the tiers market a tier is a firm, so the firm-level feedbacks (word of mouth, "
            "awareness, bonds) follow customers from tier to tier; in the ladders market every "
            "firm sells every tier and they do not."]


def _overlaps(ds: xr.Dataset) -> list[str]:
    """Pairs of offers where a higher tier is priced at or below a lower tier, per arm."""
    tier, out = tiers(ds), []
    for arm in ds["arm"].values:
        t = tier.sel(arm=arm)
        price = ds["price"].sel(arm=arm).isel(condition=0, replicate=0, period=0)
        for k in range(len(TIERS) - 1):
            lower = price.where(t == k, drop=True)
            upper = price.where(t == k + 1, drop=True)
            if lower.size and upper.size and float(upper.min()) <= float(lower.max()):
                lo, hi = lower.idxmax().item(), upper.idxmin().item()
                out.append(f"{arm}: {hi} ({float(upper.min()):g}, {TIERS[k + 1]}) is priced "
                           f"at or below {lo} ({float(lower.max()):g}, {TIERS[k]})")
    return out


def caveat_lines(ds: xr.Dataset, params: StudyParams) -> list[str]:
    from scenarios.config import load_config

    segs = load_config(list(params.base))["population"]["segments"]
    wants = ", ".join(f"{s} {1 - segs[s]['need_share']:.0%}" for s in segs)
    overlaps = _overlaps(ds)
    return [
        "\n## Caveats\n",
        "- Firms hold their prices; how they respond in a downturn is claim 2's study "
        "(`downturn_response`).",
        "- The downturn acts only through budgets, price sensitivity and the deferral of "
        "wants. Every want is deferred alike whatever the tier, so the deferral weighs most "
        f"on segments with many wants (share of wants: {wants}); seed M39 expects "
        "strong-want buyers to keep buying the high tier, which the engine does not model.",
        "- Tier prices overlap: " + "; ".join(overlaps) + "." if overlaps else
        "- Tier prices do not overlap in any market.",
        "- Verdicts are per cell at 95% with no correction for the number of cells; cells "
        "next to a change of pattern (holds weakly, inconclusive) are the least stable and "
        "can flip with the horizon or the population size: read a region from neighbouring "
        "cells that agree.",
    ]


def summary_top(rows: list[dict]) -> list[str]:
    """The answer first: where the claim holds, and what happens elsewhere."""
    full = [r for r in rows if r["verdict"] == "holds"]
    weak = [r for r in rows if r["verdict"] == "holds weakly"]
    lines = ["## Summary\n",
             f"The claim holds in {len(full)} of {len(rows)} cells and weakly in {len(weak)} "
             "more (criterion below)."]
    for arm in _arms(rows):
        groups: dict[tuple, list[float]] = {}
        for r in full + weak:
            if r["arm"] == arm:
                groups.setdefault((r["hardship"], r["spread"], r["verdict"]), []).append(
                    r["depth"])
        where = "; ".join(f"{v} at hardship exponent {h:g}, budget spread {s:g}, depth "
                          + ", ".join(f"{d:g}" for d in sorted(ds_))
                          for (h, s, v), ds_ in sorted(groups.items()))
        lines.append(f"- **{arm}**: " + (where if where else "nowhere") + ".")
    hxs = sorted({r["hardship"] for r in rows})
    for hx in (hxs[0], hxs[-1]):
        sub = [r for r in rows if r["hardship"] == hx]
        counts = {p: sum(r["pattern"] == p for r in sub) for p in PATTERNS}
        lines.append(f"- At hardship exponent {hx:g} (both markets, {len(sub)} cells): "
                     + ", ".join(f"{n} {p}" for p, n in counts.items() if n) + ".")
    return [*lines, ""]


def reading_lines(eff: xr.Dataset, rows: list[dict]) -> list[str]:
    lines = ["\n## Reading\n", *summary_lines(rows), *channel_lines(rows),
             *regime_lines(rows)]
    fall = sum(all(r["units"][k][2] < 0 for k in TIERS) for r in rows)
    out = [r["outside"][0] for r in rows]
    lines.append(f"\nUnits: in {fall} of {len(rows)} cells every tier sells fewer units at "
                 "the trough than without the downturn (95% CI below 0), and the share of "
                 f"shoppers who buy nothing rises by {min(out):.2f} to {max(out):.2f}: a tier "
                 "'thrives' only in the sense of losing less than the others. Shares are "
                 "therefore the measure, as in the seed.")
    lines += time_lines(rows)
    drift = float(np.abs(eff["drift"].mean("replicate")).max())
    bias = float(np.abs((eff["naive"] - eff["d_share"]).mean("replicate")).max())
    lines.append(f"\nThe steady market drifts by up to {drift:.3f} in a tier's share between "
                 "the pre-downturn window and the trough (awareness and bonds still move), so "
                 f"a naive pre-vs-trough comparison within the downturn run would be off by up "
                 f"to {bias:.3f}; the steady run of the same replicate is the baseline.")
    return lines


# -- the figure ------------------------------------------------------------------------------

TIER_COLOURS = {"low": "C2", "mid": "C1", "high": "C4"}
ARROWS = {1: "▲", -1: "▼", 0: "="}


def plot_region(rows: list[dict], arm: str, hardship: float, ax, vmax: float):
    """Heat map of H over budget spread x depth. Each cell shows H and whether Δlow, Δmid,
    Δhigh rise (▲), fall (▼) or do not change detectably (=); a dot where H's 95% CI
    excludes 0; a solid box where the claim holds, a dashed box where it holds weakly."""
    sub = [r for r in rows if r["arm"] == arm and r["hardship"] == hardship]
    spreads, depths = sorted({r["spread"] for r in sub}), sorted({r["depth"] for r in sub})
    h = np.full((len(spreads), len(depths)), np.nan)
    for r in sub:
        i, j = spreads.index(r["spread"]), depths.index(r["depth"])
        h[i, j] = r["ci"]["H"][0]
        arrows = " ".join(f"{k[0].upper()}{ARROWS[sign(*r['ci'][k][1:])]}" for k in TIERS)
        ax.text(j, i, f"{h[i, j]:+.3f}\n{arrows}", ha="center", va="center", fontsize=8)
        if sign(*r["ci"]["H"][1:]):
            ax.plot(j + 0.38, i - 0.36, "o", color="k", ms=3)
        if r["verdict"].startswith("holds"):
            ax.add_patch(plt.Rectangle((j - 0.47, i - 0.47), 0.94, 0.94, fill=False, lw=2.5,
                                       ls="-" if r["verdict"] == "holds" else "--"))
    image = ax.imshow(h, cmap="RdBu", vmin=-vmax, vmax=vmax, origin="lower", aspect="auto")
    ax.set_xticks(range(len(depths)), [f"{d:g}" for d in depths])
    ax.set_yticks(range(len(spreads)), [f"{s:g}" for s in spreads])
    ax.set(title=f"{arm}: hardship exponent {hardship:g}", xlabel="downturn depth",
           ylabel="budget spread")
    return image


def share_paths(ds: xr.Dataset, params: StudyParams, arm: str, condition: str) -> xr.DataArray:
    """Per period, tier shares with the downturn minus without (mean over replicates)."""
    cells, tier = grid(params), tiers(ds).sel(arm=arm)
    units = ds["units"].sel(arm=arm)
    parts = [units.where(tier == k).sum("offer") for k in range(len(TIERS))]
    u = xr.concat(parts, dim=xr.DataArray(list(TIERS), dims="tier", name="tier"))
    share = u / u.sum("tier")
    diff = share.sel(condition=condition) - share.sel(condition=cells[condition]["baseline"])
    return diff.mean("replicate")


def plot_paths(ds: xr.Dataset, params: StudyParams, arm: str, cells: list[tuple], ax) -> None:
    """Tier share changes over time for the mechanism cells, the trough shaded."""
    w = windows(ds)
    ax.axvspan(w["trough"][0] - 0.5, w["trough"][-1] + 0.5, color="0.9", label="trough")
    styles = ("-", "--")
    for cell, ls in zip(cells, styles, strict=False):
        d = share_paths(ds, params, arm, condition_of(params, *cell))
        for k in TIERS:
            ax.plot(d["period"], d.sel(tier=k), ls=ls, color=TIER_COLOURS[k])
    ax.axhline(0, color="k", lw=0.6)
    ax.set(title=f"{arm}: tier share, downturn − steady", xlabel="period",
           ylabel="Δ share of purchases")
    handles = [plt.Line2D([], [], color=TIER_COLOURS[k], label=k) for k in TIERS]
    handles += [plt.Line2D([], [], color="k", ls=ls, label=_cell(cell))
                for cell, ls in zip(cells, styles, strict=False)]
    ax.legend(handles=handles, fontsize="x-small", loc="lower left")


def plot_channels(rows: list[dict], arm: str, cells: list[tuple], ax) -> None:
    """Each tier's share change at the trough (diamond, 95% CI) split into who buys
    (composition, solid) and what they buy (mix, hatched), for the mechanism cells."""
    by_key = {(r["arm"], *_key(r)): r for r in rows}
    width = 0.8 / len(cells)
    for c_i, cell in enumerate(cells):
        r = by_key[(arm, *cell)]
        x = np.arange(len(TIERS)) - 0.4 + width * (c_i + 0.5)
        comp = np.array([r["composition"][k][0] for k in TIERS])
        mix = np.array([r["mix"][k][0] for k in TIERS])
        colour = f"C{c_i}"
        ax.bar(x - width / 4, comp, width / 2, color=colour, alpha=0.8,
               label=f"{_cell(cell)}: who buys")
        ax.bar(x + width / 4, mix, width / 2, color=colour, alpha=0.4, hatch="//",
               edgecolor=colour, label="… what they buy")
        total = np.array([r["ci"][k] for k in TIERS])
        ax.errorbar(x, total[:, 0], yerr=[total[:, 0] - total[:, 1], total[:, 2] - total[:, 0]],
                    fmt="D", color="k", ms=4, capsize=2)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(range(len(TIERS)), TIERS)
    ax.set(title=f"{arm}: Δshare (◆) = who buys + what they buy",
           ylabel="Δ share of purchases at the trough")
    ax.legend(fontsize="x-small")


def figure(ds: xr.Dataset, params: StudyParams, rows: list[dict], shown: dict):
    arms, hxs = _arms(rows), sorted({r["hardship"] for r in rows})
    n_cols = max(len(hxs), 2 * len(arms))
    fig, axes = plt.subplots(len(arms) + 1, n_cols, figsize=(5.4 * n_cols, 4.6 * len(arms) + 5),
                             layout="constrained", squeeze=False)
    vmax = max(abs(r["ci"]["H"][0]) for r in rows) or 1.0
    image = None
    for row, arm in zip(axes, arms, strict=False):
        for ax, hx in zip(row, hxs, strict=False):
            image = plot_region(rows, arm, hx, ax, vmax)
        for ax in row[len(hxs):]:
            ax.set_axis_off()
    fig.colorbar(image, ax=axes[:len(arms)].ravel().tolist(), shrink=0.8,
                 label="hollowing index H = Δmid − ½(Δlow + Δhigh) at the trough")
    for i, arm in enumerate(arms):
        plot_paths(ds, params, arm, shown[arm][:2], axes[-1, i])
        plot_channels(rows, arm, shown[arm], axes[-1, len(arms) + i])
    for ax in axes[-1, 2 * len(arms):]:
        ax.set_axis_off()
    return fig


# -- analyse -------------------------------------------------------------------------------


def _members(ds: xr.Dataset) -> str:
    """Which offers (list price) make up each tier, per arm."""
    tier, out = tiers(ds), []
    for arm in ds["arm"].values:
        t = tier.sel(arm=arm)
        price = ds["price"].sel(arm=arm).isel(condition=0, replicate=0, period=0)
        groups = [", ".join(f"{o} ({float(price.sel(offer=o)):g})"
                            for o in t["offer"].values[t.values == k]) for k in range(3)]
        out.append(f"*{arm}*: " + "; ".join(f"{TIERS[k]} = {g}" for k, g in enumerate(groups)))
    return "; ".join(out)


def _population(params: StudyParams) -> dict:
    """The study's population config (without condition overrides): segment budgets and
    the economy's elasticities, for the write-up."""
    from scenarios.config import load_config

    pop = load_config(list(params.base))["population"]
    segs = pop["segments"]
    return {"budgets": " / ".join(f"{segs[s]['budget']:g}" for s in segs),
            "spreads": " / ".join(f"{segs[s]['budget_spread']:g}" for s in segs),
            **{k: pop[k] for k in ("hardship_exponent", "budget_elasticity",
                                   "sensitivity_elasticity", "want_deferral")}}


def design_lines(ds: xr.Dataset, params: StudyParams) -> list[str]:
    w, g, pop = windows(ds), [v for v in grid(params).values() if v["depth"] > 0], \
        _population(params)
    values = {k: ", ".join(f"{x:g}" for x in sorted({v[k] for v in g}))
              for k in ("depth", "spread", "hardship")}
    span = lambda p: f"{p[0]}–{p[-1]}"  # noqa: E731
    return [
        "## Design\n",
        "Every firm holds its list prices, so a shift between tiers is the customers' doing. "
        f"A U-shaped downturn takes the economy index e from 1 to 1 − depth ({values['depth']}"
        "). Each customer's exposure is x = (population median budget / budget) ** "
        "`hardship_exponent` "
        "(clipped to 0.1–10); at index e a budget is multiplied by e ** "
        f"({pop['budget_elasticity']:g}·x), price sensitivity by e ** "
        f"(−{pop['sensitivity_elasticity']:g}·x), and a customer for whom the category is a "
        f"want (not a need) shops e ** {pop['want_deferral']:g} as often (MODEL.md §4; "
        "offers above the budget are not considered). The incidence of the shock is the "
        f"hardship exponent ({values['hardship']}; the population config uses "
        f"{pop['hardship_exponent']:g}): the larger it is, the more the hit falls on low "
        "budgets and the less on high ones. Budget heterogeneity is every segment's "
        f"`budget_spread` ({values['spread']}; the lognormal sigma of budgets within a "
        f"segment, whose medians stay {pop['budgets']}; the config uses {pop['spreads']}). "
        "Tiers: " + _members(ds) + ".\n",
        f"Windows (periods): pre-downturn {span(w['pre'])}, trough {span(w['trough'])} (dip "
        f"≥ {TROUGH:.0%} of its depth), after recovery {span(w['after'])}.\n",
        "## Measure and criterion\n",
        "A tier's share is its units over all units bought in the window. Δshare_k is the "
        "trough share with the downturn minus the trough share of the same replicate in a "
        "steady economy at the same budget spread: paired (common random numbers), and — "
        "because both runs are identical before the onset — equal to the pre-to-trough "
        "change net of the market's own drift. H = Δmid − ½(Δlow + Δhigh) (seed M39); "
        "95% t-intervals over replicates.\n",
        "Tier shares sum to one, so Δlow + Δmid + Δhigh = 0 and **H = 1.5·Δmid**: H tells "
        "whether the mid tier loses share, not where the share goes. The claim needs both "
        "sides to thrive, so the criterion reads all three changes: **holds** if H < 0, "
        "Δlow > 0 and Δhigh > 0 (all three intervals exclude 0); **holds weakly** if H < 0, "
        "one side gains and the other's interval contains 0; **fails** if H > 0 (*mid "
        "gains*) or if one side loses with the mid tier (*down-market shift*: mid and high "
        "lose share to low; *up-market shift*: low and mid lose share to high); "
        "**inconclusive** if H's interval contains 0. Each cell is judged on its own (no "
        "correction for the number of cells).\n",
    ]


def analyse(ds: xr.Dataset, params: StudyParams):
    eff = effects(ds, params)
    rows = verdicts(eff)
    shown = mechanism_cells(rows)
    lines = [*summary_top(rows), *design_lines(ds, params), "## Where the claim holds\n",
             "Each cell: verdict (pattern); H at the trough. The figure maps the same cells."]
    lines += region_tables(rows)
    lines += ["\n## Results (trough vs steady economy; mean [95% CI] over replicates)\n",
              "Units: change of the tier's units at the trough relative to the steady economy "
              "(mean over replicates). Δ outside share: change of the share of shoppers who "
              "buy nothing. After recovery: Δshare of each tier over the after-recovery "
              "window (means).\n",
              *full_table(rows),
              "\n## Mechanism: who buys, and what they buy\n",
              "Per buyer segment at the trough (market units per period, mean over "
              "replicates): purchases and the segment's tier mix without → with the "
              "downturn. Each tier's share change splits exactly into *who buys* (segments' "
              "shares of all purchases change; composition) and *what they buy* (segments' "
              "tier mixes change; mix), see `decompose`. Cells: the smallest and the "
              "largest hardship exponent at the middle spread and depth, and the cell where "
              "the claim holds with the most negative H (if it holds anywhere).",
              *mechanism_lines(ds, params, rows, shown),
              *reading_lines(eff, rows),
              *caveat_lines(ds, params),
              "\nThe verdicts and numbers are computed from the runs above; rerun the command "
              "to reproduce them.\n"]
    return "\n".join(lines), figure(ds, params, rows, shown)


if __name__ == "__main__":
    raise SystemExit(main(NAME, analyse))
