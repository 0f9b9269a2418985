"""The concession-vs-cut study runs end to end at a tiny size and writes its three outputs."""

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
        [sys.executable, "experiments/concession_vs_cut.py", "replicates=2",
         "population.n_customers=1000", "n_periods=30", "economy.onset=6",
         "economy.duration=10", "workers=1", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "result.md").read_text()
    assert "concession − cut, cycle profit" in text
    assert "When the claim holds and when it fails" in text
    assert (tmp_path / "figure.png").stat().st_size > 10_000
    import xarray as xr

    with xr.open_dataset(tmp_path / "dataset.nc") as ds:
        assert dict(ds.sizes)["replicate"] == 2
        assert set(ds["arm"].values) == {"hold", "cut", "concession"}
        assert dict(ds.sizes)["condition"] == 4
        # the concession keeps list prices posted and binds its takers
        conceded = ds["concession"].sel(arm="concession").max()
        assert float(conceded) > 0 and float(ds["concession"].sel(arm="cut").max()) == 0
        assert float(ds["committed"].sel(arm="concession", firm="a").max()) > 0
