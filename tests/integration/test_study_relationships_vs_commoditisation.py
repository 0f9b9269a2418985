"""The relationships-vs-commoditisation study runs end to end at a tiny size and writes its
three outputs; its margins and break-even care costs agree with the books in the dataset."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

#: Each study's tiny run takes several seconds: CI runs them in its slow phase.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "experiments" / "relationships_vs_commoditisation.py"


def _study_module():
    spec = importlib.util.spec_from_file_location("relationships_vs_commoditisation", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_study_runs_tiny_and_writes_dataset_figure_and_result(tmp_path):
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "replicates=2", "population.n_customers=800",
         "n_periods=26", "transparency.onset=2", "transparency.duration=4", "workers=1",
         "--out", str(tmp_path),
         # two pricing regimes at two transparency levels keep the test fast
         "conditions={equal_tau0: [transparency.end=0.0], equal_tau90: [transparency.end=0.9],"
         " price_war_tau0: [strategy@firms.plain.strategy=undercut,"
         " strategy@firms.care.strategy=match, transparency.end=0.0],"
         " price_war_tau90: [strategy@firms.plain.strategy=undercut,"
         " strategy@firms.care.strategy=match, transparency.end=0.9]}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "result.md").read_text()
    assert "## Verdicts" in text and "When the claim holds and when it fails" in text
    for regime in ("equal", "price_war"):
        for arm in ("light", "moderate", "deep"):
            assert f"| {regime} | {arm} | " in text  # a verdict row per regime and arm
    assert (tmp_path / "figure.png").stat().st_size > 10_000

    with xr.open_dataset(tmp_path / "dataset.nc") as ds:
        ds = ds.load()
    assert dict(ds.sizes)["replicate"] == 2
    assert list(ds["arm"].values) == ["none", "light", "moderate", "deep"]
    np.testing.assert_allclose(ds["transparency"].sel(condition="equal_tau90").isel(
        period=-1), 0.9)

    # margins recomputed from the books: (revenue - variable cost - cost to serve) / revenue
    study = _study_module()
    late = slice(-study.LATE, None)
    books = {v: ds[v].isel(period=late).values.sum(axis=3)
             for v in ("firm_revenue", "firm_variable_cost", "cost_to_serve", "firm_units")}
    margin = (books["firm_revenue"] - books["firm_variable_cost"] - books["cost_to_serve"]) \
        / books["firm_revenue"]
    got = study.firm_outcomes(ds)["net margin"].transpose("condition", "arm", "replicate", "firm")
    np.testing.assert_allclose(got.values, margin, rtol=1e-6)
    # at the held list price (40, unit cost 24) moderate care (3 per buyer) nets 13/40
    row = next(line for line in text.splitlines() if line.startswith("| 0.9 | moderate | "))
    assert row.split("|")[3].strip().startswith("0.325 ")
    # the care firm pays exactly its care cost per unit sold; none for the plain firm
    care = ds.sel(firm="care", arm="moderate")
    np.testing.assert_allclose(care["cost_to_serve"], 3.0 * care["firm_units"])
    assert float(ds["cost_to_serve"].sel(firm="plain").max()) == 0
    # break-even care cost = unit margin x (1 - units without care / units with care)
    units = ds["firm_units"].sel(firm="care").isel(period=late).sum("period")
    expected = 16.0 * (1 - units.sel(arm="none") / units.sel(arm="moderate"))
    effects = study.care_effects(study.firm_outcomes(ds))
    np.testing.assert_allclose(
        effects["break-even care cost"].sel(arm="moderate", condition="equal_tau90"),
        expected.sel(condition="equal_tau90"), rtol=1e-6)
