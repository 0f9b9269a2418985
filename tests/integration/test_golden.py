"""A stored golden result: numbers change only on purpose (see tests/data/make_golden.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from sim import load_config, simulate
from sim.io import read_results

DATA = Path(__file__).resolve().parents[1] / "data"
spec = importlib.util.spec_from_file_location("make_golden", DATA / "make_golden.py")
make_golden = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_golden)


def test_the_default_scenario_reproduces_the_golden_result():
    golden = read_results(make_golden.GOLDEN)
    ds = simulate(load_config(make_golden.OVERRIDES))
    assert set(ds.data_vars) == set(golden.data_vars)
    for name in golden.data_vars:
        np.testing.assert_allclose(ds[name].values, golden[name].values, rtol=1e-9, atol=1e-9,
                                   err_msg=name)
