"""Claim 6: value-ladder shape — number of tiers and step size (cannibalisation, overload).

Firm b sells a ladder of 2, 3, 5 or 7 tiers spread over a fixed price range (35 to 83;
unit cost 16 to 43), with large or small value steps between tiers (the top rung better
than the bottom one by 3.0 or 1.2 on every attribute); firms a and c keep their 3-tier
ladders. Two conditions: the default context effects, and overload-prone shoppers (each
near-identical offer in a shopper's set adds 0.5 to the outside option). Outcomes for firm
b over the horizon: profit, share, average realised price, the market's outside share
(overload shows there), the share of b's units on its lowest rung and b's mean ladder
position (cannibalisation: units moving down-ladder). Differences are paired across arms
and conditions (common random numbers). Run::

    python experiments/ladder_shape.py [replicates=5 population.n_customers=5000]
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from scenarios.study import fmt, mean_ci, paired_ci, verdict
from scenarios.study_cli import main

NAME = "ladder_shape"
FIRM = "b"
REFERENCE = 3  # tiers of the reference ladder (firm b's default good/better/best)

DIGITS = {"profit": 0, "share": 3, "average price": 2, "outside share": 3,
          "lowest-tier share": 3, "ladder position": 3}


def step_of(arm: str) -> str:
    """The step-size label of an arm named ``<step>_<tiers>``."""
    return str(arm).rsplit("_", 1)[0]


def rungs(ds: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """Rung (0 = lowest) of each of the firm's offers per arm, NaN where the arm lacks it.

    The rung is the offer's rank by posted price in the first period (a ladder's price
    rises rung by rung); offers absent from an arm's ladder have NaN prices after the
    study's outer join on ``offer``.
    """
    mine = [o for o in ds["offer"].values if str(o).startswith(f"{FIRM}/")]
    price = ds["price"].sel(offer=mine).isel(condition=0, replicate=0, period=0)
    rank = xr.apply_ufunc(_rank, price, input_core_dims=[["offer"]],
                          output_core_dims=[["offer"]], vectorize=True)
    return rank.reset_coords(drop=True)


def _rank(price: np.ndarray) -> np.ndarray:
    out = np.full(price.shape, np.nan)
    ok = np.isfinite(price)
    out[ok] = np.argsort(np.argsort(price[ok], kind="stable"), kind="stable")
    return out


def n_tiers(ds: xr.Dataset) -> xr.DataArray:
    """Number of tiers of the firm's ladder per arm."""
    return rungs(ds).notnull().sum("offer")


def outcomes(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """Firm b's outcomes per condition, arm and replicate (whole horizon)."""
    rung = rungs(ds)
    top = rung.max("offer")
    units = ds["units"].sel(offer=rung["offer"]).sum("period", min_count=1)
    total = units.sum("offer")
    return {
        "profit": ds["profit"].sel(firm=FIRM).sum("period"),
        "share": ds["share"].sel(firm=FIRM).mean("period"),
        "average price": (ds["firm_revenue"].sel(firm=FIRM).sum("period")
                          / ds["firm_units"].sel(firm=FIRM).sum("period")),
        "outside share": ds["outside_share"].mean("period"),
        "lowest-tier share": units.where(rung == 0).sum("offer") / total,
        "ladder position": (units * rung / top.where(top > 0)).sum("offer") / total,
    }


def ladder_mix(ds: xr.Dataset, condition: str) -> dict[str, np.ndarray]:
    """Mean share of the firm's units on each rung (lowest first), per arm."""
    rung = rungs(ds)
    units = ds["units"].sel(offer=rung["offer"], condition=condition).sum("period")
    mix = {}
    for arm in ds["arm"].values:
        r = rung.sel(arm=arm)
        offers = r["offer"].values[np.isfinite(r.values)]
        order = offers[np.argsort(r.sel(offer=offers).values)]
        u = units.sel(arm=arm, offer=order)
        mix[str(arm)] = (u / u.sum("offer")).mean("replicate").values
    return mix


def arms_by_step(ds: xr.Dataset) -> dict[str, list[tuple[int, str]]]:
    """``{step: [(tiers, arm), ...]}`` sorted by tiers."""
    n = n_tiers(ds)
    out: dict[str, list[tuple[int, str]]] = {}
    for arm in ds["arm"].values:
        out.setdefault(step_of(arm), []).append((int(n.sel(arm=arm)), str(arm)))
    return {s: sorted(v) for s, v in out.items()}


def _diff(v: xr.DataArray, c: str, a: str, b: str) -> tuple[float, float, float]:
    return paired_ci(v.sel(condition=c, arm=a).values, v.sel(condition=c, arm=b).values)


def tiers_verdict(out: dict[str, xr.DataArray], c: str, ladder: list[tuple[int, str]]) -> dict:
    """"More tiers raise profit up to a point, then lower it" for one condition and step size.

    The best ladder n* has the highest mean profit. The claim holds if n* is interior, n*
    beats the fewest tiers and the most tiers fall below n* (both 95% CIs exclude 0). It
    fails if profit still rises significantly at the largest ladder (or falls already from
    the smallest), and is inconclusive otherwise.
    """
    profit = out["profit"].sel(condition=c)
    means = [float(profit.sel(arm=a).mean()) for _, a in ladder]
    k = int(np.argmax(means))
    (n_lo, a_lo), (n_best, a_best), (n_hi, a_hi) = ladder[0], ladder[k], ladder[-1]
    res = {"best": n_best, "best_arm": a_best, "rise": None, "fall": None}
    if 0 < k < len(ladder) - 1:
        res["rise"] = _diff(out["profit"], c, a_best, a_lo)
        res["fall"] = _diff(out["profit"], c, a_hi, a_best)
        up, down = verdict(*res["rise"][1:]), verdict(*res["fall"][1:], holds_if_positive=False)
        res["word"] = "holds" if up == down == "holds" else "inconclusive"
        res["why"] = (f"profit peaks at {n_best} tiers: {n_best} vs {n_lo} tiers "
                      f"{fmt(*res['rise'])}, {n_hi} vs {n_best} tiers {fmt(*res['fall'])}")
    elif k == len(ladder) - 1:
        prev = ladder[-2]
        res["rise"] = _diff(out["profit"], c, a_hi, prev[1])
        word = verdict(*res["rise"][1:])
        res["word"] = "fails" if word == "holds" else "inconclusive"
        res["why"] = (f"profit is highest at the largest ladder ({n_hi} tiers) and "
                      f"{n_hi} vs {prev[0]} tiers is {fmt(*res['rise'])}")
    else:
        nxt = ladder[1]
        res["fall"] = _diff(out["profit"], c, nxt[1], a_lo)
        word = verdict(*res["fall"][1:], holds_if_positive=False)
        res["word"] = "fails" if word == "holds" else "inconclusive"
        res["why"] = (f"profit is highest at the smallest ladder ({n_lo} tiers) and "
                      f"{nxt[0]} vs {n_lo} tiers is {fmt(*res['fall'])}")
    # mechanisms from the best ladder (or the reference, if best is the largest) to the largest
    base = a_best if a_best != a_hi else next((a for n, a in ladder if n == REFERENCE),
                                              ladder[0][1])
    res["from"] = base
    res["mech"] = {k2: _diff(out[k2], c, a_hi, base)
                   for k2 in ("outside share", "lowest-tier share", "ladder position",
                              "average price", "share")}
    return res


def table(out: dict[str, xr.DataArray], c: str, ladders: dict) -> list[str]:
    lines = [f"\n### Condition: {c}\n", "| arm | tiers | " + " | ".join(out) + " |",
             "|---" * (len(out) + 2) + "|"]
    for ladder in ladders.values():
        for n, a in ladder:
            cells = [fmt(*mean_ci(v.sel(condition=c, arm=a).values), digits=DIGITS[k])
                     for k, v in out.items()]
            lines.append(f"| {a} | {n} | " + " | ".join(cells) + " |")
    lines.append(f"\nPaired differences against the {REFERENCE}-tier ladder of the same "
                 "step size:\n")
    for ladder in ladders.values():
        ref = next((a for n, a in ladder if n == REFERENCE), None)
        if ref is None:
            continue
        for _, a in ladder:
            if a == ref:
                continue
            cells = []
            for k in ("profit", "outside share", "lowest-tier share", "average price"):
                cells.append(f"{k} {fmt(*_diff(out[k], c, a, ref), digits=DIGITS[k])}")
            lines.append(f"- {a} − {ref}: " + "; ".join(cells))
    return lines


def step_effects(out: dict[str, xr.DataArray], c: str, ladders: dict) -> dict | None:
    """Small minus large steps at equal tiers (paired), and the overload test.

    Overload at n tiers (n above the smallest ladder n0) holds if adding tiers raises the
    outside share with small steps (``out(n) - out(n0) > 0``) and raises it more than with
    large steps (the difference-in-differences ``[out(n) - out(n0)]_small -
    [out(n) - out(n0)]_large > 0``, so the level effect of less valuable upper tiers
    cancels); it fails if either is significantly negative. Returns None unless both
    ``small`` and ``large`` step sizes are in the study.
    """
    if not {"small", "large"} <= set(ladders):
        return None
    small = dict(ladders["small"])
    large = dict(ladders["large"])
    common = sorted(set(small) & set(large))
    per_n = {n: {k: paired_ci(out[k].sel(condition=c, arm=small[n]).values,
                              out[k].sel(condition=c, arm=large[n]).values)
                 for k in ("profit", "lowest-tier share", "ladder position", "average price",
                           "outside share")}
             for n in common}
    o = out["outside share"].sel(condition=c)
    did = {}
    for n in common[1:]:
        n0 = common[0]
        d_small = o.sel(arm=small[n]).values - o.sel(arm=small[n0]).values
        d_large = o.sel(arm=large[n]).values - o.sel(arm=large[n0]).values
        rise, diff = mean_ci(d_small), paired_ci(d_small, d_large)
        words = {verdict(*rise[1:]), verdict(*diff[1:])}
        word = "fails" if "fails" in words else (
            "holds" if words == {"holds"} else "inconclusive")
        did[n] = {"from": n0, "rise": rise, "did": diff, "word": word}
    return {"per_n": per_n, "did": did}


def _count(words: list[str]) -> str:
    return ", ".join(f"{words.count(w)} {w}" for w in ("holds", "fails", "inconclusive")
                     if words.count(w))


def plot_profit(out: dict[str, xr.DataArray], ladders: dict, c: str, ax) -> None:
    """Firm b's horizon profit vs number of tiers, one line per step size, 95% CIs."""
    for i, (step, ladder) in enumerate(ladders.items()):
        ns = [n for n, _ in ladder]
        ci = np.array([mean_ci(out["profit"].sel(condition=c, arm=a).values)
                       for _, a in ladder]) / 1e6
        ax.errorbar(np.array(ns) + 0.06 * (i - 0.5), ci[:, 0],
                    yerr=[ci[:, 0] - ci[:, 1], ci[:, 2] - ci[:, 0]], marker="o", capsize=3,
                    label=f"{step} value steps")
    ax.axhline(0, color="k", lw=0.6)
    ax.set(title=f"firm {FIRM} profit, {c}", xlabel="tiers in firm b's ladder",
           ylabel="profit over the horizon (millions)")
    ax.legend(fontsize="small")


def plot_outside(out: dict[str, xr.DataArray], ladders: dict, c: str, ax) -> None:
    """The market's outside share vs number of tiers (overload), 95% CIs."""
    for i, (step, ladder) in enumerate(ladders.items()):
        ns = [n for n, _ in ladder]
        ci = np.array([mean_ci(out["outside share"].sel(condition=c, arm=a).values)
                       for _, a in ladder])
        ax.errorbar(np.array(ns) + 0.06 * (i - 0.5), ci[:, 0],
                    yerr=[ci[:, 0] - ci[:, 1], ci[:, 2] - ci[:, 0]], marker="s", capsize=3,
                    label=f"{step} value steps")
    ax.set(title=f"outside share (overload), {c}", xlabel="tiers in firm b's ladder",
           ylabel="share of shoppers buying nothing")
    ax.legend(fontsize="small")


def plot_mix(ds: xr.Dataset, ladders: dict, c: str, ax) -> None:
    """Where firm b's sales fall on its ladder: stacked unit shares, bottom rung first."""
    mix = ladder_mix(ds, c)
    cmap = plt.get_cmap("viridis")
    labels = []
    for x, (_, a) in enumerate(n_a for ladder in ladders.values() for n_a in ladder):
        shares = mix[a]
        bottom = 0.0
        for r, s in enumerate(shares):
            pos = r / max(len(shares) - 1, 1)
            ax.bar(x, s, bottom=bottom, color=cmap(pos), edgecolor="white", lw=0.5)
            bottom += s
        labels.append(a.replace("_", "\n"))
    ax.set_xticks(range(len(labels)), labels, fontsize="small")
    ax.set(title=f"firm {FIRM}'s units by rung, {c}", ylabel="share of firm b's units",
           ylim=(0, 1))
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    ax.figure.colorbar(sm, ax=ax, label="rung (0 bottom, 1 top)")


def analyse(ds: xr.Dataset, params) -> tuple[str, plt.Figure]:
    out = outcomes(ds)
    ladders = arms_by_step(ds)
    conditions = [str(c) for c in ds["condition"].values]
    lines = [
        "## Design\n",
        f"Firm b's ladder has 2-7 tiers spread over a fixed price range (bottom and top rungs "
        f"fixed; price and cost steps = range/(tiers−1)); *large* or *small* value steps "
        f"(the top rung's attribute lead over the bottom rung spread evenly over the rungs). "
        f"Firms a and c keep 3-tier ladders; every firm holds its prices. Profit is summed "
        f"over the {ds.sizes['period']} periods; shares and the outside share are period "
        f"means; *lowest-tier share* is the share of b's units on its bottom rung and "
        f"*ladder position* b's units' mean rung (0 bottom, 1 top). Reference ladder: "
        f"{REFERENCE} tiers.\n",
        "## Results (firm b; mean [95% CI] over replicates)",
    ]
    tiers, steps = {}, {}
    for c in conditions:
        lines += table(out, c, ladders)
        tiers[c] = {s: tiers_verdict(out, c, ladder) for s, ladder in ladders.items()
                    if len(ladder) >= 2}
        steps[c] = step_effects(out, c, ladders)
        if steps[c]:
            lines.append("\nSmall − large value steps at equal tiers (paired):\n")
            for n, d in steps[c]["per_n"].items():
                lines.append(f"- {n} tiers: " + "; ".join(
                    f"{k} {fmt(*v, digits=DIGITS[k])}" for k, v in d.items()))
            for n, d in steps[c]["did"].items():
                lines.append(f"- outside-share change from {d['from']} to {n} tiers: small "
                             f"steps {fmt(*d['rise'], digits=3)}; small − large "
                             f"{fmt(*d['did'], digits=3)}")

    lines.append("\n## Verdicts\n")
    lines.append("**A. More tiers raise profit up to a point, then cannibalisation/overload "
                 "lower it.**\n")
    for c in conditions:
        for s, r in tiers[c].items():
            m = r["mech"]
            mech = []
            if r["word"] == "holds":
                if verdict(*m["outside share"][1:]) == "holds":
                    mech.append(f"overload: outside share {fmt(*m['outside share'], digits=3)}")
                if verdict(*m["lowest-tier share"][1:]) == "holds":
                    mech.append("cannibalisation: lowest-tier share "
                                f"{fmt(*m['lowest-tier share'], digits=3)}")
                if verdict(*m["ladder position"][1:], holds_if_positive=False) == "holds":
                    mech.append("cannibalisation: ladder position "
                                f"{fmt(*m['ladder position'], digits=3)}")
                if verdict(*m["average price"][1:], holds_if_positive=False) == "holds":
                    mech.append(f"average price {fmt(*m['average price'], digits=2)}")
                if verdict(*m["share"][1:], holds_if_positive=False) == "holds":
                    mech.append(f"b's share {fmt(*m['share'], digits=3)}")
                tail = ("; past the peak: " + ", ".join(mech)) if mech else \
                    "; no significant overload or cannibalisation signal past the peak"
            else:
                tail = (f"; from {r['from']} to the largest ladder: b's share "
                        f"{fmt(*m['share'], digits=3)}, outside share "
                        f"{fmt(*m['outside share'], digits=3)}, ladder position "
                        f"{fmt(*m['ladder position'], digits=3)}, average price "
                        f"{fmt(*m['average price'], digits=2)}")
            lines.append(f"- {c}, {s} steps: **{r['word']}** — {r['why']}{tail}.")

    lines.append("\n**B. Small steps between tiers cannibalise / overload.** Cannibalisation: "
                 "a larger share of b's units on its bottom rung with small than with large "
                 "steps at the same number of tiers (prices are the same, so this is units "
                 "moving down-ladder). Overload: adding tiers to the smallest ladder raises "
                 "the outside share with small steps, and by more than with large steps "
                 "(difference-in-differences).\n")
    for c in conditions:
        e = steps[c]
        if not e:
            lines.append(f"- {c}: needs both small and large steps.")
            continue
        cann = [verdict(*d["lowest-tier share"][1:]) for d in e["per_n"].values()]
        prof = [verdict(*d["profit"][1:], holds_if_positive=False) for d in e["per_n"].values()]
        ns = list(e["per_n"])
        lines.append(f"- {c}, cannibalise: {_count(cann)} over tiers {ns} (lowest-tier share "
                     "small − large, "
                     + "; ".join(f"{n}: {fmt(*d['lowest-tier share'], digits=3)}"
                                 for n, d in e["per_n"].items())
                     + f"); small steps lower profit: {_count(prof)}.")
        if e["did"]:
            over = [d["word"] for d in e["did"].values()]
            lines.append(f"- {c}, overload: {_count(over)} over tiers {list(e['did'])} ("
                         + "; ".join(f"{n} tiers: **{d['word']}**, outside share "
                                     f"{d['from']}→{n} tiers with small steps "
                                     f"{fmt(*d['rise'], digits=3)}, small − large "
                                     f"{fmt(*d['did'], digits=3)}"
                                     for n, d in e["did"].items())
                         + ").")
        best = {s: tiers[c][s]["best"] for s in ("small", "large") if s in tiers[c]}
        if len(best) == 2:
            lines.append(f"- {c}: the most profitable ladder has {best['small']} tiers with "
                         f"small steps and {best['large']} with large steps.")

    lines.append("\n## Reading\n")
    for c in conditions:
        txt = f"- Under **{c}**: "
        parts = []
        for s_, r in tiers[c].items():
            m = r["mech"]
            if r["word"] == "holds":
                parts.append(f"with {s_} steps the claim holds: profit peaks at {r['best']} "
                             f"tiers, and past the peak the outside share changes by "
                             f"{m['outside share'][0]:+.3f} and b's ladder position by "
                             f"{m['ladder position'][0]:+.3f}")
            elif r["word"] == "fails":
                parts.append(f"with {s_} steps it fails: profit is best at {r['best']} tiers; "
                             f"going from {r['from']} to the largest ladder b's share changes "
                             f"by {m['share'][0]:+.3f} and the outside share by "
                             f"{m['outside share'][0]:+.3f}, so extra tiers win more buyers "
                             "than they lose to down-trading or overload")
            else:
                parts.append(f"with {s_} steps it is inconclusive ({r['why']})")
        txt += "; ".join(parts) + ". "
        e = steps[c]
        if e:
            cann = [verdict(*d["lowest-tier share"][1:]) for d in e["per_n"].values()]
            txt += f"Small steps cannibalise: {_count(cann)} over the ladders compared"
            if e["did"]:
                over = {n: d["word"] for n, d in e["did"].items()}
                txt += "; small steps overload: " + ", ".join(
                    f"{w} at {n} tiers" for n, w in over.items())
            best = {s_: tiers[c][s_]["best"] for s_ in ("small", "large") if s_ in tiers[c]}
            if len(best) == 2:
                txt += (f"; best ladder {best['small']} tiers with small steps vs "
                        f"{best['large']} with large steps")
            txt += "."
        lines.append(txt)
    lines.append("\nThe verdicts are computed from the runs above (the peak n* is picked from "
                 "the same replicates); rerun the command to reproduce them. Fixed costs do "
                 "not grow with the number of tiers, so any fall past the peak comes from "
                 "customers' choices alone. In logit choice every added tier brings its own "
                 "taste draw, which by itself raises the firm's share; overload (the outside "
                 "option's pull from near-identical offers) is the model's counterweight.\n")

    fig, axes = plt.subplots(len(conditions), 3, figsize=(18, 4.6 * len(conditions)),
                             layout="constrained", squeeze=False)
    for row, c in zip(axes, conditions, strict=True):
        plot_profit(out, ladders, c, row[0])
        plot_outside(out, ladders, c, row[1])
        plot_mix(ds, ladders, c, row[2])
    return "\n".join(lines), fig


if __name__ == "__main__":
    raise SystemExit(main(NAME, analyse))
