"""valuesim's engine: value, choice and demand kernels, the period loop, results.

Glossary (MODEL.md §2): a *customer* is one row of a CustomerPopulation; a
*segment* groups customers drawn from shared distributions; a *firm* (Mesa
agent) owns *offers* (tiers of its value ladder) and a *strategy*; a *value
dimension* is an axis of benefit; the *ValueFunction* maps customers x offers
x context to perceived value; a *driver* is an exogenous time path; a
*scenario* is a fully specified what-if; a *replicate* is one seed of it.

Public API::

    from sim import load_config, simulate
    ds = simulate(load_config(["economy=steady", "seed=3"]))
"""

from sim.choice import OUTSIDE, choice_probabilities, choose, expected_surplus
from sim.equilibrium import bertrand_nash_prices
from sim.validation import ConfigError

__all__ = [
    "ConfigError",
    "OUTSIDE",
    "bertrand_nash_prices",
    "choice_probabilities",
    "choose",
    "expected_surplus",
    "load_config",
    "simulate",
]

__version__ = "0.1.0"


def load_config(overrides=()):
    """Compose the project's Hydra configs with override strings (see scenarios.config)."""
    from scenarios.config import load_config as _load

    return _load(overrides)


def simulate(cfg, **kwargs):
    """Run one scenario and return its Dataset (see :func:`sim.run.simulate`)."""
    from sim.run import simulate as _simulate

    return _simulate(cfg, **kwargs)
