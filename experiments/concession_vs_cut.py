"""Claim 4: a buyer concession (a cut tied to a commitment) vs a plain cut of the same size.

Firm a holds its prices, cuts them 15% or gives 15% off to buyers who commit
for 12 periods, while the economy index is down; rivals b and c hold. The
conditions cross how customers read prices (price takers vs loss-averse,
quality-inferring customers) with what committing costs them (cheap vs
costly). Outcomes for firm a: profit over the whole cycle and after the
recovery, average realised price after the recovery, insiders at the end,
and how many took the deal. Differences are paired across arms (common
random numbers). Run::

    python experiments/concession_vs_cut.py [replicates=5 population.n_customers=5000]
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from scenarios.study import fmt, mean_ci, paired_ci, verdict
from scenarios.study_cli import main

NAME = "concession_vs_cut"
FIRM = "a"
ARMS = {"hold": "C7", "cut": "C3", "concession": "C0"}
#: Bar colours of the paired differences (distinct from the arms' line colours).
BAR_COLORS = ("#6a3d9a", "#cab2d6", "#b15928", "#fdbf6f")
#: (outcome, digits) compared between arms, paired over replicates.
COMPARED = (("cycle profit", 0), ("profit after recovery", 0),
            ("average price after recovery", 2), ("insiders at end", 0))
#: (x, y) arm pairs compared; the claim is "concession beats cut".
PAIRS = (("concession", "cut"), ("concession", "hold"), ("cut", "hold"))
#: Known engine issue at the time of writing (remove once fixed): customers whose budget
#: covers only the deal price may still buy at the posted price without committing.
def recovery_period(ds: xr.Dataset) -> int:
    """First period after the last one below normal times."""
    econ = ds["economy_index"].isel(condition=0, arm=0, replicate=0)
    down = np.flatnonzero(econ.values < 1.0)
    return int(down.max()) + 1 if down.size else 0


def deal_share(ds: xr.Dataset) -> xr.DataArray:
    """Share of firm a's conceded-period sales (at list value) taken on the deal; NaN if none."""
    own = ds["offer_firm"] == FIRM
    at_list = (ds["units"] * ds["price"]).where(own, 0.0)
    foregone = at_list.sum("offer") - ds["firm_revenue"].sel(firm=FIRM)
    potential = (at_list * ds["concession"]).sum("offer")
    total = potential.sum("period")
    return (foregone.sum("period") / total).where(total > 0)


def outcomes(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """Firm a's outcomes per condition, arm and replicate."""
    profit = ds["profit"].sel(firm=FIRM)
    after = slice(recovery_period(ds), None)
    insiders = ds["customers"].sel(firm=FIRM, state="insider")
    committed = ds["committed"].sel(firm=FIRM)
    return {
        "cycle profit": profit.sum("period"),
        "profit after recovery": profit.isel(period=after).sum("period"),
        "average price after recovery": ds["average_price"].sel(firm=FIRM).isel(
            period=after).mean("period"),
        "insiders at end": insiders.isel(period=-1),
        "peak share of insiders committed": (committed / insiders.where(insiders > 0)).max(
            "period").fillna(0.0),
        "sales taken on the deal": deal_share(ds),
    }


def describe(overrides) -> str:
    """A condition in words, from its overrides."""
    got = {}
    for o in overrides:
        key, _, value = o.partition("=")
        got.setdefault(key.rsplit(".", 1)[-1], value)
    words = []
    if "loss_aversion" in got:
        words.append(f"loss aversion {got['loss_aversion']}")
    if "price_quality_share" in got:
        words.append(f"quality-inferring share {got['price_quality_share']}")
    if "commitment_cost" in got:
        words.append(f"commitment cost {got['commitment_cost']}/period")
    return ", ".join(words) or "base scenario"


def _shade_downturn(ds: xr.Dataset, ax) -> None:
    econ = ds["economy_index"].isel(condition=0, arm=0, replicate=0).values
    down = np.flatnonzero(econ < 1.0)
    if down.size:
        ax.axvspan(down.min() - 0.5, down.max() + 0.5, color="0.9", zorder=0)


def plot_paths(ds: xr.Dataset, var: str, condition: str, ax, *, scale: float = 1.0,
               ylabel: str = "") -> None:
    """Firm a's mean ``var`` per period under each arm (downturn shaded)."""
    _shade_downturn(ds, ax)
    for arm, color in ARMS.items():
        if arm not in ds["arm"]:
            continue
        mean = ds[var].sel(firm=FIRM, condition=condition, arm=arm).mean("replicate")
        ax.plot(ds["period"], mean / scale, color=color, lw=1.4, label=arm)
    ax.set(title=condition.replace("_", " "), xlabel="period", ylabel=ylabel)
    ax.grid(alpha=0.3)


def plot_committed(ds: xr.Dataset, ax) -> None:
    """Customers committed to firm a under the concession arm, per condition."""
    _shade_downturn(ds, ax)
    styles = ("-", "--", "-.", ":")
    for k, c in enumerate(ds["condition"].values):
        mean = ds["committed"].sel(firm=FIRM, condition=c, arm="concession").mean("replicate")
        ax.plot(ds["period"], mean / 1e3, color=f"C{k}", ls=styles[k % len(styles)], lw=1.8,
                label=str(c).replace("_", " "))
    ax.set(title="committed to a, concession arm (lines can coincide)", xlabel="period",
           ylabel="customers (thousands)")
    ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1e-3) * 1.5)  # room for the legend
    ax.legend(fontsize="small", loc="upper right")
    ax.grid(alpha=0.3)


def plot_differences(rows: list[tuple[str, str, str, float, float, float]], ax) -> None:
    """Paired differences in firm a's profit, grouped by condition, with 95% intervals."""
    conditions = list(dict.fromkeys(r[0] for r in rows))
    kinds = list(dict.fromkeys((r[1], r[2]) for r in rows))
    height = 0.8 / len(kinds)
    for k, (label, outcome) in enumerate(kinds):
        sel = [r for r in rows if (r[1], r[2]) == (label, outcome)]
        y = np.array([conditions.index(r[0]) for r in sel]) + (k - (len(kinds) - 1) / 2) * height
        m = np.array([r[3] for r in sel]) / 1e3
        err = np.array([[r[3] - r[4], r[5] - r[3]] for r in sel]).T / 1e3
        ax.barh(y, m, height=height * 0.9, xerr=err, color=BAR_COLORS[k % len(BAR_COLORS)],
                capsize=2,
                label=f"{label}, {outcome}")
    ax.set_yticks(range(len(conditions)), [c.replace("_", " ") for c in conditions])
    ax.invert_yaxis()
    ax.axvline(0, color="k", lw=0.8)
    ax.set(title="firm a: paired profit differences (95% CI)",
           xlabel="difference (thousands)")
    ax.legend(fontsize="small", loc="best")
    ax.grid(alpha=0.3, axis="x")


def _cell(v: xr.DataArray, digits: int) -> str:
    x = v.values
    if np.all(np.isnan(x)):
        return "—"
    return fmt(*mean_ci(x), digits=digits)


def analyse(ds: xr.Dataset, params) -> tuple[str, plt.Figure]:
    out = outcomes(ds)
    digits = {"average price after recovery": 2, "peak share of insiders committed": 3,
              "sales taken on the deal": 3}
    lines = ["## Results (firm a; mean [95% CI] over replicates)\n",
             f"Rivals b and c hold their prices in every arm. The downturn lasts periods "
             f"where the economy index is below 1; \"after recovery\" is period "
             f"{recovery_period(ds)} on. Cut and concession have the same depth and trigger; "
             f"the concession binds its takers for the configured commitment.\n"]
    summary, bars = [], []
    for c in ds["condition"].values:
        c = str(c)
        lines.append(f"\n### Condition: {c} ({describe(params.conditions[c])})\n")
        lines.append("| arm | " + " | ".join(out) + " |")
        lines.append("|---" * (len(out) + 1) + "|")
        for a in ds["arm"].values:
            cells = [_cell(v.sel(condition=c, arm=a), digits.get(k, 0)) for k, v in out.items()]
            lines.append(f"| {a} | " + " | ".join(cells) + " |")
        lines.append("\nPaired differences (verdict: does the first arm beat the second?):\n")
        found = {}
        for x, y in PAIRS:
            for k, dg in COMPARED:
                v = out[k].sel(condition=c)
                m, lo, hi = paired_ci(v.sel(arm=x).values, v.sel(arm=y).values)
                found[(x, y, k)] = (m, lo, hi)
                lines.append(f"- {x} − {y}, {k}: {fmt(m, lo, hi, dg)} → "
                             f"**{verdict(lo, hi)}**")
                if k in ("cycle profit", "profit after recovery") and (x, y) != ("cut", "hold"):
                    bars.append((c, f"{x} − {y}", k, m, lo, hi))
        summary.append((c, found, out["peak share of insiders committed"].sel(
            condition=c, arm="concession").values))
    lines.append("\n## Reading\n")
    lines.append("The claim is judged on firm a's cycle profit, concession − cut; profit "
                 "after recovery and a comparison with simply holding say why.\n")
    by_word: dict[str, list[str]] = {}
    for c, found, committed in summary:
        m, lo, hi = found[("concession", "cut", "cycle profit")]
        word = verdict(lo, hi)
        by_word.setdefault(word, []).append(c)
        post = verdict(*found[("concession", "cut", "profit after recovery")][1:])
        vs_hold = verdict(*found[("concession", "hold", "cycle profit")][1:])
        cut_hold = verdict(*found[("cut", "hold", "cycle profit")][1:])
        price = found[("concession", "cut", "average price after recovery")]
        lines.append(
            f"- **{c}** ({describe(params.conditions[c])}): the claim {_is(word)} over the "
            f"cycle (concession − cut {fmt(m, lo, hi)}) and {_is(post)} after recovery. "
            f"Peak share of firm a's insiders committed: {np.mean(committed):.3f}. "
            f"Does the concession beat holding? {_yes(vs_hold)} "
            f"({fmt(*found[('concession', 'hold', 'cycle profit')])}). "
            f"Does the plain cut beat holding? {_yes(cut_hold)} "
            f"({fmt(*found[('cut', 'hold', 'cycle profit')])}). "
            f"Average price after recovery, concession − cut: {fmt(*price, digits=2)}. "
            + _why(word, vs_hold, cut_hold, float(np.mean(committed))))
    lines.append("\n**When the claim holds and when it fails:** "
                 + "; ".join(f"{w} in {', '.join(cs)}" for w, cs in sorted(by_word.items()))
                 + ".\n")
    lines.append("\nThe verdicts are computed from the runs above; rerun the command to "
                 "reproduce them.\n")
    return "\n".join(lines), figure(ds, bars)


def _yes(word: str) -> str:
    return {"holds": "yes", "fails": "no (it does worse)"}.get(word, "not clearly")


def _is(word: str) -> str:
    return f"is **{word}**" if word == "inconclusive" else f"**{word}**"


def _why(claim: str, vs_hold: str, cut_hold: str, committed: float) -> str:
    """Which comparison carries the verdict, from the three paired verdicts."""
    if claim == "holds" and vs_hold == "holds":
        return ("The concession also beats holding, so its edge over the cut is more than "
                "the cut's own damage avoided.")
    if claim == "holds":
        return ("The concession does not beat holding, so its edge over the cut is the "
                "cut's own damage avoided (list price and reference prices kept).")
    if claim == "fails" and cut_hold == "holds":
        return (f"The plain cut pays here (it beats holding); the concession, taken by at "
                f"most {committed:.0%} of firm a's insiders at a time, does not match it.")
    if claim == "fails":
        return "The concession's discount costs more than its commitments bring."
    return "The difference is within the replicate noise."


def figure(ds: xr.Dataset, bars) -> plt.Figure:
    conditions = [str(c) for c in ds["condition"].values]
    n, cols = len(conditions), max(len(conditions), 2)
    top = [f"p{k}" for k in range(n)] + ["."] * (cols - n)
    mid = [f"q{k}" for k in range(n)] + ["."] * (cols - n)
    bottom = ["committed"] + ["diff"] * (cols - 1)
    fig, axes = plt.subplot_mosaic([top, mid, bottom], figsize=(4.6 * cols, 13),
                                   layout="constrained")
    for k, c in enumerate(conditions):
        plot_paths(ds, "profit", c, axes[f"p{k}"], scale=1e3,
                   ylabel="profit per period (thousands)")
        plot_paths(ds, "average_price", c, axes[f"q{k}"], ylabel="average realised price")
    axes["p0"].legend(fontsize="small", loc="lower left")
    plot_committed(ds, axes["committed"])
    plot_differences(bars, axes["diff"])
    fig.suptitle(f"Firm a: concession vs cut vs hold (means of {ds.sizes['replicate']} "
                 "replicates; grey: downturn)", fontsize="large")
    return fig


if __name__ == "__main__":
    raise SystemExit(main(NAME, analyse))
