"""Designs: space-filling samples of numeric scenario parameters, planned as a sweep.

A design (``configs/design/<name>.yaml``: the fields of :class:`DesignParams`) names
numeric config keys with ranges, a sampler and the outcomes to analyse. Each sampled
point becomes one scenario (the design's ``base`` overrides plus one ``key=value``
per parameter, and the design's ``seed``), run ``replicates`` times with common
random numbers, in a sweep folder with dims ``sample`` and ``replicate`` (see
:mod:`scenarios.sweep`); the sampled values are coordinates on ``sample``.

Samplers draw points of the unit hypercube, shape (sample, parameter); each
parameter maps its column to values by its inverse CDF (:meth:`ParameterRange.scale`):

- ``factorial``: every combination of ``samples`` evenly spaced levels per parameter
  (``samples ** parameters`` points);
- ``latin_hypercube``: ``samples`` points, each parameter's ``samples`` equal strata
  hit once (:class:`scipy.stats.qmc.LatinHypercube`);
- ``sobol``: Saltelli's cross-sampling of a scrambled Sobol' sequence, which Sobol'
  indices need (:func:`SALib.sample.sobol.sample`): ``samples * (2 * parameters + 2)``
  points, ``samples`` a power of two;
- ``morris``: ``samples`` one-at-a-time trajectories on a ``num_levels`` grid
  (:func:`SALib.sample.morris.sample`): ``samples * (parameters + 1)`` points.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from scenarios.sensitivity import OutcomeParams
from sim.params import FROZEN, FrozenMap, from_mapping, to_mapping
from sim.validation import (
    ConfigError,
    check_choice,
    check_finite,
    check_int,
    check_positive,
)

__all__ = ["DesignParams", "ParameterRange", "OutcomeParams", "DesignSample", "SAMPLERS",
           "load_design", "check_design", "sample_design", "plan_design", "design_command",
           "design_dir", "numeric_parameter", "MAX_POINTS"]


SAMPLERS = ("factorial", "latin_hypercube", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "triangular", "normal")
#: Config keys a design may not sample: the design sets seed and replicate, and the
#: runs of one design share their periods.
RESERVED = ("seed", "replicate", "n_periods")
#: Most points one design may plan.
MAX_POINTS = 1_000_000


# -- parameters -------------------------------------------------------------------------


@dataclasses.dataclass(**FROZEN)
class ParameterRange:
    """One sampled parameter: a range and a distribution over it.

    Attributes
    ----------
    low, high : float
        The range; ``low < high``. Every distribution stays inside it.
    integer : bool, optional
        Run whole numbers (each integer of a uniform range equally likely); by default
        as the config's value is.
    distribution : {"uniform", "triangular", "normal"}
        ``triangular`` peaks at ``mode``; ``normal`` has ``mean`` and ``sd`` and is
        truncated to the range.
    mode, mean, sd : float, optional
        Only for the distribution that uses them.
    """

    low: float
    high: float
    integer: bool | None = None
    distribution: str = "uniform"
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None

    def __post_init__(self) -> None:
        low, high = check_finite("low", self.low), check_finite("high", self.high)
        if low >= high:
            raise ConfigError("high", self.high, f"a number > low ({low:g}): a non-empty range")
        if self.integer is not None and not isinstance(self.integer, bool):
            raise ConfigError("integer", self.integer, "true or false")
        if self.integer and math.ceil(low) > math.floor(high):
            raise ConfigError("high", self.high, f"a range holding an integer (low is {low:g})")
        check_choice("distribution", self.distribution, DISTRIBUTIONS)
        needs = {"uniform": (), "triangular": ("mode",), "normal": ("mean", "sd")}
        for name in ("mode", "mean", "sd"):
            value = getattr(self, name)
            if name in needs[self.distribution]:
                check_finite(name, value)
            elif value is not None:
                raise ConfigError(name, value, "only with distribution: " + (
                    "triangular" if name == "mode" else "normal"))
        if self.mode is not None and not low <= self.mode <= high:
            raise ConfigError("mode", self.mode, f"a number in [{low:g}, {high:g}]")
        if self.sd is not None:
            check_positive("sd", self.sd)

    def scale(self, unit: np.ndarray) -> np.ndarray:
        """Values at points of the unit interval (the inverse CDF).

        Parameters
        ----------
        unit : ndarray, shape (sample,)
            Points in [0, 1].

        Returns
        -------
        ndarray, shape (sample,)
            Values in [low, high]; whole numbers if ``integer``.
        """
        u = np.clip(np.asarray(unit, dtype=np.float64), 0.0, 1.0)
        if self.integer:
            lo, hi = math.ceil(self.low), math.floor(self.high)
            if self.distribution == "uniform":
                return np.minimum(lo + np.floor(u * (hi - lo + 1)), hi)
            return np.clip(np.round(self._ppf(u)), lo, hi)
        return np.clip(self._ppf(u), self.low, self.high)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy import stats

        width = self.high - self.low
        if self.distribution == "triangular":
            c = (self.mode - self.low) / width
            return stats.triang.ppf(u, c, loc=self.low, scale=width)
        if self.distribution == "normal":
            a, b = (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd
            return stats.truncnorm.ppf(u, a, b, loc=self.mean, scale=self.sd)
        return self.low + u * width


@dataclasses.dataclass(**FROZEN)
class DesignParams:
    """A design: which parameters to sample, how, and what to analyse.

    Attributes
    ----------
    name : str
        Names the sweep folder (letters, digits, ``_ . -``).
    sampler : {"factorial", "latin_hypercube", "sobol", "morris"}
    samples : int
        factorial: levels per parameter; latin_hypercube: points; sobol: base samples
        N (a power of two; N * (2 * parameters + 2) points); morris: trajectories.
    parameters : Mapping[str, ParameterRange]
        Dotted config key -> its range.
    outcomes : Mapping[str, OutcomeParams]
        Name -> one number per run (:class:`scenarios.sensitivity.OutcomeParams`).
    replicates : int
        Runs per point (common random numbers); outcomes are averaged over them.
    seed : int
        Seeds the sampler and is every run's ``seed``.
    num_levels : int
        Grid levels of the morris sampler.
    base : tuple of str
        Scenario overrides shared by every run.
    sensitivity : tuple of str, optional
        Outcomes to compute sensitivity indices for (default: all).
    """

    name: str
    sampler: str
    samples: int
    parameters: Mapping[str, ParameterRange]
    outcomes: Mapping[str, OutcomeParams]
    replicates: int = 1
    seed: int = 0
    num_levels: int = 4
    base: tuple[str, ...] = ()
    sensitivity: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not safe_name(self.name):
            raise ConfigError("name", self.name, "letters, digits, _ . - (it names a folder)")
        check_choice("sampler", self.sampler, SAMPLERS)
        check_int("samples", self.samples, low=1)
        if self.sampler == "sobol" and self.samples & (self.samples - 1):
            raise ConfigError("samples", self.samples, "a power of two (1, 2, 4, 8, 16, ...) "
                              "for sampler sobol: it runs samples * (2 * parameters + 2) "
                              "points")
        check_int("replicates", self.replicates, low=1)
        check_int("seed", self.seed, low=0)
        check_int("num_levels", self.num_levels, low=2)
        self._check_parameters()
        self._check_outcomes()
        for k, o in enumerate(self.base):
            if not isinstance(o, str) or "=" not in o:
                raise ConfigError(f"base[{k}]", o, "a scenario override KEY=VALUE")
            key = o.partition("=")[0].lstrip("+~")
            if key in ("seed", "replicate"):
                raise ConfigError(f"base[{k}]", o, "no seed= or replicate=: the design's "
                                  "seed and replicates fields set them")
            if key in self.parameters:
                raise ConfigError(f"base[{k}]", o, f"no override of {key}: the design "
                                  f"samples it (edit parameters.{key})")
        if self.n_points > MAX_POINTS:
            raise ConfigError("samples", self.samples, f"a design of at most {MAX_POINTS:,} "
                              f"points (this one has {self.n_points:,})")

    def _check_parameters(self) -> None:
        if not self.parameters:
            raise ConfigError("parameters", {}, "at least one config key with low and high")
        for key in self.parameters:
            if key in RESERVED or not re.fullmatch(r"[A-Za-z_][\w.]*", key):
                raise ConfigError(f"parameters.{key}", "not sampled",
                                  "a dotted numeric config key other than "
                                  + ", ".join(RESERVED))

    def _check_outcomes(self) -> None:
        if not self.outcomes:
            raise ConfigError("outcomes", {}, "at least one outcome (variable, select, reduce)")
        for name in self.outcomes:
            if not re.fullmatch(r"[A-Za-z_]\w*", name) or name in ("sample", "replicate"):
                raise ConfigError(f"outcomes.{name}", "bad name",
                                  "an identifier other than sample, replicate")
        for name in self.sensitivity or ():
            if name not in self.outcomes:
                raise ConfigError("sensitivity", name,
                                  "names of outcomes: " + ", ".join(self.outcomes))

    @property
    def n_points(self) -> int:
        """Points the sampler draws (runs = points x replicates)."""
        n, d = self.samples, len(self.parameters)
        return {"factorial": n ** d, "latin_hypercube": n, "sobol": n * (2 * d + 2),
                "morris": n * (d + 1)}[self.sampler]

    @property
    def analysed(self) -> tuple[str, ...]:
        """Outcomes that get sensitivity indices."""
        return tuple(self.outcomes) if self.sensitivity is None else self.sensitivity


def design_dir() -> Path:
    """Where the example designs live (``configs/design``)."""
    from scenarios.config import CONFIG_DIR

    return CONFIG_DIR / "design"


# -- reading ----------------------------------------------------------------------------


def load_design(source: str | os.PathLike, overrides: Sequence[str] = ()) -> DesignParams:
    """Read a design file; design-field overrides change it, the rest join ``base``.

    Parameters
    ----------
    source : path or str
        A YAML file, or the name of one in ``configs/design/``.
    overrides : sequence of str
        ``samples=32``, ``sampler=latin_hypercube``, ... (fields of
        :class:`DesignParams`), or scenario overrides (``population.n_customers=2000``).

    Raises
    ------
    ConfigError
        A missing or unreadable file, an unknown or invalid field.
    """
    path = _design_path(source)
    try:
        data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError("design", str(path), f"a readable YAML file ({type(exc).__name__})"
                          ) from None
    if not isinstance(data, dict):
        raise ConfigError("design", str(path), "a YAML mapping of design fields: "
                          + ", ".join(_FIELDS))
    scenario = []
    for o in overrides:
        key, sep, value = o.partition("=")
        if not sep or not key:
            raise ConfigError("override", o, "KEY=VALUE (a design field or a scenario override)")
        if key in _SCALAR_FIELDS:
            data[key] = _yaml_value(value)
        elif key.partition(".")[0] in ("parameters", "outcomes", "base"):
            raise ConfigError(key, value, "a change to the design file (on the command line: "
                              + ", ".join(_SCALAR_FIELDS) + ", or scenario overrides)")
        else:
            scenario.append(o)
    base = data.get("base") or []
    if not isinstance(base, list):
        raise ConfigError("base", base, "a list of scenario overrides (KEY=VALUE)")
    data["base"] = [*base, *scenario]
    return from_mapping(DesignParams, data)


_FIELDS = tuple(f.name for f in dataclasses.fields(DesignParams))
_SCALAR_FIELDS = ("name", "sampler", "samples", "replicates", "seed", "num_levels",
                  "sensitivity")


def _design_path(source: str | os.PathLike) -> Path:
    path = Path(source)
    if path.is_file():
        return path
    named = design_dir() / f"{source}.yaml"
    if path.suffix == "" and named.is_file():
        return named
    known = sorted(p.stem for p in design_dir().glob("*.yaml"))
    raise ConfigError("design", str(source), "a design YAML file or the name of one in "
                      f"configs/design ({', '.join(known) or 'none'})")


def _yaml_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


# -- checking against the scenario config -----------------------------------------------


def check_design(design: DesignParams) -> DesignParams:
    """Check the design against the scenario its ``base`` composes.

    Every parameter must name a numeric key of the composed config (an integer key
    makes the parameter integer unless told otherwise), and every outcome selection
    must name labels the runs will have (firms, offers, segments, states).

    Returns
    -------
    DesignParams
        The design with each parameter's ``integer`` resolved.

    Raises
    ------
    ConfigError
        The first problem (nothing has been written).
    """
    from omegaconf import OmegaConf

    from scenarios.config import build_scenario, load_config

    cfg = load_config(list(design.base))
    spec = build_scenario(cfg)
    missing = object()
    parameters = {}
    for key, p in design.parameters.items():
        current = OmegaConf.select(cfg, key, default=missing)
        if current is missing:
            raise ConfigError(f"parameters.{key}", "unknown key",
                              "a numeric key of the scenario config (see `valuesim run "
                              "--cfg job`)")
        parameters[key] = numeric_parameter(f"parameters.{key}", p, current)
    _check_selections(design.outcomes, result_labels(spec))
    return dataclasses.replace(design, parameters=FrozenMap(parameters))


def numeric_parameter(field: str, p: ParameterRange, current: Any) -> ParameterRange:
    """``p`` checked against the config value it samples, its ``integer`` resolved.

    Parameters
    ----------
    field : str
        Where ``p`` is declared (``parameters.economy.depth``), for error messages.
    p : ParameterRange
    current : Any
        The composed config's value at the parameter's key.

    Raises
    ------
    ConfigError
        When the config value is not a number, or is an integer but ``p`` says not.
    """
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise ConfigError(field, current, "a config key holding a number (this one holds "
                          f"{type(current).__name__})")
    is_int = isinstance(current, int)
    if p.integer is None:
        return dataclasses.replace(p, integer=is_int)
    if is_int and not p.integer:
        raise ConfigError(f"{field}.integer", p.integer,
                          f"true: the config holds an integer there ({current})")
    return p


def result_labels(spec) -> dict[str, tuple[str, ...]]:
    """Labels of each run dim that a selection may name, for ``spec``'s runs."""
    from agents.population import AwarenessState

    return {"firm": tuple(spec.firms), "offer": tuple(spec.offer_book().name),
            "segment": tuple(spec.population.segment_names),
            "state": tuple(AwarenessState.NAMES)}


def _check_selections(outcomes: Mapping[str, OutcomeParams],
                      labels: Mapping[str, Sequence[str]]) -> None:
    for name, o in outcomes.items():
        for dim, value in o.select.items():
            if dim in labels and str(value) not in labels[dim]:
                raise ConfigError(f"outcomes.{name}.select.{dim}", value,
                                  "one of " + ", ".join(labels[dim]))


# -- sampling ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DesignSample:
    """A design's points.

    Attributes
    ----------
    names : tuple of str
        Parameter keys, in design order.
    unit : ndarray, shape (sample, parameter)
        The sampler's points in the unit hypercube (what SALib analyses).
    values : ndarray, shape (sample, parameter)
        The values run: ``unit`` mapped by each parameter's inverse CDF (whole
        numbers for integer parameters).
    """

    names: tuple[str, ...]
    unit: np.ndarray
    values: np.ndarray

    @property
    def n_samples(self) -> int:
        return self.unit.shape[0]

    def overrides(self, k: int) -> list[str]:
        """The ``key=value`` overrides of point ``k``."""
        return [f"{name}={_text(v)}" for name, v in zip(self.names, self.values[k],
                                                         strict=True)]


def sample_design(design: DesignParams) -> DesignSample:
    """Draw the design's points (deterministic for a given ``seed``).

    Returns
    -------
    DesignSample
        ``n_points`` points: see :attr:`DesignParams.n_points`.
    """
    rng = np.random.default_rng(design.seed)
    unit = _UNIT_SAMPLERS[design.sampler](design, rng)
    params = list(design.parameters.values())
    values = np.column_stack([p.scale(unit[:, j]) for j, p in enumerate(params)])
    return DesignSample(tuple(design.parameters), unit, values)


def unit_problem(design: DesignParams) -> dict:
    """The SALib problem of ``design`` on the unit hypercube."""
    names = list(design.parameters)
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def _factorial(design: DesignParams, rng: np.random.Generator) -> np.ndarray:
    d = len(design.parameters)
    levels = np.linspace(0.0, 1.0, design.samples) if design.samples > 1 else np.array([0.5])
    grid = np.meshgrid(*([levels] * d), indexing="ij")
    return np.stack(grid, axis=-1).reshape(-1, d)


def _latin_hypercube(design: DesignParams, rng: np.random.Generator) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(len(design.parameters), rng=rng).random(design.samples)


def _sobol(design: DesignParams, rng: np.random.Generator) -> np.ndarray:
    from SALib.sample import sobol

    return sobol.sample(unit_problem(design), design.samples, calc_second_order=True,
                        scramble=True, seed=rng)


def _morris(design: DesignParams, rng: np.random.Generator) -> np.ndarray:
    from SALib.sample import morris

    return morris.sample(unit_problem(design), design.samples, num_levels=design.num_levels,
                         seed=rng)


_UNIT_SAMPLERS = {"factorial": _factorial, "latin_hypercube": _latin_hypercube,
                  "sobol": _sobol, "morris": _morris}


def _text(value: float) -> str:
    """A sampled value as override text: integers plain, floats round-tripping."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# -- planning ---------------------------------------------------------------------------


def design_command(design: DesignParams) -> str:
    """Canonical one-line text of a (resolved) design: what its sweep folder holds."""
    return "explore " + json.dumps(to_mapping(design), sort_keys=True, separators=(",", ":"))


def design_yaml(design: DesignParams) -> str:
    """The resolved design as YAML (stored in the combined dataset's attributes)."""
    return yaml.safe_dump(to_mapping(design), sort_keys=False)


def plan_design(design: DesignParams, sample: DesignSample | None = None,
                directory: str | os.PathLike | None = None, *, root: str | os.PathLike =
                "multirun"):
    """Compose and validate every point of the design: a sweep plan over (sample, replicate).

    Parameters
    ----------
    design : DesignParams
        As :func:`check_design` returns it.
    sample : DesignSample, optional
        The design's points (drawn if not given).
    directory : path, optional
        The sweep folder; by default ``<root>/explore-<name>-<hash of the design>``, so
        the same design finds its earlier runs.

    Returns
    -------
    scenarios.sweep.SweepPlan
        Dims ``sample`` and ``replicate``; one coordinate on ``sample`` per parameter.

    Raises
    ------
    ConfigError
        The first point whose scenario is invalid (nothing has been written).
    """
    from scenarios.sweep import plan_runs

    sample = sample_design(design) if sample is None else sample
    command = design_command(design)
    if directory is None:
        digest = hashlib.sha256(command.encode()).hexdigest()[:8]
        directory = Path(root) / f"explore-{design.name}-{digest}"
    n = sample.n_samples
    points = (({"sample": k}, [*design.base, *sample.overrides(k), f"seed={design.seed}"])
              for k in range(n))
    coords = {name: ("sample", [_coord(v) for v in sample.values[:, j]])
              for j, name in enumerate(sample.names)}
    return plan_runs(directory, {"sample": list(range(n)),
                                 "replicate": list(range(design.replicates))},
                     points, keys={"sample": "design point", "replicate": "replicate"},
                     coords=coords, command=command, kind="design",
                     attrs={"design": design_yaml(design), "design_name": design.name,
                            "sampler": design.sampler})


def _coord(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def safe_name(name: str) -> bool:
    """Whether ``name`` can name a folder (letters, digits, ``_ . -``)."""
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name))

