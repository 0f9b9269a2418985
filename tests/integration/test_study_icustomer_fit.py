"""The iCustomer-fit study (claim 9) runs end to end at a tiny size and writes its three outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

#: Each study's tiny run takes several seconds: CI runs them in its slow phase.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

#: A restricted grid keeps the test fast: four depths, two stages (D* = 3 and 9).
ARMS = ("arms={D1: [firms.a.supplied_depth=1], D3: [firms.a.supplied_depth=3], "
        "D5: [firms.a.supplied_depth=5], D9: [firms.a.supplied_depth=9]}")
CONDITIONS = ("conditions={goods: [firms.a.stage=goods], "
              "transformation: [firms.a.stage=transformation]}")


def test_study_runs_tiny_and_writes_dataset_figure_and_result(tmp_path):
    out = subprocess.run(
        [sys.executable, "experiments/icustomer_fit.py", "replicates=2",
         "population.n_customers=1000", "n_periods=12", "workers=1", ARMS, CONDITIONS,
         "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "result.md").read_text()
    for part in ("## Profit ridge vs the iCustomer diagonal", "## Verdicts", "## Reading",
                 "| goods | 3 |", "| transformation | 9 |", "under − diagonal",
                 "over − diagonal", "under-serving costs customers (share)",
                 "over-serving costs margin (profit)", "claim at this stage: **"):
        assert part in text, part
    # the diagonal is the deepest depth on the grid at transformation: nothing over-serves it
    transformation = text.split("- **transformation** —")[1].split("\n")[0]
    assert "over-serving" not in transformation
    assert (tmp_path / "figure.png").stat().st_size > 10_000
    import xarray as xr

    with xr.open_dataset(tmp_path / "dataset.nc") as ds:
        assert dict(ds.sizes)["replicate"] == 2 and dict(ds.sizes)["period"] == 12
        assert list(ds["arm"].values) == ["D1", "D3", "D5", "D9"]
        assert list(ds["condition"].values) == ["goods", "transformation"]
        for v in ("profit", "share", "satisfied_share", "cost_to_serve", "customers",
                  "firm_units", "firm_revenue", "firm_variable_cost"):
            assert v in ds, v
        share = ds["share"].sel(firm="a", condition="transformation").mean("period")
        # a transformation's buyers want depth ~9: supplying 1 loses most of them
        assert bool((share.sel(arm="D1") < share.sel(arm="D9")).all())
        # charged for outcomes, only satisfied buyers pay: a lower realised price per unit
        a = ds.sel(firm="a").sum("period")
        price = a["firm_revenue"] / a["firm_units"]
        assert bool((price.sel(condition="transformation", arm="D9")
                     < price.sel(condition="goods", arm="D3")).all())
        assert np.isfinite(ds["profit"].values).all()


def test_a_bad_study_override_is_one_line_and_exit_2(tmp_path):
    out = subprocess.run(
        [sys.executable, "experiments/icustomer_fit.py", "replicates=0", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "study.replicates" in out.stderr
    assert not any(tmp_path.iterdir())
