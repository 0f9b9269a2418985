"""Reading and writing results files (netCDF), atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import xarray as xr

__all__ = ["write_atomic", "write_results", "read_results", "write_text", "atomic_temp"]


def _file_mode() -> int:
    """Permissions of a newly created file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_temp(path: Path) -> Path:
    """A new temporary file beside ``path`` (same folder, so a rename is atomic), with the
    permissions an ordinary new file would get (``mkstemp`` alone makes it private)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, _file_mode())
    return Path(tmp)


def write_atomic(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    A crash mid-write leaves no partial file at ``path``, and an existing file there is
    replaced only by a complete one. Every file valuesim writes goes through here.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_temp(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_results(ds: xr.Dataset, path: str | os.PathLike, **to_netcdf) -> Path:
    """Write ``ds`` to ``path`` as netCDF, atomically (``to_netcdf`` options passed on)."""
    return write_atomic(path, lambda tmp: ds.to_netcdf(tmp, **to_netcdf))


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path``, atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text))


def read_results(path: str | os.PathLike) -> xr.Dataset:
    """Load a results file fully into memory (and close it)."""
    with xr.open_dataset(path) as ds:
        return ds.load()
