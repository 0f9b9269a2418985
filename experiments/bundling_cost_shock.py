"""Claim 5: bundling keeps price; an unbundled low option keeps the price-sensitive.

Firm suite sells core + service only as the bundle ``complete`` when unit
costs jump. It keeps pure bundling at held prices (``bundle_hold``, the
baseline), keeps pure bundling and passes the cost increase on
(``bundle_pass``), or at the shock puts core and service back on sale beside
the bundle (``mixed``) or instead of it (``components``). Conditions: the
bundle's complementarity. Outcomes for suite after the shock: profit, average
realised price, share of purchases and share of the value seekers' purchases.
Differences are paired across arms (common random numbers). Run::

    python experiments/bundling_cost_shock.py [replicates=5 population.n_customers=5000]
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from scenarios.study import fmt, mean_ci, paired_ci, verdict
from scenarios.study_cli import main

NAME = "bundling_cost_shock"
FIRM = "suite"
SEGMENT = "value_seekers"  # the price-sensitive segment
BASELINE = "bundle_hold"  # pure bundling at held prices
PASS = "bundle_pass"  # pure bundling, cost increase passed on
PRICE, SEG_SHARE = "average price after shock", "value-seeker share after shock"
PROFIT, SHARE = "profit after shock", "share after shock"
DIGITS = {PROFIT: 0, PRICE: 2, SHARE: 3, SEG_SHARE: 3}


def after_shock(ds: xr.Dataset) -> xr.DataArray:
    """Periods from the unit-cost shock's onset on, per condition (all periods without a shock)."""
    cost = ds["unit_cost"].isel(arm=0, replicate=0).sum("offer")
    rose = cost > cost.isel(period=0) * (1 + 1e-9)
    onset = rose.argmax("period").where(rose.any("period"), 0)
    return ds["period"] >= onset


def own(x: xr.DataArray) -> xr.DataArray:
    """``x`` summed over suite's offers."""
    return x.where(x["offer_firm"] == FIRM, 0.0).sum("offer")


def outcomes(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """Suite's outcomes after the shock per condition, arm and replicate."""
    after = after_shock(ds)
    f = ds.sel(firm=FIRM)
    seg = ds["segment_units"].sel(segment=SEGMENT).where(after).sum("period")
    return {
        PROFIT: f["profit"].where(after).sum("period"),
        PRICE: f["firm_revenue"].where(after).sum("period")
        / f["firm_units"].where(after).sum("period"),
        SHARE: f["share"].where(after).mean("period"),
        SEG_SHARE: own(seg) / seg.sum("offer"),
    }


def unbundled_arms(ds: xr.Dataset) -> list[str]:
    """Arms in which some of suite's tiers (the bundle's components) are on sale after the shock."""
    tiers = (ds["offer_firm"] == FIRM) & (ds["offer_rung"] >= 0)
    on = ds["on_sale"].where(after_shock(ds)).sel(offer=tiers).max(["offer", "period"])
    return [str(a) for a in ds["arm"].values if bool((on.sel(arm=a) > 0).any())]


def direction(lo: float, hi: float) -> str:
    if not np.isfinite(lo) or lo <= 0 <= hi:
        return "not distinguishable from"
    return "above" if lo > 0 else "below"


def segment_share_path(ds: xr.Dataset) -> xr.DataArray:
    """Suite's share of the value seekers' purchases per period (pooled over replicates)."""
    seg = ds["segment_units"].sel(segment=SEGMENT).sum("replicate")
    return own(seg) / seg.sum("offer")


def mark_shock(ds: xr.Dataset, condition: str, ax) -> None:
    """Shade the periods after the unit-cost shock, labelled with the cost index reached."""
    after = after_shock(ds).sel(condition=condition)
    if bool(after.all()):
        return
    cost = ds["unit_cost"].sel(condition=condition).isel(arm=0, replicate=0).sum("offer")
    peak = float((cost / cost.isel(period=0)).max())
    onset = int(ds["period"].where(after).min())
    ax.axvspan(onset, int(ds["period"].max()), color="grey", alpha=0.12,
               label=f"unit costs x{peak:.2f}")


def plot_price_paths(ds: xr.Dataset, condition: str, ax) -> None:
    """Suite's average realised price per period under each arm, the shock shaded."""
    d = ds.sel(condition=condition, firm=FIRM)
    for arm in ds["arm"].values:
        a = d.sel(arm=arm)
        ax.plot(ds["period"], a["firm_revenue"].sum("replicate") / a["firm_units"].sum(
            "replicate"), label=str(arm))
    mark_shock(ds, condition, ax)
    ax.set(title=f"{FIRM} average realised price, {condition}", xlabel="period",
           ylabel="price")
    ax.legend(fontsize="small")


def plot_segment_paths(ds: xr.Dataset, condition: str, ax) -> None:
    """Suite's share of the value seekers' purchases per period under each arm."""
    for arm in ds["arm"].values:
        ax.plot(ds["period"], segment_share_path(ds.sel(condition=condition, arm=arm)),
                label=str(arm))
    mark_shock(ds, condition, ax)
    ax.set(title=f"{FIRM} share of {SEGMENT}' purchases, {condition}", xlabel="period",
           ylabel="share")
    ax.legend(fontsize="small")


def plot_differences(rows: list[tuple[str, str, float, float, float]], ax, title: str,
                     xlabel: str, scale: float = 1.0) -> None:
    """Paired differences against pure bundling, with 95% intervals."""
    labels = [f"{c}\n{a} - {BASELINE}" for c, a, *_ in rows]
    m = np.array([r[2] for r in rows]) * scale
    err = np.abs(np.array([[r[2] - r[3], r[4] - r[2]] for r in rows]).T * scale)
    ax.barh(labels, m, xerr=err, color=["C0" if x > 0 else "C3" for x in m])
    ax.axvline(0, color="k", lw=0.8)
    ax.tick_params(axis="y", labelsize="small")
    ax.set(title=f"{title} vs {BASELINE} (95% CI)", xlabel=xlabel)


def analyse(ds: xr.Dataset, params) -> tuple[str, plt.Figure]:
    out = outcomes(ds)
    arms = [str(a) for a in ds["arm"].values]
    unbundled = unbundled_arms(ds)
    others = [a for a in arms if a != BASELINE]
    lines = [f"## Results ({FIRM}, after the unit-cost shock; mean [95% CI] over replicates)\n",
             f"Price-sensitive segment: {SEGMENT}. Arms with {FIRM}'s components on sale after "
             f"the shock (the unbundled low option): {', '.join(unbundled) or 'none'}.\n"]
    diffs: dict[str, list] = {k: [] for k in out}
    claims: dict[str, list] = {PRICE: [], SEG_SHARE: []}
    for c in ds["condition"].values:
        c = str(c)
        lines.append(f"\n### Condition: {c}\n\n| arm | " + " | ".join(out) + " |")
        lines.append("|---" * (len(out) + 1) + "|")
        for a in arms:
            cells = [fmt(*mean_ci(v.sel(condition=c, arm=a).values), digits=DIGITS[k])
                     for k, v in out.items()]
            lines.append(f"| {a} | " + " | ".join(cells) + " |")
        lines.append(f"\nPaired differences against pure bundling ({BASELINE}):\n")
        for a in others:
            for k, v in out.items():
                v = v.sel(condition=c)
                m, lo, hi = paired_ci(v.sel(arm=a).values, v.sel(arm=BASELINE).values)
                diffs[k].append((c, a, m, lo, hi))
                text = f"- {a} − {BASELINE}, {k}: {fmt(m, lo, hi, DIGITS[k])}"
                if a in unbundled and k == PRICE:
                    word = verdict(lo, hi, holds_if_positive=False)
                    claims[k].append((c, a, m, lo, hi, word))
                    text += f" → \"bundling keeps price\" **{word}**"
                elif a in unbundled and k == SEG_SHARE:
                    word = verdict(lo, hi)
                    claims[k].append((c, a, m, lo, hi, word))
                    text += f" → \"an unbundled low option keeps the price-sensitive\" **{word}**"
                lines.append(text)
    lines += reading(ds, out, claims, unbundled)
    nrows = max(2, ds.sizes["condition"])
    fig, axes = plt.subplots(nrows, 4, figsize=(22, 4.6 * nrows), layout="constrained")
    for k, c in enumerate(ds["condition"].values):
        plot_price_paths(ds, str(c), axes[k, 0])
        plot_segment_paths(ds, str(c), axes[k, 1])
    plot_differences(diffs[PRICE], axes[0, 2], "average price after shock", "difference")
    plot_differences(diffs[SEG_SHARE], axes[1, 2], f"{SEGMENT} share after shock",
                     "difference (percentage points)", 100)
    plot_differences(diffs[PROFIT], axes[0, 3], "profit after shock",
                     "difference (thousands)", 1e-3)
    plot_differences(diffs[SHARE], axes[1, 3], "share of purchases after shock",
                     "difference (percentage points)", 100)
    for ax in axes[2:, 2:].flat:
        ax.set_visible(False)
    for ax in axes.flat:
        ax.title.set_fontsize("medium")
    return "\n".join(lines), fig


def reading(ds: xr.Dataset, out: dict[str, xr.DataArray], claims: dict[str, list],
            unbundled: list[str]) -> list[str]:
    """When each half of the claim holds and when it fails, from the computed differences."""
    lines = ["\n## Reading\n"]
    halves = ((PRICE, "Bundling keeps price (the unbundled menu lowers suite's average "
                      "realised price)"),
              (SEG_SHARE, f"An unbundled low option keeps the price-sensitive (suite's share "
                          f"of {SEGMENT}' purchases rises)"))
    for k, label in halves:
        lines.append(f"**{label}:**\n")
        for word in ("holds", "fails", "inconclusive"):
            cases = [f"{c} / {a} ({fmt(m, lo, hi, DIGITS[k])})"
                     for c, a, m, lo, hi, w in claims[k] if w == word]
            lines.append(f"- {word} in: {'; '.join(cases) if cases else 'no case'}")
        lines.append("")
    lines.append("**Trade-offs, per condition** (differences against pure bundling):\n")
    for c in ds["condition"].values:
        c = str(c)
        for a in unbundled:
            parts = []
            for k in (PRICE, SEG_SHARE, PROFIT):
                v = out[k].sel(condition=c)
                m, lo, hi = paired_ci(v.sel(arm=a).values, v.sel(arm=BASELINE).values)
                parts.append(f"{k} {direction(lo, hi)} {BASELINE}'s "
                             f"({fmt(m, lo, hi, DIGITS[k])})")
            lines.append(f"- {c}, {a}: " + "; ".join(parts) + ".")
    if PASS in ds["arm"].values:
        lines.append(f"\n**Unbundling vs passing the cost on through the bundle ({PASS}), "
                     f"{PROFIT}:**\n")
        v = out[PROFIT]
        for c in ds["condition"].values:
            for a in unbundled:
                m, lo, hi = paired_ci(v.sel(condition=c, arm=a).values,
                                      v.sel(condition=c, arm=PASS).values)
                lines.append(f"- {c}, {a} − {PASS}: {fmt(m, lo, hi)} ({a} "
                             f"{direction(lo, hi)} {PASS})")
    lines += notes(ds, out, unbundled)
    lines.append("\nThe verdicts are computed from the runs above; rerun the command to "
                 "reproduce them. Rivals budget and premium hold their prices in every arm.\n")
    return lines


def notes(ds: xr.Dataset, out: dict[str, xr.DataArray], unbundled: list[str]) -> list[str]:
    """How the arms price: read from the posted prices, not assumed."""
    lines = ["\n**How the arms price after the shock** (posted prices, first replicate):\n"]
    after = after_shock(ds)
    offers = [str(o) for o in ds["offer"].values if str(o).startswith(f"{FIRM}/")]
    for c in ds["condition"].values:
        for a in ds["arm"].values:
            d = ds.sel(condition=c, arm=a).isel(replicate=0).where(after.sel(condition=c))
            sold = [f"{o.split('/')[1]} {float(d['price'].sel(offer=o).mean()):.2f}"
                    for o in offers if float(d["on_sale"].sel(offer=o).max()) > 0]
            lines.append(f"- {c}, {a}: on sale {', '.join(sold)}")
    base = out[PRICE].sel(arm=BASELINE)
    if float(base.std()) == 0.0:
        lines.append(f"\nUnder {BASELINE} the realised price is {float(base.mean()):.2f} in "
                     "every replicate and condition (one offer on sale at a held price), so "
                     "half one measures how the unbundled menus' mix of offers moves the "
                     "realised price.")
    if "components" in unbundled:
        lines.append("\nUnder components the bundle offer stands for the basket of both "
                     "components at the sum of their prices, with the bundle's attributes.")
    return lines


if __name__ == "__main__":
    raise SystemExit(main(NAME, analyse))
