"""Plots of a results Dataset. Each takes an ``ax``, draws, and computes nothing new."""

from __future__ import annotations

import xarray as xr

__all__ = ["plot_offer_shares", "plot_prices", "plot_awareness", "plot_economy",
           "plot_journey_completion", "plot_touchpoint_waits"]


def plot_offer_shares(ds: xr.Dataset, ax) -> None:
    """Share of purchases by offer over time."""
    for offer in ds["offer"].values:
        ax.plot(ds["period"], ds["offer_share"].sel(offer=offer), label=str(offer))
    ax.set(xlabel="period", ylabel="share of purchases", title="Shares by offer")
    ax.legend(fontsize="small", ncol=3)


def plot_prices(ds: xr.Dataset, ax) -> None:
    """Posted prices by offer over time."""
    for offer in ds["offer"].values:
        ax.step(ds["period"], ds["price"].sel(offer=offer), where="post", label=str(offer))
    ax.set(xlabel="period", ylabel="price", title="Posted prices")
    ax.legend(fontsize="small", ncol=3)


def plot_awareness(ds: xr.Dataset, ax) -> None:
    """Outsiders, edge and insiders per firm over time."""
    styles = {"outsider": ":", "edge": "--", "insider": "-"}
    for k, firm in enumerate(ds["firm"].values):
        for state, style in styles.items():
            ax.plot(ds["period"], ds["customers"].sel(firm=firm, state=state), style,
                    color=f"C{k}", label=f"{firm} {state}")
    ax.set(xlabel="period", ylabel="customers", title="Outsider / edge / insider")
    ax.legend(fontsize="small", ncol=3)


def plot_economy(ds: xr.Dataset, ax) -> None:
    """The economy index."""
    ax.plot(ds["period"], ds["economy_index"], color="k")
    ax.set(xlabel="period", ylabel="economy index", title="Economy")


def plot_journey_completion(ds: xr.Dataset, ax) -> None:
    """Share of each firm's inquiries that bought (solid) and that went away or escalated
    (dashed), over time."""
    lost = ds["final_actions"].sel(action=["goes_away", "escalates"]).sum("action")
    for k, firm in enumerate(ds["firm"].values):
        inquiries = ds["inquiries"].sel(firm=firm)
        ax.plot(ds["period"], ds["journey_completion"].sel(firm=firm), color=f"C{k}",
                label=f"{firm} bought")
        ax.plot(ds["period"], (lost.sel(firm=firm) / inquiries).where(inquiries > 0), "--",
                color=f"C{k}", label=f"{firm} went away / escalated")
    ax.set(xlabel="period", ylabel="share of inquiries", title="Customer journeys: outcomes",
           ylim=(0, 1))
    ax.legend(fontsize="small", ncol=2)


def plot_touchpoint_waits(ds: xr.Dataset, ax) -> None:
    """Mean wait at each touchpoint per firm over the run (bars), with the 90th percentile
    (ticks); touchpoints nobody visited are left out."""
    wait = ds["touchpoint_mean_wait"].mean("period")
    p90 = ds["touchpoint_p90_wait"].mean("period")
    visited = [str(t) for t in ds["touchpoint"].values
               if bool(wait.sel(touchpoint=t).notnull().any())]
    firms = list(ds["firm"].values)
    width = 0.8 / max(len(firms), 1)
    for k, firm in enumerate(firms):
        x = [i + (k - (len(firms) - 1) / 2) * width for i in range(len(visited))]
        ax.bar(x, wait.sel(firm=firm, touchpoint=visited), width, color=f"C{k}", label=str(firm))
        ax.plot(x, p90.sel(firm=firm, touchpoint=visited), "_", color="k", markersize=10)
    ax.set_xticks(range(len(visited)), visited)
    ax.set(ylabel="wait (hours)", title="Waits by touchpoint (bar: mean, tick: 90th percentile)")
    ax.legend(fontsize="small")
