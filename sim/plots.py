"""Plots of a results Dataset. Each takes an ``ax``, draws, and computes nothing new."""

from __future__ import annotations

import xarray as xr

__all__ = ["plot_offer_shares", "plot_prices", "plot_awareness", "plot_economy"]


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
