"""Reading and writing results files (netCDF), atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import xarray as xr

__all__ = ["write_results", "read_results"]


def write_results(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to ``path`` via a temporary file and an atomic rename.

    A crash mid-write leaves no partial file at ``path``, and an existing file
    there is replaced only by a complete one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        ds.to_netcdf(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_results(path: str | os.PathLike) -> xr.Dataset:
    """Load a results file fully into memory (and close it)."""
    with xr.open_dataset(path) as ds:
        return ds.load()
