"""Preallocated per-period buffers, filled in the loop and turned into an xarray Dataset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from sim.schema import OUTPUTS, Variable

__all__ = ["Recorder"]


class Recorder:
    """Buffers for every schema variable, sized from the run's dims.

    Parameters
    ----------
    coords : Mapping[str, Sequence]
        Labels of every dim used by the schema (period, firm, offer, segment, state).
    schema : sequence of Variable
    """

    def __init__(self, coords: Mapping[str, Sequence[Any]],
                 schema: Sequence[Variable] = OUTPUTS) -> None:
        self.coords = {k: list(v) for k, v in coords.items()}
        self.schema = tuple(schema)
        self.data = {
            v.name: np.zeros(tuple(len(self.coords[d]) for d in v.dims), dtype=np.float64)
            for v in self.schema
        }

    def record(self, period: int, **values: Any) -> None:
        """Store one period's values (each shaped like the variable minus its period dim)."""
        for name, value in values.items():
            self.data[name][period] = value

    def to_dataset(self, *, extra_coords: Mapping[str, Any] | None = None,
                   attrs: Mapping[str, Any] | None = None) -> xr.Dataset:
        """The recorded run as a self-describing Dataset."""
        data_vars = {
            v.name: xr.Variable(v.dims, self.data[v.name],
                                {"units": v.units, "long_name": v.long_name})
            for v in self.schema
        }
        ds = xr.Dataset(data_vars, coords=self.coords)
        if extra_coords:
            ds = ds.assign_coords(extra_coords)
        ds.attrs.update(attrs or {})
        return ds
