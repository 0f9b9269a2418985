"""``ds.market``: domain verbs on a results Dataset (summary tables, totals)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["MarketAccessor"]


@xr.register_dataset_accessor("market")
class MarketAccessor:
    """Market verbs for a valuesim results Dataset.

    Examples
    --------
    >>> ds.market.summary()  # doctest: +SKIP
    """

    def __init__(self, ds: xr.Dataset) -> None:
        self._ds = ds

    def summary(self) -> pd.DataFrame:
        """Per-firm totals over the run: revenue, profit, share, insiders at the end, average
        price, journey completion.

        Share is the firm's share of all purchases over the run; average price
        is its revenue per unit sold; completion the share of its inquiries that bought.
        """
        ds = self._ds
        units = ds["firm_units"].sum("period")
        revenue = ds["firm_revenue"].sum("period")
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = (revenue / units).where(units > 0)
        table = pd.DataFrame({
            "revenue": revenue.values,
            "profit": ds["profit"].sum("period").values,
            "share": (units / units.sum()).values if float(units.sum()) else 0.0,
            "insiders_end": ds["customers"].isel(period=-1).sel(state="insider").values,
            "average_price": avg.values,
            "completion": (ds["final_actions"].sel(action="buys").sum("period")
                           / ds["inquiries"].sum("period")).values,
        }, index=pd.Index(ds["firm"].values, name="firm"))
        return table

    def offer_shares(self) -> xr.DataArray:
        """Share of purchases by offer over time, shape (period, offer)."""
        return self._ds["offer_share"]
