"""Claim 2: holding (or raising) price in a downturn vs cutting, while rivals cut.

Firm a holds, cuts 15% or raises 10% while the economy index is down; its
rivals b and c cut. Outcomes for firm a: profit over the whole cycle, profit
after the recovery, share and insiders at the end. Differences are paired
across arms (common random numbers). Run::

    python experiments/downturn_response.py [replicates=5 population.n_customers=5000]
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from scenarios.study import fmt, mean_ci, paired_ci, verdict
from scenarios.study_cli import main

NAME = "downturn_response"
FIRM = "a"


def outcomes(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """Firm a's outcomes per condition, arm and replicate."""
    profit = ds["profit"].sel(firm=FIRM)
    econ = ds["economy_index"].isel(condition=0, arm=0, replicate=0)
    down = np.flatnonzero(econ.values < 1.0)
    after = int(down.max()) + 1 if down.size else 0
    return {
        "cycle profit": profit.sum("period"),
        "profit after recovery": profit.isel(period=slice(after, None)).sum("period"),
        "final share": ds["share"].sel(firm=FIRM).isel(period=slice(-4, None)).mean("period"),
        "insiders at end": ds["customers"].sel(firm=FIRM, state="insider").isel(period=-1),
    }


def plot_profit_paths(ds: xr.Dataset, condition: str, ax) -> None:
    """Firm a's mean profit per period under each arm, with the economy index."""
    for arm in ds["arm"].values:
        mean = ds["profit"].sel(firm=FIRM, condition=condition, arm=arm).mean("replicate")
        ax.plot(ds["period"], mean / 1e3, label=str(arm))
    twin = ax.twinx()
    twin.plot(ds["period"], ds["economy_index"].sel(condition=condition).isel(
        arm=0, replicate=0), color="grey", ls=":", label="economy")
    twin.set_ylabel("economy index")
    ax.set(title=f"firm {FIRM}, {condition}", xlabel="period", ylabel="profit (thousands)")
    ax.legend(fontsize="small")


def plot_differences(rows: list[tuple[str, str, float, float, float]], ax) -> None:
    """Paired differences in cycle profit vs cutting, with 95% intervals."""
    labels = [f"{c}\n{a} - cut" for c, a, *_ in rows]
    m = np.array([r[2] for r in rows]) / 1e3
    err = np.array([[r[2] - r[3], r[4] - r[2]] for r in rows]).T / 1e3
    ax.barh(labels, m, xerr=err, color=["C0" if x > 0 else "C3" for x in m])
    ax.axvline(0, color="k", lw=0.8)
    ax.set(title="cycle profit vs cutting (95% CI)", xlabel="difference (thousands)")


def analyse(ds: xr.Dataset, params) -> tuple[str, plt.Figure]:
    out = outcomes(ds)
    lines = ["## Results (firm a; mean [95% CI] over replicates)\n"]
    diffs = []
    for c in ds["condition"].values:
        lines.append(f"\n### Condition: {c}\n\n| arm | " + " | ".join(out) + " |")
        lines.append("|---" * (len(out) + 1) + "|")
        for a in ds["arm"].values:
            cells = [fmt(*mean_ci(v.sel(condition=c, arm=a).values), digits=3 if "share" in k
                         else 0) for k, v in out.items()]
            lines.append(f"| {a} | " + " | ".join(cells) + " |")
        lines.append("\nPaired differences against cutting:\n")
        for a in [x for x in ds["arm"].values if x != "cut"]:
            for k in ("cycle profit", "profit after recovery"):
                v = out[k].sel(condition=c)
                m, lo, hi = paired_ci(v.sel(arm=a).values, v.sel(arm="cut").values)
                lines.append(f"- {a} − cut, {k}: {fmt(m, lo, hi)} → claim "
                             f"**{verdict(lo, hi)}**")
                if k == "cycle profit":
                    diffs.append((str(c), str(a), m, lo, hi))
    lines.append("\n## Reading\n")
    for c, a, m, lo, hi in diffs:
        word = verdict(lo, hi)
        lines.append(f"- With {c} customers, {a} vs cut over the cycle: the claim {word} "
                     f"(difference {fmt(m, lo, hi)}).")
    lines.append("\nThe verdicts are computed from the runs above; rerun the command to "
                 "reproduce them. Rivals b and c cut in every arm.\n")
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5), layout="constrained")
    for ax, c in zip(axes[:2], ds["condition"].values, strict=False):
        plot_profit_paths(ds, str(c), ax)
    plot_differences(diffs, axes[2])
    return "\n".join(lines), fig


if __name__ == "__main__":
    raise SystemExit(main(NAME, analyse))
