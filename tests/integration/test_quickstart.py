"""The README's Quickstart: two commands; the first runs the main job, CI runs the second."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sim.io import read_results
from sim.schema import check_dataset

ROOT = Path(__file__).resolve().parents[2]


def quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", section, re.S).group(1)
    return [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]


def test_readme_has_exactly_two_commands_and_ci_runs_the_test_one_verbatim():
    run_cmd, test_cmd = quickstart_commands()
    assert "valuesim run" in run_cmd and "--locked" in run_cmd
    assert "pytest" in test_cmd and "--locked" in test_cmd
    assert test_cmd in (ROOT / ".ci" / "run").read_text()


def test_the_main_job_runs_prints_a_summary_and_writes_results_and_figures(tmp_path):
    exe = Path(sys.executable).parent / "valuesim"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "scenarios.cli"]
    out = subprocess.run([*cmd, "run", "population.n_customers=3000", "n_periods=14"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for column in ("revenue", "profit", "share", "insiders_end", "average_price", "completion"):
        assert column in out.stdout
    results = list(tmp_path.glob("outputs/*/*/results.nc"))
    assert len(results) == 1
    assert check_dataset(read_results(results[0])) == []
    for fig in ("shares.png", "prices.png", "awareness.png", "journey.png"):
        assert (results[0].parent / fig).stat().st_size > 10_000
