"""Claim 8: hand-offs in the customer journey destroy value.

Firm a's inquiries go through 0-5 extra department hand-offs (arms ``h0``..``h5``), each a
visit to the journey's shared transfer desk followed by a hand-off delay that uses up the
customer's patience (``agents.journey``). Conditions vary how the desk is staffed and who
the customers are (``configs/study/journey_handoffs.yaml``). All firms hold their prices in
steady times, so only firm a's journey differs between arms.

Outcomes for firm a, summed over the run (per condition, arm and replicate):

- *completion*: sales (final action "buys") / inquiries; *go-away* and *escalation rate*:
  inquiries whose final action is "goes away" / "escalates", over inquiries;
- *satisfied share*: satisfied buyers / buyers (the experience of those who bought);
- *retention*: firm a's insiders at the end of the run / its insiders after period 0;
- *cost per inquiry* and *cost per sale* ("cost per case"): journey staff cost / inquiries
  and / completed sales; *profit*.

Differences against ``h0`` are paired over replicates (common random numbers: replicate r
is the same world in every arm and condition). The lost sales are split exactly into
customers who never inquired (``(I0 - Ih) c0``: the journey's reputation and its buyers'
worse experience keep them away) and those lost inside the journey (``Ih (c0 - ch)``),
with ``I`` inquiries and ``c`` completion; the profit change into the margin of those two
(at h0's margin per sale), a mix/price remainder, and the change in cost to serve. Run::

    python experiments/journey_handoffs.py [replicates=5 population.n_customers=5000]
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from scenarios.study import fmt, mean_ci, paired_ci, verdict
from scenarios.study_cli import main

NAME = "journey_handoffs"
FIRM = "a"
BASELINE = "h0"
LEAN, AMPLE = "lean_desk", "ample_desk"  #: compared when both are present (desk queueing)
#: outcome: (digits in tables, label in figures, scale in figures)
SPECS = {
    "inquiries per period": (0, "inquiries per period", 1.0),
    "completion": (3, "completion (bought / inquiries)", 1.0),
    "go-away rate": (3, "went away / inquiries", 1.0),
    "escalation rate": (3, "escalated / inquiries", 1.0),
    "satisfied share": (3, "satisfied buyers / buyers", 1.0),
    "retention": (3, "insiders at end / after period 0", 1.0),
    "cost per inquiry": (2, "journey staff cost per inquiry", 1.0),
    "cost per sale": (2, "journey staff cost per sale", 1.0),
    "profit": (0, "profit over the run (millions)", 1e6),
}
PARTS = ("never inquired", "lost in the journey", "mix and price", "cost to serve")


def arm_handoffs(params) -> dict[str, int]:
    """Extra hand-offs of each arm, from its override (else the digits of its name)."""
    out = {}
    for arm, over in params.arms.items():
        key = f"firms.{FIRM}.journey.handoffs="
        found = [o.split("=", 1)[1] for o in over if o.startswith(key)]
        out[arm] = int(found[-1]) if found else int(re.sub(r"\D", "", arm) or 0)
    return out


def outcomes(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """Firm a's outcomes per condition, arm and replicate (see the module docstring)."""
    a = ds.sel(firm=FIRM)
    inquiries = a["inquiries"].sum("period")
    actions = a["final_actions"].sum("period")
    sales = actions.sel(action="buys", drop=True)
    units = a["firm_units"].sum("period")
    cost = a["journey_cost"].sum("period")
    insiders = a["customers"].sel(state="insider", drop=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "inquiries per period": inquiries / ds.sizes["period"],
            "completion": sales / inquiries,
            "go-away rate": actions.sel(action="goes_away", drop=True) / inquiries,
            "escalation rate": actions.sel(action="escalates", drop=True) / inquiries,
            "satisfied share": (a["satisfied_share"] * a["firm_units"]).sum("period") / units,
            "retention": insiders.isel(period=-1) / insiders.isel(period=0),
            "cost per inquiry": cost / inquiries,
            "cost per sale": cost / sales,
            "profit": a["profit"].sum("period"),
            # for the decomposition
            "_inquiries": inquiries, "_sales": sales,
            "_margin": (a["firm_revenue"] - a["firm_variable_cost"]).sum("period"),
            "_serve": a["cost_to_serve"].sum("period"),
        }


def pick(out, key: str, condition: str, arm: str) -> np.ndarray:
    return out[key].sel(condition=condition, arm=arm).values


def paired(out, key: str, condition: str, arm: str, against: str = BASELINE):
    return paired_ci(pick(out, key, condition, arm), pick(out, key, condition, against))


def decomposition(out, condition: str, arm: str) -> dict[str, np.ndarray]:
    """Per replicate: sales lost (two channels) and the profit change (four parts), vs h0."""
    i0, ih = pick(out, "_inquiries", condition, BASELINE), pick(out, "_inquiries", condition, arm)
    s0, sh = pick(out, "_sales", condition, BASELINE), pick(out, "_sales", condition, arm)
    c0, ch = s0 / i0, sh / ih
    never, inside = (i0 - ih) * c0, ih * (c0 - ch)  # never + inside = s0 - sh
    m0 = pick(out, "_margin", condition, BASELINE) / s0
    d_margin = pick(out, "_margin", condition, arm) - pick(out, "_margin", condition, BASELINE)
    return {"sales lost": s0 - sh, "never inquired (sales)": never,
            "lost in the journey (sales)": inside,
            "never inquired": -never * m0, "lost in the journey": -inside * m0,
            "mix and price": d_margin + (s0 - sh) * m0,
            "cost to serve": -(pick(out, "_serve", condition, arm)
                               - pick(out, "_serve", condition, BASELINE)),
            "profit": (pick(out, "profit", condition, arm)
                       - pick(out, "profit", condition, BASELINE))}


def claim_parts(out, condition: str, top: str) -> dict[str, tuple]:
    """The claim's parts for ``top`` vs h0: (outcome, mean, low, high, verdict)."""
    res = {}
    for part, key, positive in (("fewer inquiries end in a sale", "completion", False),
                                ("more go away", "go-away rate", True),
                                ("buyers' experience is worse", "satisfied share", False),
                                ("fewer insiders are kept", "retention", False),
                                ("each sale costs more to serve", "cost per sale", True),
                                ("the firm loses profit", "profit", False)):
        m, lo, hi = paired(out, key, condition, top)
        res[part] = (key, m, lo, hi, verdict(lo, hi, holds_if_positive=positive))
    return res


def overall(parts: dict[str, tuple]) -> str:
    """Value destroyed = completion falls (customers) and profit falls (firm)."""
    words = [parts["fewer inquiries end in a sale"][-1], parts["the firm loses profit"][-1]]
    if "fails" in words:
        return "fails"
    return "holds" if all(w == "holds" for w in words) else "inconclusive"


def steps(out, key: str, condition: str, arms: list[str], h: dict[str, int]) -> str:
    """Whether ``key`` falls with every added hand-off, from the adjacent paired intervals."""
    d, rises, ups, n_sig = SPECS[key][0], [], [], 0
    for lo_arm, hi_arm in zip(arms, arms[1:], strict=False):
        m, lo, hi = paired(out, key, condition, hi_arm, lo_arm)
        step = f"h{h[lo_arm]}→h{h[hi_arm]} {fmt(m, lo, hi, d)}"
        word = verdict(lo, hi)
        rises += [step] if word == "holds" else []
        ups += [step] if m >= 0 and word != "holds" else []
        n_sig += word == "fails"
    if rises:
        return f"{key} does not fall monotonically: it rises at " + "; ".join(rises)
    if ups:
        return f"{key}'s mean does not fall at every step (within noise at {'; '.join(ups)})"
    return (f"{key} falls with every added hand-off in the mean ({n_sig} of {len(arms) - 1} "
            "steps significant at 95%)")


def change(key: str, ci: tuple[float, float, float]) -> str:
    word = verdict(ci[1], ci[2])
    how = {"holds": "rises", "fails": "falls", "inconclusive": "shows no clear change"}[word]
    return f"{key} {how} ({fmt(*ci, SPECS[key][0] if key in SPECS else 0)})"


def reading(out, c: str, arms: list[str], h: dict[str, int]) -> str:
    """One condition in words, computed from its intervals."""
    top = arms[-1]
    parts = claim_parts(out, c, top)
    dec = decomposition(out, c, top)
    lost = dec["sales lost"].mean()
    never = dec["never inquired (sales)"].mean()
    money = {p: float(dec[p].mean()) for p in PARTS}
    biggest = min(PARTS, key=money.get)
    per = 1.0 / max(h[top] - h[BASELINE], 1)
    cps = mean_ci(per * (pick(out, "cost per sale", c, top)
                         - pick(out, "cost per sale", c, BASELINE)))
    lost_value = mean_ci(per * -dec["profit"] / pick(out, "_inquiries", c, BASELINE))
    text = (f"from h{h[BASELINE]} to h{h[top]}, "
            + ", ".join(change(k, paired(out, k, c, top))
                        for k in ("completion", "go-away rate", "satisfied share", "retention",
                                  "profit"))
            + f". The claim (completion and profit both fall) **{overall(parts)}**. "
            + steps(out, "completion", c, arms, h) + "; "
            + steps(out, "profit", c, arms, h) + ". ")
    if abs(lost) > 0:
        text += (f"Of the {lost:,.0f} sales lost, {never / lost:.0%} are customers who never "
                 f"inquired and {1 - never / lost:.0%} were lost inside the journey. ")
    largest = (f"the largest loss is **{biggest}**" if money[biggest] < 0
               else "no part loses")
    text += ("Profit change by part (means): "
             + ", ".join(f"{p} {money[p]:+,.0f}" for p in PARTS) + f"; {largest}. "
             f"Each hand-off adds {fmt(*cps, 2)} of journey staff cost per completed sale "
             f"and destroys {fmt(*lost_value, 2)} of profit per h0 inquiry.")
    return text


def effective(overrides) -> list[str]:
    """Overrides with later values of a key replacing earlier ones (as the runs see them)."""
    last = {o.partition("=")[0]: o for o in overrides}
    return list(last.values())


def journey_config(params, condition: str, arm: str):
    """Firm a's journey config and the market's hours per period, as a run composes them."""
    from sim import load_config

    cfg = load_config(effective([*params.base, *params.conditions[condition],
                                 *params.arms[arm]]))
    return cfg.firms[FIRM].journey, float(cfg.market.journey.hours_per_period)


def overloads(out, params, h: dict[str, int]) -> list[str]:
    """Arms whose transfer desk is offered more work than its staff can do, with the load,
    the warm-up the engine gives the queue to settle at that load, and its span in hours."""
    lines = []
    for c in params.conditions:
        for a in [x for x in h if h[x] > 0]:
            j, hours = journey_config(params, c, a)
            rate = float(np.mean(pick(out, "inquiries per period", c, a))) / hours
            load = rate * h[a] * j.transfer.mean_service / j.transfer.capacity
            if load >= 1:
                from agents.journey import JourneyParams
                from scenarios.config import plain

                warm = JourneyParams.from_mapping(plain(j)).warmup_at(rate)
                lines.append(f"{c} {a}: offered load {load:.1f}× the desk's staff, warm-up "
                             f"{warm} inquiries ({warm / rate:.1f} h)")
    return lines


def design_lines(params, arms: list[str], h: dict[str, int]) -> list[str]:
    j, hours = journey_config(params, next(iter(params.conditions)), arms[0])
    t = j.transfer
    lines = ["## Design\n",
             f"Base: `{' '.join(effective(params.base))}`. Arms (firm {FIRM}'s extra "
             f"department hand-offs per inquiry): " + ", ".join(f"{a} = {h[a]}" for a in arms)
             + f". A hand-off is a visit to the transfer desk ({t.mean_service} h of staff "
             f"time on average at {j.staff_cost} per staff hour, then a {t.handoff_delay} h "
             f"mean hand-off delay); the journey itself already has "
             f"{len(j.touchpoints) - 1} hand-offs between its {len(j.touchpoints)} touchpoints. "
             f"Customers' mean patience per queue is {j.patience} h unless a condition says "
             "otherwise. Conditions:\n"]
    lines += [f"- **{c}**: `{' '.join(o) or '(base)'}`" for c, o in params.conditions.items()]
    lines += ["\nOutcomes (firm a, summed over the run): *completion* = sales / inquiries; "
              "*go-away* and *escalation rate* = inquiries whose final action is \"goes away\" "
              "or \"escalates\" / inquiries; *satisfied share* = satisfied buyers / buyers; "
              "*retention* = firm a's insiders at the end of the run / its insiders after "
              "period 0 (above 1: the insider base grew); *cost per inquiry* and *cost per "
              "sale* (cost per case) = journey staff cost / inquiries and / completed sales. "
              "**Value destroyed** = completion and profit both lower at the most hand-offs "
              "than at none (95% CIs of the paired differences below zero). Lost sales split "
              "exactly into customers who *never inquired* (the journey's reputation and "
              "its buyers' worse experience keep them away) and those *lost in the journey* "
              "(went away, escalated, left asking for more); the profit change into the "
              "margin of each (at h0's margin per sale), a *mix and price* remainder and the "
              "change in *cost to serve* (journey staff).\n"]
    return lines


def summary(out, conditions: list[str], top: str) -> list[str]:
    keys = ("completion", "go-away rate", "cost per sale", "profit")
    rows = ["## Summary (firm a, h0 → " + top + ", mean [95% CI])\n",
            "| condition | " + " | ".join(f"{k} {BASELINE} | {k} {top}" for k in keys)
            + " | value destroyed |", "|---" * (2 * len(keys) + 2) + "|"]
    for c in conditions:
        cells = [fmt(*mean_ci(pick(out, k, c, a)), SPECS[k][0]) for k in keys
                 for a in (BASELINE, top)]
        rows.append(f"| {c} | " + " | ".join(cells)
                    + f" | **{overall(claim_parts(out, c, top))}** |")
    return rows


def tables(out, c: str, arms: list[str], keys: list[str]) -> list[str]:
    rows = [f"\n### Condition: {c}\n\n| arm | " + " | ".join(keys) + " |",
            "|---" * (len(keys) + 1) + "|"]
    for a in arms:
        rows.append(f"| {a} | " + " | ".join(
            fmt(*mean_ci(pick(out, k, c, a)), SPECS[k][0]) for k in keys) + " |")
    rows += [f"\nPaired differences against {BASELINE}:\n\n| difference | " + " | ".join(keys)
             + " |", "|---" * (len(keys) + 1) + "|"]
    for a in arms[1:]:
        rows.append(f"| {a} − {BASELINE} | " + " | ".join(
            fmt(*paired(out, k, c, a), SPECS[k][0]) for k in keys) + " |")
    parts = claim_parts(out, c, arms[-1])
    rows.append(f"\nThe claim, from {arms[-1]} − {BASELINE}:\n")
    rows += [f"- {part}: {key} difference {fmt(m, lo, hi, SPECS[key][0])} → **{word}**"
             for part, (key, m, lo, hi, word) in parts.items()]
    rows.append(f"- value destroyed (completion and profit both fall): **{overall(parts)}**")
    return rows


def plot_outcome(out, key: str, h: dict[str, int], ax) -> None:
    """Mean of ``key`` against hand-offs, one line per condition, 95% CI error bars."""
    _, label, scale = SPECS[key]
    arms = list(h)
    x = np.array([h[a] for a in arms])
    for k, c in enumerate(out[key]["condition"].values):
        ci = np.array([mean_ci(pick(out, key, str(c), a)) for a in arms]) / scale
        err = np.nan_to_num(np.abs(ci[:, 1:] - ci[:, :1]).T)
        ax.errorbar(x + 0.06 * (k - 1.5), ci[:, 0], yerr=err, marker="o", ms=3.5, lw=1.3,
                    capsize=2.5, label=str(c))
    ax.set(title=key, xlabel="extra hand-offs per inquiry", ylabel=label, xticks=x)
    ax.grid(alpha=0.3)


def plot_decomposition(out, top: str, ax) -> None:
    """Profit change top − h0 per condition, split into its parts (stacked bars, means)."""
    conditions = [str(c) for c in out["profit"]["condition"].values]
    y = np.arange(len(conditions))
    neg, pos = np.zeros(len(y)), np.zeros(len(y))
    for k, p in enumerate(PARTS):
        v = np.array([decomposition(out, c, top)[p].mean() for c in conditions]) / 1e6
        base = np.where(v < 0, neg, pos)
        ax.barh(y, v, left=base, color=f"C{k + 4}", label=p)
        neg, pos = neg + np.minimum(v, 0), pos + np.maximum(v, 0)
    total = [mean_ci(decomposition(out, c, top)["profit"]) for c in conditions]
    m = np.array([t[0] for t in total]) / 1e6
    err = np.nan_to_num(np.abs(np.array([[t[1], t[2]] for t in total]) / 1e6 - m[:, None]).T)
    ax.errorbar(m, y, xerr=err, fmt="kD", ms=4, capsize=3, label="profit change (95% CI)")
    ax.axvline(0, color="k", lw=0.8)
    ax.set(yticks=y, yticklabels=conditions, title=f"profit change {top} − {BASELINE}, by part",
           xlabel="millions")
    ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)


def analyse(ds: xr.Dataset, params) -> tuple[str, plt.Figure]:
    out = outcomes(ds)
    h = dict(sorted(arm_handoffs(params).items(), key=lambda x: x[1]))
    arms, conditions = list(h), [str(c) for c in ds["condition"].values]
    top = arms[-1]
    lines = design_lines(params, arms, h) + summary(out, conditions, top)
    lines.append(f"\n## Results (firm {FIRM}; mean [95% CI] over replicates; sums over the "
                 f"{ds.sizes['period']} periods)")
    for c in conditions:
        lines += tables(out, c, arms, list(SPECS))
    lines.append("\n## Reading\n")
    verdicts, largest, worse = {}, {}, {}
    for c in conditions:
        parts = claim_parts(out, c, top)
        verdicts[c], worse[c] = overall(parts), parts["buyers' experience is worse"][-1]
        dec = decomposition(out, c, top)
        loss = {p: float(dec[p].mean()) for p in PARTS}
        largest[c] = (min(PARTS, key=loss.get) if min(loss.values()) < 0
                      else "no part (none lost)")
        lines.append(f"- **{c}**: " + reading(out, c, arms, h))
    if LEAN in conditions and AMPLE in conditions:
        diffs = [(k, mean_ci(pick(out, k, LEAN, top) - pick(out, k, AMPLE, top)))
                 for k in ("completion", "profit")]
        lines.append(f"\nQueueing at an under-staffed desk ({LEAN} − {AMPLE} at {top}, same "
                     "worlds): " + "; ".join(change(k, ci) for k, ci in diffs) + ".")

    def grouped(d: dict[str, str], words) -> str:
        return "; ".join(f"{w} in {', '.join(c for c in d if d[c] == w)}"
                         for w in words if w in d.values())

    lines += [f"\nIn short, the claim (value destroyed, {top} vs {BASELINE}) "
              + grouped(verdicts, ("holds", "fails", "inconclusive")) + ". "
              "The largest part of the profit loss is "
              + grouped(largest, (*PARTS, "no part (none lost)")) + ". "
              "That buyers' experience is worse (satisfied share falls) "
              + grouped(worse, ("holds", "fails", "inconclusive")) + "."]
    over = overloads(out, params, h)
    lines += ["\n## Caveats (the model, not the runs)\n",
              "- Journey cost is staff *busy* time × staff cost: idle staff cost nothing, so "
              "a larger desk is never dearer, and fewer inquiries mean a lower total cost.",
              "- Shoppers expect a firm's journey to be what it was last period (mean wait and "
              "hand-offs of its inquiries): the journey's reputation lowers demand before "
              "anyone queues, which also unloads the queues and so offsets part of the "
              "completion lost to hand-offs.",
              "- A journey is simulated by SimPy on a grid of loads, a sample of inquiries "
              "per load (after a warm-up); customers' outcomes are drawn from those samples."]
    if over:
        lines.append("- Where a desk is offered more work than its staff can do, its queue "
                     "grows until customers give up as fast as they arrive; the engine lets "
                     "it settle (a warm-up of four mean patiences, arrivals kept coming while "
                     "the sample finishes) before measuring, and the settled state is what "
                     "the period is taken to be. Here: " + "; ".join(over) + ".")
    lines.append("\nThe verdicts are computed from the runs above; rerun the command to "
                 "reproduce them.\n")
    fig, axes = plt.subplots(2, 4, figsize=(21, 9.5), layout="constrained")
    panels = ("completion", "go-away rate", "escalation rate", "satisfied share",
              "retention", "cost per sale", "profit")
    for key, ax in zip(panels, axes.flat, strict=False):
        plot_outcome(out, key, h, ax)
    axes.flat[0].legend(fontsize="small")
    plot_decomposition(out, top, axes.flat[-1])
    fig.suptitle(f"Firm {FIRM}'s journey with extra department hand-offs: means and 95% CIs "
                 f"over {ds.sizes['replicate']} replicates")
    return "\n".join(lines), fig


if __name__ == "__main__":
    raise SystemExit(main(NAME, analyse))
