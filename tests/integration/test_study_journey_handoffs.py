"""The journey hand-offs study (claim 8) runs end to end at a tiny size and writes its outputs."""

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
        [sys.executable, "experiments/journey_handoffs.py", "replicates=2",
         "population.n_customers=1500", "n_periods=12", "workers=1", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "result.md").read_text()
    for part in ("fewer inquiries end in a sale", "the firm loses profit",
                 "value destroyed (completion and profit both fall)", "h5 − h0",
                 "never inquired", "lost in the journey", "In short, the claim"):
        assert part in text
    assert (tmp_path / "figure.png").stat().st_size > 10_000
    import xarray as xr

    with xr.open_dataset(tmp_path / "dataset.nc") as ds:
        assert dict(ds.sizes)["replicate"] == 2
        assert list(ds["arm"].values) == [f"h{k}" for k in range(6)]
        assert set(ds["condition"].values) == {"lean_desk", "ample_desk", "impatient",
                                               "indifferent"}
        for v in ("inquiries", "final_actions", "journey_cost", "profit", "customers"):
            assert v in ds
        a = ds.sel(firm="a")
        # every inquiry ends in exactly one final action; sales are the inquiries that buy
        np.testing.assert_allclose(a["final_actions"].sum("action"), a["inquiries"], rtol=1e-4)
        np.testing.assert_allclose(a["final_actions"].sel(action="buys"), a["firm_units"],
                                   rtol=1e-4)
        # no extra hand-off: the transfer desk is never visited; with hand-offs it is
        transfer = a["touchpoint_mean_wait"].sel(touchpoint="transfer")
        assert bool(transfer.sel(arm="h0").isnull().all())
        assert bool(transfer.sel(arm="h5").notnull().any())
        # five extra hand-offs through an 8-strong desk lose sales against none
        done = a["final_actions"].sel(action="buys").sum("period")
        lean = done.sel(condition="lean_desk")
        assert bool((lean.sel(arm="h5") < lean.sel(arm="h0")).all())


def test_a_bad_study_override_is_one_line_and_exit_2(tmp_path):
    out = subprocess.run(
        [sys.executable, "experiments/journey_handoffs.py", "replicates=0", "--out",
         str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "study.replicates" in out.stderr
    assert not any(tmp_path.iterdir())
