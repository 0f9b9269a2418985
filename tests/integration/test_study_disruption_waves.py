"""The disruption-waves study (claim 10) runs end to end at a tiny size and writes its outputs.

The windows, a window share and the ensemble spread printed in the result are recomputed
here from the written dataset, independently of the study's own code.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

#: Each study's tiny run takes several seconds: CI runs them in its slow phase.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TINY = ["replicates=2", "population.n_customers=300", "n_periods=100", "workers=1"]


def _cell(text: str, section: str, after: str, row: str, column: int) -> float:
    """The mean of cell ``column`` of the first row ``row`` after ``after`` in ``section``."""
    part = text.split(f"## The {section} market")[1].split(after)[1]
    line = next(ln for ln in part.splitlines() if ln.startswith(f"| {row} |"))
    cell = line.strip("|").split("|")[column + 1]
    return float(cell.split("[")[0].replace(",", ""))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("disruption_waves")
    run = subprocess.run([sys.executable, "experiments/disruption_waves.py", *TINY,
                          "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                         timeout=240)
    assert run.returncode == 0, run.stderr
    return out


def test_study_runs_tiny_and_writes_dataset_figure_and_verdicts(tiny):
    text = (tiny / "result.md").read_text()
    assert (tiny / "figure.png").stat().st_size > 10_000
    verdicts = text.split("## Verdicts")[1].split("## The default market")[0]
    words = re.findall(r"\*\*(holds|fails|inconclusive)\*\*", verdicts)
    assert len(words) >= 2 * 12  # every test, in both markets
    for part in ("lead has higher share than follow", "follow recovers on the next wave",
                 "cling fails", "divergence grows during disruptive periods"):
        assert part in verdicts
    with xr.open_dataset(tiny / "dataset.nc") as ds:
        assert dict(ds.sizes)["replicate"] == 2
        assert set(ds["arm"].values) == {"calm", "lead", "follow", "slow_follow", "cling"}
        assert set(ds["condition"].values) == {"default_cheap", "default_costly", "default_eps",
                                               "herding_cheap", "herding_eps"}
        # common random numbers: before the first wave every arm is the calm run
        before = ds["share"].sel(condition="default_cheap").isel(period=slice(0, 25))
        assert bool((before == before.sel(arm="calm")).all())
        assert bool((ds["technology_frontier"].sel(arm="calm") == 0).all())


def test_windows_shares_and_spread_in_the_result_match_the_dataset(tiny):
    text = (tiny / "result.md").read_text()
    with xr.open_dataset(tiny / "dataset.nc") as ds:
        waves = ds.sel(condition="default_cheap", arm="lead").isel(replicate=0)
        front = waves["technology_frontier"].values
        onset = int(np.flatnonzero(front > 0)[0])
        c_adopts = np.flatnonzero(waves["investment"].sel(firm="c").values[:50] > 0)
        d1 = slice(onset, int(c_adopts[-1]) + 1)  # the frontier moves, then c catches up
        assert f"| 1 | {onset} | {d1.start}–{d1.stop - 1} |" in text
        share = ds["share"]
        follow_d1 = float(share.sel(condition="default_cheap", arm="follow", firm="a")
                          .isel(period=d1).mean())
        assert _cell(text, "default", "per window", "follow", 1) == pytest.approx(
            follow_d1, abs=6e-4)
        # ensemble spread: sd over replicates per firm and period, mean over firms; each
        # policy arm minus the calm arm, mean over policies and D1's periods, in pp
        sd = share.sel(condition="default_cheap").isel(period=d1).std("replicate", ddof=1)
        sd = sd.mean("firm")
        policies = ["lead", "follow", "slow_follow", "cling"]
        excess = 100 * float((sd.sel(arm=policies) - sd.sel(arm="calm")).mean())
        assert _cell(text, "default", "Ensemble spread", "all arms", 0) == pytest.approx(
            excess, abs=6e-4)


def test_a_bad_study_override_is_one_line_and_exit_2(tmp_path):
    out = subprocess.run(
        [sys.executable, "experiments/disruption_waves.py", "replicates=0", "--out",
         str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "study.replicates" in out.stderr
    assert not any(tmp_path.iterdir())
