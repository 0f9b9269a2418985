"""Claim 3: matching a rival's price cut wins short-run, loses long-run?

Rival b cuts its list prices 30% for 13 periods, then restores them; firm a
holds, matches b (lag 1) or undercuts b by 5%. The short run is the price
episode, found from the posted prices: from b's first cut until every price
of a and b is back at its list price in every run (at most ``SHORT`` periods);
the long run is the last half of the run. Outcomes for firm a: short-run profit and share,
long-run profit, cumulative profit, insiders at the end. Differences against
holding are paired across arms (common random numbers). The claim's two halves
each get a verdict from the 95% interval of match - hold: "wins short-run"
(short-run profit above holding's) and "loses long-run" (long-run profit below
holding's). Run::

    python experiments/match_cut.py [replicates=5 population.n_customers=5000]
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from scenarios.study import fmt, mean_ci, paired_ci, verdict
from scenarios.study_cli import main

NAME = "match_cut"
FIRM = "a"
RIVAL = "b"
BASELINE = "hold"
FOCUS = "match"
SHORT = 26  # at most this many periods from the rival's first cut count as the short run


def firm_offers(price: xr.DataArray, firms: tuple[str, ...]) -> xr.DataArray:
    """The prices of the offers of ``firms``."""
    names = price["offer"].values.astype(str)
    owner = (price["offer_firm"].values.astype(str) if "offer_firm" in price.coords
             else np.array([n.split("/")[0] for n in names]))
    return price.isel(offer=np.flatnonzero(np.isin(owner, firms)))


def _below_list(price: xr.DataArray, firms: tuple[str, ...]) -> np.ndarray:
    """Per period: is any offer of ``firms`` posted below its period-0 (list) price in any run?"""
    mine = firm_offers(price, firms)
    below = mine < mine.isel(period=0) * (1 - 1e-9)
    return below.any([d for d in below.dims if d != "period"]).values


def windows(ds: xr.Dataset) -> tuple[slice, slice]:
    """Short run (the price episode) and long run (the last half of the run).

    The episode starts at the first period in which any of the rival's offers is
    posted below its period-0 (list) price in any run, and ends when no offer of
    firm a or the rival is below list in any run, or after ``SHORT`` periods.
    """
    n = ds.sizes["period"]
    cut = np.flatnonzero(_below_list(ds["price"], (RIVAL,)))
    start = int(cut[0]) if cut.size else 0
    off = _below_list(ds["price"], (FIRM, RIVAL))
    stop = start + 1
    while stop < min(start + SHORT, n) and off[stop]:
        stop += 1
    return slice(start, stop), slice(n // 2, n)


def outcomes(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """Firm a's outcomes per condition, arm and replicate."""
    short, long = windows(ds)
    profit = ds["profit"].sel(firm=FIRM)
    return {
        "short-run profit": profit.isel(period=short).sum("period"),
        "short-run share": ds["share"].sel(firm=FIRM).isel(period=short).mean("period"),
        "long-run profit": profit.isel(period=long).sum("period"),
        "cumulative profit": profit.sum("period"),
        "insiders at end": ds["customers"].sel(firm=FIRM, state="insider").isel(period=-1),
    }


def digits(key: str) -> int:
    return 3 if "share" in key else 0


def paired(out: dict[str, xr.DataArray], key: str, condition: str, arm: str,
           against: str = BASELINE) -> tuple[float, float, float]:
    v = out[key].sel(condition=condition)
    return paired_ci(v.sel(arm=arm).values, v.sel(arm=against).values)


def claim_verdicts(out: dict[str, xr.DataArray], condition: str) -> dict[str, tuple]:
    """Each half of the claim, for match vs hold: (outcome, mean, low, high, verdict)."""
    res = {}
    for half, key, positive in (("wins short-run (profit)", "short-run profit", True),
                                ("wins short-run (share)", "short-run share", True),
                                ("loses long-run (profit)", "long-run profit", False)):
        m, lo, hi = paired(out, key, condition, FOCUS)
        res[half] = (key, m, lo, hi, verdict(lo, hi, holds_if_positive=positive))
    return res


def overall(halves: dict[str, tuple]) -> str:
    """The whole claim (profit halves): holds if both hold, fails if either fails."""
    words = [halves["wins short-run (profit)"][-1], halves["loses long-run (profit)"][-1]]
    if "fails" in words:
        return "fails"
    return "holds" if all(w == "holds" for w in words) else "inconclusive"


def reading(half: str, m: float, lo: float, hi: float, word: str) -> str:
    """One half of the claim in words, from its interval (no direction if inconclusive)."""
    what = half.split(" (")[1].rstrip(")")
    when = half.split(" ")[1]
    key = f"{when} {what}"
    size = fmt(m, lo, hi, 3 if what == "share" else 0)
    if word == "inconclusive":
        return f"no clear {key} difference ({size}; '{half}' inconclusive)"
    return (f"matching {'raises' if m > 0 else 'lowers'} {key} ({size}; "
            f"'{half}' {word})")


def plot_paths(ds: xr.Dataset, variable: str, condition: str, ax, *, scale: float = 1.0,
               ylabel: str = "") -> None:
    """Firm a's mean path of ``variable`` per arm; the short and long windows shaded."""
    short, long = windows(ds)
    period = ds["period"].values
    for arm in ds["arm"].values:
        mean = ds[variable].sel(firm=FIRM, condition=condition, arm=arm).mean("replicate")
        ax.plot(period, mean / scale, label=str(arm), lw=1.4)
    ax.axvspan(period[short.start] - 0.5, period[short.stop - 1] + 0.5, color="C3", alpha=0.08,
               label="short run")
    ax.axvspan(period[long.start] - 0.5, period[-1] + 0.5, color="grey", alpha=0.08,
               label="long run")
    ax.set(title=f"firm {FIRM}, {condition}", xlabel="period", ylabel=ylabel)
    ax.margins(x=0)


def plot_differences(out: dict[str, xr.DataArray], key: str, ax) -> None:
    """Paired differences vs holding in ``key``, per condition and arm, with 95% intervals."""
    rows = []
    for c in out[key]["condition"].values:
        for a in [x for x in out[key]["arm"].values if x != BASELINE]:
            rows.append((f"{c}\n{a} − {BASELINE}", *paired(out, key, str(c), str(a))))
    labels = [r[0] for r in rows][::-1]
    m = np.array([r[1] for r in rows][::-1]) / 1e3
    err = np.array([[r[1] - r[2], r[3] - r[1]] for r in rows][::-1]).T / 1e3
    ax.barh(labels, m, xerr=np.nan_to_num(err), capsize=3,
            color=["C0" if x > 0 else "C3" for x in m])
    ax.axvline(0, color="k", lw=0.8)
    ax.tick_params(axis="y", labelsize="small")
    ax.set(title=f"{key} vs {BASELINE} (95% CI)", xlabel="difference (thousands)")


def analyse(ds: xr.Dataset, params) -> tuple[str, plt.Figure]:
    out = outcomes(ds)
    short, long = windows(ds)
    period = ds["period"].values
    conditions = [str(c) for c in ds["condition"].values]
    arms = [str(a) for a in ds["arm"].values]
    rival = firm_offers(ds["price"], (RIVAL,))
    low = float((rival / rival.isel(period=0)).mean("offer").min())
    cut_periods = period[np.flatnonzero(_below_list(ds["price"], (RIVAL,)))]
    lines = [
        "## Design\n",
        f"Rival {RIVAL}'s posted prices fall to {low:.0%} of list on average"
        + (f" in periods {cut_periods[0]}–{cut_periods[-1]}" if cut_periods.size else "")
        + f"; firm {FIRM}'s arms: " + ", ".join(arms) + ". "
        f"**Short run** (the price episode, from {RIVAL}'s cut until every price of "
        f"{FIRM} and {RIVAL} is back at list): periods {period[short.start]}–"
        f"{period[short.stop - 1]}; **long run** (the last half of the run): periods "
        f"{period[long.start]}–{period[-1]}."
        + (" *The two windows overlap at this horizon.*" if long.start < short.stop else "")
        + " Loss aversion weighs only prices above a customer's reference price, so it "
        "matters once cut prices are restored, not while they are cut.\n",
        "## Results (firm a; mean [95% CI] over replicates)\n",
    ]
    verdicts = {}
    for c in conditions:
        lines.append(f"\n### Condition: {c}\n\n| arm | " + " | ".join(out) + " |")
        lines.append("|---" * (len(out) + 1) + "|")
        for a in arms:
            cells = [fmt(*mean_ci(v.sel(condition=c, arm=a).values), digits=digits(k))
                     for k, v in out.items()]
            lines.append(f"| {a} | " + " | ".join(cells) + " |")
        lines.append(f"\nPaired differences against {BASELINE}:\n\n| difference | "
                     + " | ".join(out) + " |")
        lines.append("|---" * (len(out) + 1) + "|")
        for a in [x for x in arms if x != BASELINE]:
            cells = [fmt(*paired(out, k, c, a), digits=digits(k)) for k in out]
            lines.append(f"| {a} − {BASELINE} | " + " | ".join(cells) + " |")
        if FOCUS in arms and BASELINE in arms:
            halves = claim_verdicts(out, c)
            verdicts[c] = halves
            lines.append("\nThe claim, from match − hold:\n")
            for half, (key, m, lo, hi, word) in halves.items():
                lines.append(f"- matching {half}: {key} difference "
                             f"{fmt(m, lo, hi, digits(key))} → **{word}**")
            lines.append(f"- whole claim (both profit halves): **{overall(halves)}**")
    lines.append("\n## Reading\n")
    for c, halves in verdicts.items():
        lines.append(f"- **{c}**: " + "; ".join(reading(h, *halves[h][1:]) for h in (
            "wins short-run (profit)", "wins short-run (share)", "loses long-run (profit)"))
            + f". Whole claim: **{overall(halves)}**.")
    by_word = {w: [c for c, h in verdicts.items() if overall(h) == w]
               for w in ("holds", "fails", "inconclusive")}
    summary = "; ".join(f"{w} with {' and '.join(cs)} customers"
                        for w, cs in by_word.items() if cs)
    if summary:
        lines.append(f"\nIn short, the whole claim {summary}.")
    lines.append(f"\nThe verdicts are computed from the runs above; rerun the command to "
                 f"reproduce them. Rival {RIVAL}'s cut is the same in every arm (its strategy "
                 f"does not react to firm a); firm c holds its prices.\n")
    n = len(conditions)
    fig, axes = plt.subplots(2, n + 1, figsize=(5 * (n + 1), 8.5), layout="constrained")
    axes = np.asarray(axes).reshape(2, n + 1)
    for k, c in enumerate(conditions):
        plot_paths(ds, "profit", c, axes[0, k], scale=1e3, ylabel="profit (thousands)")
        plot_paths(ds, "share", c, axes[1, k], ylabel="share of purchases")
    axes[0, 0].legend(fontsize="small")
    plot_differences(out, "short-run profit", axes[0, n])
    plot_differences(out, "long-run profit", axes[1, n])
    fig.suptitle(f"Firm {FIRM} when rival {RIVAL} cuts: mean paths over "
                 f"{ds.sizes['replicate']} replicates, and paired differences")
    return "\n".join(lines), fig


if __name__ == "__main__":
    raise SystemExit(main(NAME, analyse))
