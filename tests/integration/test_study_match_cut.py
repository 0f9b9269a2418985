"""The match-cut study (claim 3) runs end to end at a tiny size and writes its three outputs."""

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
        [sys.executable, "experiments/match_cut.py", "replicates=2",
         "population.n_customers=1500", "n_periods=52", "workers=1", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "result.md").read_text()
    assert "periods 13–27" in text  # b cuts in 13-25; a's lagged prices are back by 28
    for half in ("wins short-run (profit)", "loses long-run (profit)", "whole claim"):
        assert half in text
    assert "match − hold" in text and "undercut − hold" in text
    assert (tmp_path / "figure.png").stat().st_size > 10_000
    import xarray as xr

    with xr.open_dataset(tmp_path / "dataset.nc") as ds:
        assert dict(ds.sizes)["replicate"] == 2
        assert set(ds["arm"].values) == {"hold", "match", "undercut"}
        assert set(ds["condition"].values) == {"price_takers", "loss_averse",
                                               "reference_dependent"}
        # the rival's cut is the same in every arm; the arms differ only from then on
        b = ds["price"].sel(offer="b/good")
        assert float(b.isel(period=20).max()) < float(b.isel(period=0).min())
        a = ds["profit"].sel(firm="a").isel(period=slice(0, 15))
        assert bool((a == a.sel(arm="hold")).all())


def test_a_bad_study_override_is_one_line_and_exit_2(tmp_path):
    out = subprocess.run(
        [sys.executable, "experiments/match_cut.py", "replicates=0", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "study.replicates" in out.stderr
    assert not any(tmp_path.iterdir())
