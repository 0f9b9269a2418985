"""Claim 7: relationships resist commoditisation as price transparency rises.

Two firms sell the same commodity (``configs/firms/commodity_pair.yaml``: one offer at 40,
unit cost 24). Firm ``care`` invests in relationships (arms: no care, light, moderate and
deep care, each at a cost per buyer); firm ``plain`` never does. Price transparency ramps
from 0 to an end level (0, 0.5 or 0.9) between periods 8 and 48: customers who are not
insiders of a firm then see only ``1 - tau`` of its offer's attribute value. Three pricing
regimes: both firms hold the list price (*equal*); ``plain`` prices at cost + 5% while
``care`` holds (*cheap_rival*); ``plain`` undercuts and ``care`` follows it down (*price_war*).

Outcomes per firm over the last ``LATE`` periods (transparency at its end level): net margin
``(revenue - variable cost - cost to serve) / revenue``, profit (fixed costs are 0, so profit
is that numerator), share of purchases, insiders and bonds at the end. The *break-even care
cost* is what care may cost per buyer before it stops paying: the care firm's gain in
contribution before care costs (vs the same replicate with no care) per unit it sells. Where
prices are held it is exact (behaviour does not depend on the care cost); in the price war the
caring firm's floor includes its care cost (strategies see their full unit cost), so there it
compares runs whose prices differ and is only indicative.
Differences are paired over replicates (common random numbers). Run::

    python experiments/relationships_vs_commoditisation.py [replicates=5]
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from scenarios.study import fmt, mean_ci, paired_ci, verdict
from scenarios.study_cli import main

NAME = "relationships_vs_commoditisation"
CARE, PLAIN = "care", "plain"
NONE = "none"  #: the arm without relationship investment (the control)
LATE = 20  #: outcomes are measured over the last LATE periods
MECHANISM_ARM = "moderate"  #: the arm whose mechanism is tabulated and plotted over time
ARM_COLORS = {"none": "0.45", "light": "C2", "moderate": "C0", "deep": "C3"}
REGIME_WORDS = {
    "equal": "both firms hold the list price of 40",
    "cheap_rival": "plain prices at unit cost + 5% = 25.20, care holds the list price",
    "price_war": "plain undercuts 5% a period, care follows (match); each floored at its "
                 "full unit cost (production + care per buyer) + 5%",
}


#: What the model does and does not represent (engine facts, not results of this study).
CAVEATS = [
    "\n## Caveats (the model, not the runs)\n",
    "- Transparency makes offers comparable for non-insiders: around the mean of the offers "
    "a customer considers, attribute differences fade to (1 − tau) and price differences "
    "sharpen to (1 + k tau). Between two identical offers at the same price there is no "
    "difference for it to act on; it bites where prices differ. It moves no price by "
    "itself: margins fall only where a pricing strategy cuts.",
    "- Any purchase makes the buyer an insider of that firm, so the plain firm's insiders are "
    "shielded from transparency too; care changes how fast bonds grow and wear, and makes "
    "more insiders only by winning more purchases.",
    "- Strategies see their full unit cost (production + care per buyer), so the caring "
    "firm's price floor in the price war rises with its care; the care cost is charged per "
    "unit sold.",
    "- Best-response pricing is not used: with two identical firms it raised both prices to "
    "near its markup cap (about 90 on a unit cost of 24) in exploratory runs (its demand fit "
    "assumes a fixed outside share), so it is not a model of price competition here.",
]


def regime_of(condition: str) -> str:
    """The pricing regime of a condition named ``<regime>_tau<level>``."""
    return str(condition).rsplit("_tau", 1)[0]


def layout(ds: xr.Dataset) -> dict[str, list[tuple[float, str]]]:
    """``{regime: [(tau end level, condition), ...]}`` sorted by tau (read from the data)."""
    tau = ds["transparency"].isel(period=-1, arm=0, replicate=0)
    out: dict[str, list[tuple[float, str]]] = {}
    for c in ds["condition"].values:
        out.setdefault(regime_of(c), []).append((round(float(tau.sel(condition=c)), 3), str(c)))
    return {r: sorted(v) for r, v in out.items()}


def firm_outcomes(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """Per condition, arm, replicate and firm, over the last LATE periods."""
    late = ds.isel(period=slice(-LATE, None)).sum("period")
    contribution = late["firm_revenue"] - late["firm_variable_cost"]
    units = late["firm_units"]
    return {
        "net margin": (contribution - late["cost_to_serve"]) / late["firm_revenue"],
        "profit": late["profit"],
        "contribution before care": contribution,
        "share": units / units.sum("firm"),
        "units": units,
        "average price": late["firm_revenue"] / units,
        "insiders at end": ds["customers"].sel(state="insider").isel(period=-1),
        "bond at end": ds["mean_bond"].isel(period=-1),
    }


def care_effects(out: dict[str, xr.DataArray]) -> dict[str, xr.DataArray]:
    """What care does for the care firm, per condition, arm and replicate (paired vs none)."""
    care = {k: v.sel(firm=CARE) for k, v in out.items()}
    gross_gain = care["contribution before care"] - care["contribution before care"].sel(
        arm=NONE)
    gain = care["profit"] - care["profit"].sel(arm=NONE)
    return {
        "profit gain": gain,
        "relative profit gain": gain / care["profit"].sel(arm=NONE),
        "break-even care cost": gross_gain / care["units"],
        "share edge": care["share"] - out["share"].sel(firm=PLAIN),
        "share gain": care["share"] - care["share"].sel(arm=NONE),
        "unit lift": care["units"] / care["units"].sel(arm=NONE) - 1,
        "insider lift": care["insiders at end"] / care["insiders at end"].sel(arm=NONE) - 1,
    }


def _ci(x: xr.DataArray) -> tuple[float, float, float]:
    v = np.asarray(x.values, dtype=np.float64)
    if np.ptp(v) == 0:  # identical in every replicate (e.g. a held price): exact
        return float(v[0]), float(v[0]), float(v[0])
    return mean_ci(v)


def _word(ci: tuple[float, float, float], *, positive: bool = True) -> str:
    m, lo, hi = ci
    if lo == hi:  # exact
        return "holds" if (m > 0) == positive and m != 0 else "fails"
    return verdict(lo, hi, holds_if_positive=positive)


def configured_cost(ds: xr.Dataset) -> dict[str, float]:
    """The care cost per buyer of each arm, read back from the care firm's books."""
    care = ds.sel(firm=CARE).isel(condition=0, replicate=0)
    units = care["firm_units"].sum("period")
    return {str(a): float(care["cost_to_serve"].sel(arm=a).sum("period")
                          / units.sel(arm=a)) for a in ds["arm"].values}


def firm_table(out: dict[str, xr.DataArray], lay: list[tuple[float, str]],
               arms: list[str]) -> list[str]:
    """Both firms' outcomes per transparency level and arm."""
    cols = (("net margin", CARE, 3), ("net margin", PLAIN, 3), ("profit", CARE, 0),
            ("profit", PLAIN, 0), ("share", CARE, 3), ("average price", CARE, 2),
            ("insiders at end", CARE, 0), ("bond at end", CARE, 3))
    lines = ["| tau | arm | " + " | ".join(f"{k} ({f})" for k, f, _ in cols) + " |",
             "|---" * (len(cols) + 2) + "|"]
    for tau, c in lay:
        for a in arms:
            cells = [fmt(*_ci(out[k].sel(condition=c, arm=a, firm=f)), digits=d)
                     for k, f, d in cols]
            lines.append(f"| {tau:g} | {a} | " + " | ".join(cells) + " |")
    return lines


def effect_table(eff: dict[str, xr.DataArray], lay: list[tuple[float, str]],
                 cost: dict[str, float]) -> list[str]:
    """Care's effect on the care firm per transparency level and arm, with verdicts."""
    lines = ["| tau | arm | care cost / buyer | break-even care cost | profit gain vs none "
             "| relative profit gain | share edge over plain | care pays? |",
             "|---" * 8 + "|"]
    for tau, c in lay:
        for a in cost:
            if a == NONE:
                continue
            e = {k: _ci(v.sel(condition=c, arm=a)) for k, v in eff.items()}
            lines.append(
                f"| {tau:g} | {a} | {cost[a]:.2f} | {fmt(*e['break-even care cost'], 2)} | "
                f"{fmt(*e['profit gain'])} | {fmt(*e['relative profit gain'], 3)} | "
                f"{fmt(*e['share edge'], 3)} | **{_word(e['profit gain'])}** |")
    return lines


def trend(eff: dict[str, xr.DataArray], lo: str, hi: str, arm: str) -> dict:
    """Paired change of each care effect from condition ``lo`` to ``hi`` (same replicates)."""
    return {k: paired_ci(v.sel(condition=hi, arm=arm).values,
                         v.sel(condition=lo, arm=arm).values) for k, v in eff.items()}


def claim_row(out, eff, lay, arm: str) -> dict:
    """The claim for one regime and arm, judged at the highest transparency level.

    Holds if the care firm's net margin is positive there, care raises its profit there
    (vs no care, same replicates), and the break-even care cost is higher than at the
    lowest transparency level (care pays more as transparency rises); fails if the margin
    or the profit gain is significantly negative; inconclusive otherwise.
    """
    (_, lo), (_, hi) = lay[0], lay[-1]
    margin = _ci(out["net margin"].sel(condition=hi, arm=arm, firm=CARE))
    pays_lo = _word(_ci(eff["profit gain"].sel(condition=lo, arm=arm)))
    pays_hi = _word(_ci(eff["profit gain"].sel(condition=hi, arm=arm)))
    grows = trend(eff, lo, hi, arm)
    row = {"margin": margin, "margin word": _word(margin), "pays low": pays_lo,
           "pays high": pays_hi, "grows": grows,
           "grows word": _word(grows["break-even care cost"])}
    parts = (row["margin word"], pays_hi, row["grows word"])
    row["claim"] = ("holds" if all(p == "holds" for p in parts)
                    else "fails" if "fails" in parts[:2] else "inconclusive")
    return row


def _reason(row: dict, cost: float, lay) -> str:
    (t_lo, _), (t_hi, _) = lay[0], lay[-1]
    be = row["grows"]["break-even care cost"]
    m = row["margin"]
    if row["margin word"] == "fails":
        return (f"care firm's net margin at tau {t_hi:g} is {fmt(*m, 3)}: the price it "
                f"gets no longer covers unit cost plus {cost:.2f} of care")
    if row["pays high"] != "holds":
        return (f"care costs {cost:.2f} per buyer, more than it earns back at tau {t_hi:g} "
                f"(profit gain vs no care: {row['pays high']}; break-even rises by "
                f"{fmt(*be, 2)} from tau {t_lo:g})")
    flip = (f"; at tau {t_lo:g} care does not pay ({row['pays low']})"
            if row["pays low"] != "holds" else f"; it pays at tau {t_lo:g} too")
    return (f"net margin {fmt(*m, 3)} at tau {t_hi:g}; break-even care cost rises by "
            f"{fmt(*be, 2)} from tau {t_lo:g}{flip}")


def analyse(ds: xr.Dataset, params) -> tuple[str, plt.Figure]:
    out, lays, cost = firm_outcomes(ds), layout(ds), configured_cost(ds)
    eff = care_effects(out)
    arms = [a for a in cost if a != NONE]
    arm = MECHANISM_ARM if MECHANISM_ARM in arms else arms[-1]
    lines = design_section(ds, params, lays, cost)
    rows = {}
    for regime, lay in lays.items():
        lines.append(f"\n### Pricing: {regime} ({REGIME_WORDS.get(regime, regime)})\n")
        lines += firm_table(out, lay, list(cost))
        lines.append("\nWhat care does for the care firm (vs the same replicate with no "
                     "care):\n")
        lines += effect_table(eff, lay, cost)
        lines.append("\nChange from the lowest to the highest transparency level (paired):\n")
        for a in arms:
            g = trend(eff, lay[0][1], lay[-1][1], a)
            lines.append(f"- {a}: break-even care cost {fmt(*g['break-even care cost'], 2)}; "
                         f"profit gain {fmt(*g['profit gain'])}; relative profit gain "
                         f"{fmt(*g['relative profit gain'], 3)}; share gain vs no care "
                         f"{fmt(*g['share gain'], 3)}")
            rows[(regime, a)] = claim_row(out, eff, lay, a)
    lines += verdict_section(out, rows, lays, cost)
    lines += reading_section(ds, out, eff, rows, lays, arm)
    lines += mechanism_section(ds, out, eff, lays, arm) + CAVEATS
    return "\n".join(lines) + "\n", figure(ds, out, eff, lays, cost, arm)


def design_section(ds: xr.Dataset, params, lays, cost) -> list[str]:
    n = next((o.partition("=")[2] for o in reversed(params.base)
              if o.startswith("population.n_customers=")), "the")
    first = ds.sizes["period"] - LATE
    return ["## Design\n",
            f"Firms `care` and `plain` sell the same offer (price 40, unit cost 24, no fixed "
            f"cost) to {n} simulated customers (configs/firms/commodity_pair.yaml). Arms: "
            "firm `care`'s relationship investment `care` and its cost per buyer — "
            + ", ".join(f"{a} ({cost[a]:.2f}/buyer)" for a in cost)
            + ". Pricing regimes: " + "; ".join(f"*{r}*: {REGIME_WORDS.get(r, r)}"
                                               for r in lays)
            + f". Outcomes are sums over periods {first}-{ds.sizes['period'] - 1}, when "
            "transparency is at its end level; *net margin* = (revenue − variable cost − "
            "cost to serve) / revenue; *profit* is that numerator (fixed costs are 0). "
            "*Break-even care cost*: the care firm's contribution before care costs minus "
            "the same replicate's with no care, per unit the care firm sells — care pays iff "
            "it costs less than this per buyer (exact where prices are held; in the price "
            "war the care firm's floor includes its care cost, so there it is indicative).\n",
            "## Results (mean [95% CI] over replicates; differences paired)\n"]


def verdict_section(out, rows, lays, cost) -> list[str]:
    lines = ["\n## Verdicts\n",
             "The claim for one pricing regime and arm **holds** if, at the highest "
             "transparency level, the care firm's net margin is positive *and* care raises "
             "its profit (vs no care), *and* the break-even care cost is higher than at "
             "transparency 0; it **fails** if the margin or the profit gain is "
             "significantly negative.\n",
             "| pricing | arm | care cost | net margin > 0 (high tau) | care pays (tau 0) "
             "| care pays (high tau) | break-even grows | claim |", "|---" * 8 + "|"]
    for (regime, a), r in rows.items():
        lines.append(f"| {regime} | {a} | {cost[a]:.2f} | {r['margin word']} | "
                     f"{r['pays low']} | {r['pays high']} | {r['grows word']} | "
                     f"**{r['claim']}** |")
    lines.append("\n**When the claim holds and when it fails:**\n")
    for (regime, a), r in rows.items():
        lines.append(f"- {regime}, {a} care: **{r['claim']}** — "
                     + _reason(r, cost[a], lays[regime]) + ".")
    lines.append("\n**The firm that does not invest** (`plain`; its net margin over the "
                 "same periods, no-care arm):\n")
    for regime, lay in lays.items():
        m = [fmt(*_ci(out["net margin"].sel(condition=c, arm=NONE, firm=PLAIN)), 3)
             for _, c in lay]
        p = [fmt(*_ci(out["profit"].sel(condition=c, arm=NONE, firm=PLAIN)))
             for _, c in lay]
        taus = ", ".join(f"{t:g}" for t, _ in lay)
        lines.append(f"- {regime}: at tau {taus}: net margin {', '.join(m)}; "
                     f"profit {', '.join(p)}")
    return lines


def _pct(new: float, old: float) -> str:
    return f"{100 * (new / old - 1):+.0f}%"


def _ends(x: xr.DataArray, lay, **where) -> tuple[float, float]:
    """Means of ``x`` at the lowest and the highest transparency level of a regime."""
    return tuple(_ci(x.sel(condition=lay[k][1], **where))[0] for k in (0, -1))


def reading_section(ds: xr.Dataset, out, eff, rows, lays, arm: str) -> list[str]:
    """The verdicts in words, every number computed from the runs above."""
    lines = ["\n## Reading\n"]
    outside = ds["outside_share"].isel(period=slice(-LATE, None)).mean("period")
    for regime, lay in lays.items():
        be = " → ".join(f"{fmt(*_ci(eff['break-even care cost'].sel(condition=c, arm=arm)), 2)}"
                        f" (tau {t:g})" for t, c in lay)
        mine = {a: row for (r, a), row in rows.items() if r == regime}
        flipped = [a for a, row in mine.items()
                   if row["pays low"] != "holds" and row["pays high"] == "holds"]
        holds = [a for a, row in mine.items() if row["claim"] == "holds"]
        plain = _ends(out["net margin"], lay, arm=NONE, firm=PLAIN)
        profit = _ends(out["profit"], lay, arm=NONE, firm=PLAIN)
        gone = _ends(outside, lay, arm=NONE)
        share = {a: _ends(out["share"], lay, arm=a, firm=CARE) for a in (NONE, arm)}
        lines.append(
            f"- **{regime}**: the claim holds for "
            + (f"{', '.join(holds)} care" if holds else "no arm")
            + f". Break-even care cost of {arm} care per buyer: {be}"
            + (f"; transparency turns {', '.join(flipped)} care from a loss into a gain"
               if flipped else "")
            + f". The plain firm's net margin {plain[0]:.3f} → {plain[1]:.3f}, its profit "
            f"{_pct(profit[1], profit[0])}; outside share {gone[0]:.3f} → {gone[1]:.3f}. "
            f"The care firm's share {share[NONE][0]:.3f} → {share[NONE][1]:.3f} without care "
            f"({share[NONE][1] / share[NONE][0]:.0%} kept), {share[arm][0]:.3f} → "
            f"{share[arm][1]:.3f} with {arm} care ({share[arm][1] / share[arm][0]:.0%} kept).")
    return lines + summary(out, eff, rows, lays, arm)


def summary(out, eff, rows, lays, arm: str) -> list[str]:
    """The study's conclusion, each sentence conditional on what the runs show."""
    grows = all(r["grows word"] == "holds" for r in rows.values())
    insiders = all(np.diff(_ends(eff["insider lift"], lay, arm=arm))[0] > 0
                   for lay in lays.values())
    fixed = all(abs(np.diff(_ends(out["net margin"], lay, arm=NONE, firm=PLAIN))[0]) < 1e-3
                for lay in lays.values())
    lost = [r for r in lays if all(row["claim"] == "fails"
                                   for (g, _), row in rows.items() if g == r)]
    text = ["\n**In short.** The care cost per buyer that relationships can pay for "
            + ("rises with transparency for every arm and pricing regime. " if grows else
               "does not rise with transparency everywhere (see the verdict table). ")]
    if insiders:
        text.append(f"The {arm} arm's insider lift over no care is larger at the highest "
                    "transparency in every regime: transparency hides offers' value from all "
                    "but a firm's insiders, and care makes more insiders. ")
    text.append("Transparency does not move the plain firm's net margin in any regime (its "
                "pricing does), so the claim's second half, that non-investors' margins go "
                "to zero, is not produced by transparency in this model. " if fixed else
                "The plain firm's net margin moves with transparency in some regime (see "
                "above). ")
    if lost:
        text.append(f"Where the caring firm competes on price ({', '.join(lost)}), care "
                    "does not pay at any transparency level tested.")
    return ["".join(text) + "\n"]


def mechanism_section(ds: xr.Dataset, out, eff, lays, arm: str) -> list[str]:
    """Where care's value comes from: insiders, the units they buy, the unit margin."""
    outside = ds["outside_share"].isel(period=slice(-LATE, None)).mean("period")
    lines = ["\n## Mechanism\n",
             f"Break-even care cost = unit margin × (1 − units without care / units with "
             f"care): what care is worth per buyer is the margin it protects times the "
             f"volume it adds. Per pricing regime and transparency level, for the *{arm}* "
             "arm (outside share: in-market customers who buy nothing, no-care arm):\n",
             "| pricing | tau | outside share | care firm insiders, none → "
             f"{arm} | insider lift | unit lift | unit margin before care | "
             "break-even care cost |", "|---" * 8 + "|"]
    for regime, lay in lays.items():
        for tau, c in lay:
            ins = out["insiders at end"].sel(condition=c, firm=CARE)
            price = out["average price"].sel(condition=c, arm=arm, firm=CARE)
            unit_cost = (ds["firm_variable_cost"] / ds["firm_units"]).sel(
                condition=c, arm=arm, firm=CARE).isel(period=-1)
            lines.append(
                f"| {regime} | {tau:g} | {fmt(*_ci(outside.sel(condition=c, arm=NONE)), 3)} | "
                f"{fmt(*_ci(ins.sel(arm=NONE)))} → {fmt(*_ci(ins.sel(arm=arm)))} | "
                f"{fmt(*_ci(eff['insider lift'].sel(condition=c, arm=arm)), 3)} | "
                f"{fmt(*_ci(eff['unit lift'].sel(condition=c, arm=arm)), 3)} | "
                f"{fmt(*_ci(price - unit_cost), 2)} | "
                f"{fmt(*_ci(eff['break-even care cost'].sel(condition=c, arm=arm)), 2)} |")
    return lines


def _errorbar(ax, x, cis, **kw) -> None:
    m = np.array([c[0] for c in cis])
    err = np.array([[c[0] - c[1], c[2] - c[0]] for c in cis]).T
    ax.errorbar(x, m, yerr=err, capsize=3, marker="o", ms=4, **kw)


def plot_breakeven(eff, lay, cost: dict[str, float], regime: str, ax) -> None:
    """Break-even care cost vs transparency per arm; dashed: what each arm's care costs."""
    taus = [t for t, _ in lay]
    for a, k in cost.items():
        if a == NONE:
            continue
        color = ARM_COLORS.get(a)
        _errorbar(ax, taus, [_ci(eff["break-even care cost"].sel(condition=c, arm=a))
                             for _, c in lay], color=color, label=f"{a} care")
        ax.axhline(k, color=color, ls="--", lw=1)
    ax.set(title=f"{regime}: care pays where above its cost (dashed)",
           xlabel="transparency (end level)", ylabel="break-even care cost per buyer")
    ax.grid(alpha=0.3)


def plot_by_tau(out, lay, var: str, regime: str, ax, *, scale: float = 1.0,
                ylabel: str = "") -> None:
    """``var`` of the care firm per arm (solid) and of the plain firm without care (dashed)."""
    taus = [t for t, _ in lay]
    for a in out[var]["arm"].values:
        _errorbar(ax, taus, [tuple(x / scale for x in _ci(out[var].sel(
            condition=c, arm=a, firm=CARE))) for _, c in lay],
            color=ARM_COLORS.get(str(a)), label=f"care firm, {a}")
    _errorbar(ax, taus, [tuple(x / scale for x in _ci(out[var].sel(
        condition=c, arm=NONE, firm=PLAIN))) for _, c in lay],
        color="k", ls="--", label="plain firm (no-care arm)")
    ax.axhline(0, color="k", lw=0.6)
    ax.set(title=f"{regime}: {var}", xlabel="transparency (end level)", ylabel=ylabel)
    ax.grid(alpha=0.3)


def plot_share_paths(ds: xr.Dataset, lay, regime: str, arm: str, ax) -> None:
    """The care firm's share of purchases over time, no care vs ``arm``, low vs high tau."""
    for (tau, c), ls in ((lay[0], ":"), (lay[-1], "-")):
        for a in (NONE, arm):
            share = ds["share"].sel(condition=c, arm=a, firm=CARE).mean("replicate")
            ax.plot(ds["period"], share, color=ARM_COLORS.get(a), ls=ls, lw=1.4,
                    label=f"{a}, tau {tau:g}")
    tau = ds["transparency"].sel(condition=lay[-1][1]).isel(arm=0, replicate=0)
    ax.fill_between(ds["period"], 0, tau.values, color="0.85", zorder=0,
                    label=f"transparency (tau {lay[-1][0]:g})")
    ax.axvspan(ds.sizes["period"] - LATE - 0.5, ds.sizes["period"] - 0.5, color="y",
               alpha=0.12, zorder=0)
    ax.set(title=f"{regime}: care firm's share (yellow: measured)", xlabel="period",
           ylabel="share of purchases", ylim=(0, 1))
    ax.grid(alpha=0.3)


def figure(ds: xr.Dataset, out, eff, lays, cost, arm: str) -> plt.Figure:
    regimes = list(lays)
    rows = [[f"{k}{r}" for r in regimes] for k in ("b", "m", "p", "s")]
    fig, axes = plt.subplot_mosaic(rows, figsize=(5 * len(regimes), 17), layout="constrained")
    for r in regimes:
        lay = lays[r]
        plot_breakeven(eff, lay, cost, r, axes[f"b{r}"])
        plot_by_tau(out, lay, "net margin", r, axes[f"m{r}"], ylabel="net margin (after care)")
        plot_by_tau(out, lay, "profit", r, axes[f"p{r}"], scale=1e6,
                    ylabel=f"profit, last {LATE} periods (millions)")
        plot_share_paths(ds, lay, r, arm, axes[f"s{r}"])
    for k in ("b", "m", "s"):
        axes[f"{k}{regimes[0]}"].legend(fontsize="small", loc="best")
    fig.suptitle("Relationships vs commoditisation: firm `care` (arms) vs firm `plain`, "
                 f"means and 95% CIs over {ds.sizes['replicate']} replicates", fontsize="large")
    return fig


if __name__ == "__main__":
    raise SystemExit(main(NAME, analyse))
