"""Run one scenario to a self-describing Dataset."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import xarray as xr
import yaml

from sim import provenance
from sim.model import MarketModel
from sim.params import to_mapping

__all__ = ["simulate", "run_model"]

log = logging.getLogger(__name__)

#: Runs with more customer-periods than this show a progress bar when asked.
PROGRESS_THRESHOLD = 5_000_000


def run_model(spec, *, progress: bool = False) -> MarketModel:
    """Build the market for ``spec`` and step it through its horizon."""
    model = MarketModel(spec)
    periods = range(spec.n_periods)
    big = spec.population.n_customers * spec.n_periods > PROGRESS_THRESHOLD
    if progress and big:
        from tqdm import tqdm

        periods = tqdm(periods, desc="periods", unit="period", leave=False)
    for _ in periods:
        model.step()
    return model


def simulate(cfg: Any, *, overrides: Sequence[str] | None = None,
             progress: bool = False) -> xr.Dataset:
    """Run one scenario and return its results.

    Parameters
    ----------
    cfg : DictConfig, Mapping or ScenarioSpec
        A composed config (see :func:`sim.load_config`) or a built scenario.
    overrides : sequence of str, optional
        The override strings that produced ``cfg`` (stored as provenance);
        taken from ``cfg.overrides`` when present.
    progress : bool
        Show a progress bar on long runs.

    Returns
    -------
    xarray.Dataset
        Dims period, firm, offer, segment, state; every variable with
        ``units`` and ``long_name``; attributes hold the resolved config
        (YAML), overrides, seed, replicate, package version and git commit.
    """
    from scenarios.config import build_scenario, plain
    from scenarios.spec import ScenarioSpec

    if isinstance(cfg, ScenarioSpec):
        spec, data = cfg, to_mapping(cfg)
    else:
        data = plain(cfg)
        if overrides is None:
            overrides = data.get("overrides", [])
        spec = build_scenario(data)
    data = {k: v for k, v in data.items() if k != "overrides"}
    log.info("simulating %d customers x %d periods", spec.population.n_customers,
             spec.n_periods)
    model = run_model(spec, progress=progress)
    attrs = {
        "title": "valuesim market simulation",
        "config": yaml.safe_dump(data, sort_keys=False),
        "overrides": yaml.safe_dump(list(overrides or []), default_flow_style=True).strip(),
        "seed": spec.seed,
        "replicate": spec.replicate,
        "valuesim_version": provenance.package_version(),
        "git_commit": provenance.git_commit(),
        "currency": "currency units of the config's prices",
    }
    offers = model.offers
    extra = {
        "offer_firm": ("offer", [model.firms[f].name for f in offers.firm]),
        "offer_rung": ("offer", offers.rung),
    }
    return model.recorder.to_dataset(extra_coords=extra, attrs=attrs)


