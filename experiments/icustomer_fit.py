"""Claim 9: iCustomer mismatch (interaction depth vs value stage) costs margin or customers.

The iCustomer chart (seed 000, M30) as a simulated surface: firm a supplies an interaction
depth D = 0..10 (arms) at each economic-value stage s (conditions); customers want more
depth at later stages (:mod:`sim.fit`), along the diagonal D*(s). Outcomes for firm a over
the horizon: cumulative profit, share of purchases (period mean), satisfaction (satisfied
share of its buyers, weighted by units), insiders at the end, cost to serve, and margin per
unit ((revenue - variable cost - cost to serve) / units). Per stage: the profit ridge (the
depth of highest mean profit, and its band: every depth whose paired 95% interval against
the best still reaches 0), and paired differences against the diagonal depth D*(s) of
under-serving (the deepest arm at least ``tolerance + 1`` below D*) and over-serving (the
shallowest arm at least ``tolerance + 1`` above; the nearest arm on that side at the edges
of the scale). Replicate r is the same world in every arm and stage (common random numbers).
Run::

    python experiments/icustomer_fit.py [replicates=5 population.n_customers=2000]
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib import patheffects
from matplotlib.colors import TwoSlopeNorm
from matplotlib.patches import Rectangle

from scenarios.config import build_scenario, load_config
from scenarios.study import fmt, mean_ci, paired_ci, verdict
from scenarios.study_cli import main
from sim.fit import FitValue, stage_index

NAME = "icustomer_fit"
FIRM = "a"
DIGITS = {"cumulative profit": 0, "share": 3, "satisfaction": 3, "insiders at end": 0,
          "cost to serve": 0, "margin per unit": 2}


def design(ds: xr.Dataset, params) -> tuple[dict, dict, dict, FitValue]:
    """Firm a's supplied depth per arm, stage index and depth cost per condition, and the fit.

    Read from the composed scenario configs (base plus the arm's or condition's overrides),
    so the study's YAML and command-line overrides are honoured.
    """
    def cfg(over):
        return load_config([*params.base, *over])
    depth = {str(a): float(cfg(params.arms[str(a)])["firms"][FIRM]["supplied_depth"])
             for a in ds["arm"].values}
    firm = {str(c): cfg(params.conditions[str(c)])["firms"][FIRM]
            for c in ds["condition"].values}
    stage = {c: stage_index(str(f["stage"])) for c, f in firm.items()}
    cost = {c: float(f["depth_cost"]) for c, f in firm.items()}
    fit = build_scenario(cfg(())).market.value.get("fit")
    return depth, stage, cost, fit if fit is not None else FitValue(enabled=False)


def outcomes(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """Firm a's outcomes per condition, arm and replicate (whole horizon)."""
    a = ds.sel(firm=FIRM)
    units = a["firm_units"].sum("period")
    return {
        "cumulative profit": a["profit"].sum("period"),
        "share": a["share"].mean("period"),
        "satisfaction": (a["satisfied_share"].fillna(0) * a["firm_units"]).sum("period")
        / units,
        "insiders at end": a["customers"].sel(state="insider").isel(period=-1),
        "cost to serve": a["cost_to_serve"].sum("period"),
        "margin per unit": (a["firm_revenue"] - a["firm_variable_cost"]
                            - a["cost_to_serve"]).sum("period") / units,
    }


def _diff(v: xr.DataArray, c: str, x: str, y: str) -> tuple[float, float, float]:
    return paired_ci(v.sel(condition=c, arm=x).values, v.sel(condition=c, arm=y).values)


def ridge(profit: xr.DataArray, c: str, arms: list[str]) -> tuple[str, list[str]]:
    """The most profitable arm at condition ``c`` and its band.

    Parameters
    ----------
    profit : xarray.DataArray
        Cumulative profit with dims ``condition``, ``arm``, ``replicate``.
    c : str
        Condition.
    arms : list of str
        Arms in order of depth.

    Returns
    -------
    best : str
        The arm of highest mean profit.
    band : list of str
        Arms whose paired 95% interval of ``profit - profit[best]`` reaches 0 (``best``
        included), in ``arms`` order.
    """
    means = [float(profit.sel(condition=c, arm=a).mean()) for a in arms]
    best = arms[int(np.argmax(means))]
    band = [a for a in arms
            if a == best or (np.isfinite(hi := _diff(profit, c, a, best)[2]) and hi >= 0)]
    return best, band


def neighbours(depth: dict[str, float], target: float, gap: float) -> tuple:
    """Arms nearest to ``target`` (the diagonal), under-serving and over-serving it.

    Under: the deepest arm at most ``target - gap``, else the shallowest arm below
    ``target``; over: the shallowest arm at least ``target + gap``, else the deepest arm
    above ``target``. None where no arm lies on that side.

    Parameters
    ----------
    depth : dict of str to float
        Supplied depth of each arm.
    target : float
        The diagonal depth D*(s).
    gap : float
        Smallest mismatch that counts (the fit's tolerance + 1).

    Returns
    -------
    tuple of (str or None, str, str or None)
        Under-serving, diagonal (nearest to ``target``) and over-serving arm.
    """
    arms = sorted(depth, key=depth.get)
    diag = min(arms, key=lambda a: abs(depth[a] - target))
    below = [a for a in arms if depth[a] < depth[diag]]
    above = [a for a in arms if depth[a] > depth[diag]]
    far_below = [a for a in below if depth[a] <= target - gap]
    far_above = [a for a in above if depth[a] >= target + gap]
    under = far_below[-1] if far_below else (below[0] if below else None)
    over = far_above[0] if far_above else (above[-1] if above else None)
    return under, diag, over


def claim_tests(out: dict[str, xr.DataArray], c: str, f: dict) -> dict[str, tuple]:
    """The claim's tests at condition ``c``: {test: ((mean, low, high), verdict, digits)}.

    Under-serving costs customers (share) and profit; over-serving costs margin (profit).
    Each compares the under- or over-serving arm with the diagonal arm (paired).
    """
    res = {}
    for n, key, what, dg in (("under", "share", "under-serving costs customers (share)", 3),
                             ("under", "cumulative profit", "under-serving costs profit", 0),
                             ("over", "cumulative profit", "over-serving costs margin (profit)",
                              0)):
        if f[n] is not None:
            d = _diff(out[key], c, f[n], f["diag"])
            res[what] = (d, verdict(d[1], d[2], holds_if_positive=False), dg)
    return res


def combine(words: list[str]) -> str:
    """Both halves hold: holds; either fails: fails; otherwise inconclusive."""
    if "fails" in words:
        return "fails"
    return "holds" if words and all(w == "holds" for w in words) else "inconclusive"


def side(band: list[float], target: float) -> str:
    """Where a band of depths lies against the diagonal depth ``target``."""
    if min(band) <= target <= max(band):
        return "on the diagonal"
    return "below the diagonal" if max(band) < target else "above the diagonal"


def _grid(values: dict[tuple[str, str], float], rows: list[str], arms: list[str]) -> np.ndarray:
    return np.array([[values[r, a] for a in arms] for r in rows])


def plot_heatmap(ax, z: np.ndarray, depths: np.ndarray, rows: list[str], *, title: str,
                 label: str, diagonal: np.ndarray, ridge_marks=None, cmap="viridis",
                 centre: float | None = None, cell_fmt: str = "{:.0f}") -> None:
    """A (stage x depth) heat map with the iCustomer diagonal and, if given, the profit ridge.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    z : ndarray, shape (stage, depth)
        Values, rows in ``rows`` order, columns in ``depths`` order.
    depths : ndarray, shape (depth,)
        Supplied depths, increasing.
    rows : list of str
        Row (condition) labels, lowest stage first.
    title, label : str
        Axes title and colour-bar label.
    diagonal : ndarray, shape (stage,)
        D*(s) of each row, drawn as a dashed line.
    ridge_marks : list of (float, list of float), optional
        Per row, the most profitable depth (starred) and its band (outlined).
    cmap : str
    centre : float, optional
        Centre a diverging colour scale here when the values straddle it.
    cell_fmt : str
        Format of the value written in each cell.
    """
    edges = np.concatenate([[depths[0] - 0.5], (depths[1:] + depths[:-1]) / 2,
                            [depths[-1] + 0.5]])
    y = np.arange(len(rows))
    norm = None
    if centre is not None and np.nanmin(z) < centre < np.nanmax(z):
        norm = TwoSlopeNorm(centre, np.nanmin(z), np.nanmax(z))
    mesh = ax.pcolormesh(edges, np.arange(len(rows) + 1) - 0.5, z, cmap=cmap, norm=norm,
                         shading="flat")
    ax.figure.colorbar(mesh, ax=ax, label=label)
    for i in range(len(rows)):
        for k, d in enumerate(depths):
            r, g, b, _ = mesh.cmap(mesh.norm(z[i, k]))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            ax.text(d, i, cell_fmt.format(z[i, k]), ha="center", va="center",
                    fontsize=6, color="w" if dark else "k")
    halo = [patheffects.withStroke(linewidth=3, foreground="w")]
    ax.plot(diagonal, y, "--", color="magenta", lw=1.6, path_effects=halo,
            label="iCustomer diagonal D*(s)")
    if ridge_marks is not None:
        for i, (best, band) in enumerate(ridge_marks):
            for d in band:
                ax.add_patch(Rectangle((d - 0.45, i - 0.45), 0.9, 0.9, fill=False,
                                       edgecolor="k", lw=1.4, path_effects=halo))
            ax.plot(best + 0.28, i + 0.28, "*", color="k", ms=10, mec="w", mew=0.8,
                    label="most profitable depth (band within its 95% CI: outlined)"
                    if i == 0 else None)
    ax.set_yticks(y, rows)
    ax.set_xticks(depths)
    ax.set(title=title, xlabel="supplied interaction depth D (0 none .. 10 co-creation)",
           ylabel="value stage")


def analyse(ds: xr.Dataset, params) -> tuple[str, plt.Figure]:
    out = outcomes(ds)
    depth, stage, cost, fit = design(ds, params)
    arms = sorted(depth, key=depth.get)
    rows = sorted(stage, key=stage.get)  # conditions, commodity first
    target = {c: fit.required(stage[c]) for c in rows}
    gap = fit.tolerance + 1.0
    profit = out["cumulative profit"]
    mean = {k: {(c, a): float(v.sel(condition=c, arm=a).mean()) for c in rows for a in arms}
            for k, v in out.items()}
    diag_arm = {c: neighbours(depth, target[c], gap)[1] for c in rows}
    price = (ds["firm_revenue"].sel(firm=FIRM).sum("period")
             / ds["firm_units"].sel(firm=FIRM).sum("period"))
    lines = [
        "## Design\n",
        f"Firm {FIRM} supplies interaction depth D ∈ {{"
        + ", ".join(f"{depth[a]:g}" for a in arms) + "} (arms) at the value stages "
        + ", ".join(f"{c} (D* = {target[c]:g})" for c in rows) + " (conditions). "
        f"The fit is {'on' if fit.enabled else '**off**'}: beta_under {fit.beta_under:g} "
        f"utility per unit of depth short beyond a tolerance of {fit.tolerance:g}, beta_over "
        f"{fit.beta_over:g}, stage_shift {fit.stage_shift:g}. Serving costs firm {FIRM} "
        "depth_cost × D per buyer, "
        + (f"depth_cost = {cost[rows[0]]:g}" if len(set(cost.values())) == 1 else
           "depth_cost = " + ", ".join(f"{cost[c]:g} at {c}" for c in rows))
        + " (the study YAML says why). Every firm "
        f"holds its default list prices at every stage; at an outcome-charging stage "
        f"(transformation) only satisfied buyers pay, so firm {FIRM}'s average realised "
        "price at the diagonal depth is "
        + ", ".join(f"{float(price.sel(condition=c, arm=diag_arm[c]).mean()):.2f} at {c}"
                    for c in rows)
        + ". Compare depths within a stage; profit levels across stages also differ by "
        "the revenue model. Satisfaction compares the value a buyer receives -- attributes, "
        "less the fit's shortfall and the journey's waits -- with their expectation, so the "
        "fit enters both the choice and that judgement. "
        f"{ds.sizes['replicate']} replicates, {ds.sizes['period']} periods; profit and cost "
        "to serve are summed over the horizon, share is the period mean.\n",
        "## Profit ridge vs the iCustomer diagonal\n",
        "The ridge is the depth of highest mean cumulative profit; its band is every depth "
        "whose paired 95% interval against the best still reaches 0.\n",
        "| stage | diagonal D*(s) | most profitable D | band | ridge vs diagonal | "
        "profit at D* − at best D |",
        "|---|---|---|---|---|---|",
    ]
    marks, facts = [], {}
    for c in rows:
        best, band = ridge(profit, c, arms)
        under, diag, over = neighbours(depth, target[c], gap)
        bd = sorted(depth[a] for a in band)
        where = side(bd, target[c])
        facts[c] = dict(best=depth[best], band=bd, where=where, under=under, diag=diag,
                        over=over, loss=_diff(profit, c, diag, best))
        marks.append((depth[best], bd))
        lines.append(f"| {c} | {target[c]:g} | {depth[best]:g} | "
                     + ", ".join(f"{d:g}" for d in bd) + f" | {where} | "
                     + (fmt(*facts[c]["loss"]) if diag != best else "0 (D* is best)") + " |")
    lines += ["\nMean cumulative profit of firm a (thousands) by stage and depth:\n",
              "| stage | " + " | ".join(f"D={depth[a]:g}" for a in arms) + " |",
              "|---" * (len(arms) + 1) + "|"]
    for c in rows:
        lines.append(f"| {c} | " + " | ".join(f"{mean['cumulative profit'][c, a] / 1e3:,.0f}"
                                            for a in arms) + " |")

    lines.append("\n## Mismatch against the diagonal (firm a; mean [95% CI])")
    claims = {}
    for c in rows:
        f = facts[c]
        picks = [(n, a) for n, a in (("under", f["under"]), ("diagonal", f["diag"]),
                                     ("over", f["over"])) if a is not None]
        lines += [f"\n### Stage: {c} (D* = {target[c]:g})\n",
                  "| | D | " + " | ".join(out) + " |", "|---" * (len(out) + 2) + "|"]
        for n, a in picks:
            cells = [fmt(*mean_ci(v.sel(condition=c, arm=a).values), DIGITS[k])
                     for k, v in out.items()]
            lines.append(f"| {n} | {depth[a]:g} | " + " | ".join(cells) + " |")
        for n, a in picks:
            if n != "diagonal":
                cells = [fmt(*_diff(v, c, a, f["diag"]), DIGITS[k]) for k, v in out.items()]
                lines.append(f"| {n} − diagonal | {depth[a] - depth[f['diag']]:+g} | "
                             + " | ".join(cells) + " |")
        claims[c] = claim_tests(out, c, f)
    lines.append("\n## Verdicts\n")
    lines.append("The claim read as *a mismatch costs the firm, through customers or margin*, "
                 "tested against the diagonal depth D* with paired 95% CIs: under-serving "
                 "*costs customers* (share below D*'s) and *costs profit* (cumulative profit "
                 "below D*'s); over-serving *costs margin* (cumulative profit below D*'s: "
                 "depth that adds no value still costs money per buyer). The claim holds at a "
                 "stage if every test that can be made there holds, fails if one fails, and "
                 "is inconclusive otherwise.\n")
    overall = {}
    for c in rows:
        parts = [f"{h}: {fmt(*d, digits=dg)} → **{w}**" for h, (d, w, dg) in claims[c].items()]
        overall[c] = combine([w for _, w, _ in claims[c].values()])
        lines.append(f"- **{c}** — " + "; ".join(parts) + f"; claim at this stage: "
                     f"**{overall[c]}**.")

    lines.append("\n## Reading\n")
    for c in rows:
        f = facts[c]
        txt = (f"- **{c}**: profit peaks at D = {f['best']:g} (band "
               + ", ".join(f"{d:g}" for d in f["band"]) + f"), {f['where']} "
               f"D* = {target[c]:g}")
        for n in ("under", "over"):
            a = f[n]
            if a is None:
                continue
            ds_ = _diff(out["share"], c, a, f["diag"])
            dp = _diff(profit, c, a, f["diag"])
            dm = _diff(out["margin per unit"], c, a, f["diag"])
            txt += (f"; {n}-serving at D = {depth[a]:g} changes share by "
                    f"{fmt(*ds_, digits=3)}, profit by {fmt(*dp)} and margin per unit by "
                    f"{fmt(*dm, digits=2)}")
        m = mean_ci(out["margin per unit"].sel(condition=c, arm=f["diag"]).values)
        if m[2] < 0:
            txt += (f". At D* every sale loses money (margin per unit {fmt(*m, digits=2)}), "
                    "so shedding customers raises profit")
        lines.append(txt + f". Claim: **{overall[c]}**.")
    sat = {c: [verdict(*_diff(out["satisfaction"], c, facts[c][n], diag_arm[c])[1:])
               for n in ("under", "over") if facts[c][n] is not None] for c in rows}
    moved = [c for c, ws in sat.items() if any(w != "inconclusive" for w in ws)]
    lines.append("\nSatisfaction differs significantly from the diagonal depth's at "
                 + (", ".join(moved) if moved else "no stage")
                 + " (under- or over-serving; 95% CIs in the tables above).")
    by_word = {w: [c for c in rows if overall[c] == w] for w in ("holds", "fails",
                                                                    "inconclusive")}
    on = [c for c in rows if facts[c]["where"] == "on the diagonal"]
    lines.append("\nIn short, the claim " + "; ".join(
        f"{w} at {', '.join(cs)}" for w, cs in by_word.items() if cs)
        + "; the profit ridge's band contains the diagonal depth at "
        + (", ".join(on) if on else "no stage")
        + (", and misses it at " + ", ".join(c for c in rows if c not in on)
           if len(on) < len(rows) else "") + ".")
    lines.append("\nThe verdicts are computed from the runs above (the ridge is picked from "
                 "the same replicates); rerun the command to reproduce them. Firms b and c "
                 "stay at the service stage with depth 5 and hold their prices.\n")

    x = np.array([depth[a] for a in arms])
    diagonal = np.array([target[c] for c in rows])
    z = {k: _grid(v, rows, arms) for k, v in mean.items()}
    fig, axes = plt.subplots(2, 2, figsize=(15, 9.5), layout="constrained")
    plot_heatmap(axes[0, 0], z["cumulative profit"] / 1e3, x, rows, diagonal=diagonal,
                 ridge_marks=marks, cmap="RdYlBu", centre=0.0,
                 title=f"firm {FIRM} cumulative profit", label="thousands")
    rel = z["cumulative profit"] - np.nanmax(z["cumulative profit"], axis=1, keepdims=True)
    plot_heatmap(axes[0, 1], rel / 1e3, x, rows, diagonal=diagonal, ridge_marks=marks,
                 cmap="viridis", title="profit minus the stage's best depth",
                 label="thousands")
    plot_heatmap(axes[1, 0], z["share"], x, rows, diagonal=diagonal, cmap="viridis",
                 title=f"firm {FIRM} share of purchases (period mean)", label="share",
                 cell_fmt="{:.2f}")
    plot_heatmap(axes[1, 1], z["satisfaction"], x, rows, diagonal=diagonal, cmap="viridis",
                 title=f"firm {FIRM} satisfaction (satisfied share of buyers; colour range "
                 f"{np.nanmin(z['satisfaction']):.3f}–{np.nanmax(z['satisfaction']):.3f})",
                 label="satisfied share", cell_fmt="{:.3f}")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize="small")
    fig.suptitle(f"The iCustomer chart, simulated: firm {FIRM} over depth × stage "
                 f"(means of {ds.sizes['replicate']} replicates)")
    return "\n".join(lines), fig


if __name__ == "__main__":
    raise SystemExit(main(NAME, analyse))
