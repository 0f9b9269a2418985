"""The ladder-shape study runs end to end at a tiny size and writes its three outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

#: Each study's tiny run takes several seconds: CI runs them in its slow phase.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_study_runs_tiny_and_writes_dataset_figure_and_result(tmp_path):
    out = subprocess.run(
        [sys.executable, "experiments/ladder_shape.py", "replicates=2",
         "population.n_customers=300", "n_periods=5", "workers=1", "--out", str(tmp_path),
         # one condition keeps the test fast; every ladder (2..7 tiers, both steps) still runs
         "conditions={overload_prone: [market.value.context.overload=0.5, "
         "market.value.context.crowding_radius=0.25]}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "result.md").read_text()
    assert "small_7 − small_3: profit" in text and "## Verdicts" in text
    assert "overload_prone, small steps: **" in text
    assert (tmp_path / "figure.png").stat().st_size > 10_000
    import xarray as xr

    with xr.open_dataset(tmp_path / "dataset.nc") as ds:
        assert dict(ds.sizes)["replicate"] == 2
        assert list(ds["condition"].values) == ["overload_prone"]
        # ladders of 2..7 tiers are outer-joined on the offer dim: a tier missing from an
        # arm's ladder is NaN there, never a zero
        b = [o for o in ds["offer"].values if o.startswith("b/")]
        priced = np.isfinite(ds["price"].sel(offer=b).isel(condition=0, replicate=0, period=0))
        counts = {str(a): int(priced.sel(arm=a).sum()) for a in ds["arm"].values}
        assert counts == {f"{s}_{n}": n for s in ("large", "small") for n in (2, 3, 5, 7)}
