"""The bundling cost-shock study runs end to end at a tiny size and writes its three outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

#: Each study's tiny run takes several seconds: CI runs them in its slow phase.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_study_runs_tiny_and_writes_dataset_figure_and_result(tmp_path):
    out = subprocess.run(
        [sys.executable, "experiments/bundling_cost_shock.py", "replicates=2",
         "population.n_customers=1500", "n_periods=24", "workers=1",
         "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "result.md").read_text()
    assert "mixed − bundle_hold, average price after shock" in text
    assert "\"bundling keeps price\" **" in text
    assert "\"an unbundled low option keeps the price-sensitive\" **" in text
    assert (tmp_path / "figure.png").stat().st_size > 10_000
    import xarray as xr

    with xr.open_dataset(tmp_path / "dataset.nc") as ds:
        assert dict(ds.sizes)["replicate"] == 2
        assert set(ds["arm"].values) == {"bundle_hold", "bundle_pass", "mixed", "components"}
        assert set(ds["condition"].values) == {"no_synergy", "synergy"}
        # every arm sells only the bundle before the shock; the unbundled arms add the tiers
        tiers = ds["on_sale"].sel(offer=["suite/core", "suite/service"])
        assert float(tiers.isel(period=0).max()) == 0.0
        assert float(tiers.sel(arm="mixed").isel(period=-1).min()) == 1.0
        assert float(tiers.sel(arm="bundle_pass").max()) == 0.0


def test_a_bad_study_override_is_one_line_and_exit_2(tmp_path):
    out = subprocess.run(
        [sys.executable, "experiments/bundling_cost_shock.py", "replicates=0",
         "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "study.replicates" in out.stderr
    assert not any(tmp_path.iterdir())
