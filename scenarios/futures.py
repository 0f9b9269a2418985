"""Futures: weighted classes of uncertain worlds to test strategies in (MODEL.md §9).

A future (``configs/future/<name>.yaml``: the fields of :class:`FutureParams`) states
what it assumes: fixed scenario overrides (``base``: structural choices such as
``economy=downturn`` or ``unit_cost=shock``) and uncertain ``parameters``, each a
distribution over one config key:

- a number: :class:`scenarios.design.ParameterRange` (``{low: 0.1, high: 0.3}``,
  uniform by default; ``distribution: triangular`` with ``mode``; ``normal`` with
  ``mean`` and ``sd``, truncated to the range; ``integer: true``);
- a discrete choice: :class:`ChoiceRange` (``{choice: [U, L], p: [0.7, 0.3]}``) of a
  config value (``economy.shape``) or of a config-group option (``economy``,
  ``unit_cost``, ``strategy@firms.b.strategy``).

Its ``class`` (probable, plausible, possible) and ``weight`` say how much it counts
when futures are compared together.

:func:`plan_futures` lays strategies x futures x samples out as one sweep (dims
``future``, ``strategy``, ``sample``) with common random numbers: sample k of a future
is one drawn world (the same sampled values, the same ``seed`` and ``replicate=k``) under
every strategy. Each parameter is drawn from its own stream, keyed by the seed, the
future's name and the parameter's key, so adding a parameter or more samples leaves the
values already drawn as they were.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from scenarios.design import ParameterRange, _text, numeric_parameter, safe_name
from sim.params import FROZEN, FrozenMap, from_mapping, to_mapping
from sim.validation import ConfigError, check_choice, check_int, check_positive, check_range

__all__ = ["ChoiceRange", "FutureParams", "FutureSample", "CLASSES", "DIMS", "future_dir",
           "available_futures", "load_future", "future_from_mapping", "check_future",
           "sample_future", "plan_futures", "coord_name"]

CLASSES = ("probable", "plausible", "possible")
#: The sweep dims of a futures run (the runs' own dims follow).
DIMS = ("future", "strategy", "sample")
#: Keys a future may not set: the command sets seed, each sample its replicate, and the
#: runs of one comparison share their periods.
RESERVED = ("seed", "replicate", "n_periods")
FIELDS = ("name", "class", "weight", "description", "base", "parameters")
_MISSING = object()


# -- parameters -------------------------------------------------------------------------


@dataclasses.dataclass(**FROZEN)
class ChoiceRange:
    """A discrete uncertain parameter: one of ``choice``, with probabilities ``p``.

    Attributes
    ----------
    choice : tuple
        The values (text, numbers, true/false): of a config key (``economy.shape``), or
        options of a config group (``economy``: ``downturn``, ``steady``).
    p : tuple of float, optional
        Probability of each value (summing to 1); equal by default.

    Examples
    --------
    >>> ChoiceRange(choice=("U", "L"), p=(0.75, 0.25)).scale([0.1, 0.74, 0.8]).tolist()
    ['U', 'U', 'L']
    """

    choice: tuple[Any, ...]
    p: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not self.choice:
            raise ConfigError("choice", list(self.choice), "at least one value")
        for k, v in enumerate(self.choice):
            if not isinstance(v, (str, int, float, bool)) or (
                    isinstance(v, float) and not math.isfinite(v)):
                raise ConfigError(f"choice[{k}]", v, "a config value: text, a finite number "
                                  "or true/false")
        if len({repr(v) for v in self.choice}) != len(self.choice):
            raise ConfigError("choice", list(self.choice), "distinct values")
        if self.p is None:
            return
        if len(self.p) != len(self.choice):
            raise ConfigError("p", list(self.p), f"{len(self.choice)} probabilities, one per "
                              "choice")
        for k, q in enumerate(self.p):
            check_range(f"p[{k}]", q, 0.0, 1.0)
        if not math.isclose(sum(self.p), 1.0, abs_tol=1e-6):
            raise ConfigError("p", list(self.p), "probabilities summing to 1")

    @property
    def probabilities(self) -> np.ndarray:
        """Probability of each choice, shape (choice,)."""
        n = len(self.choice)
        return np.full(n, 1.0 / n) if self.p is None else np.asarray(self.p, dtype=np.float64)

    def scale(self, unit: np.ndarray) -> np.ndarray:
        """Choices at points of the unit interval (the inverse CDF).

        Parameters
        ----------
        unit : ndarray, shape (sample,)
            Points in [0, 1).

        Returns
        -------
        ndarray of object, shape (sample,)
        """
        u = np.clip(np.asarray(unit, dtype=np.float64), 0.0, 1.0)
        cdf = np.cumsum(self.probabilities)
        index = np.minimum(np.searchsorted(cdf, u, side="right"), len(self.choice) - 1)
        out = np.empty(index.size, dtype=object)
        out[:] = [self.choice[i] for i in index.ravel()]
        return out.reshape(index.shape)


Distribution = ParameterRange | ChoiceRange


@dataclasses.dataclass(**FROZEN)
class FutureParams:
    """A future: a class of worlds, how much it counts, and what it holds uncertain.

    Attributes
    ----------
    name : str
        Labels the future in results (letters, digits, ``_ . -``).
    class_ : {"probable", "plausible", "possible"}
        ``class`` in YAML. Probable: central ranges, no structural break; plausible:
        wide ranges, combined shocks; possible: structural breaks, extreme tails.
    weight : float
        > 0; the futures compared together are weighted by their normalised weights.
    description : str
        What the future assumes, in words.
    base : tuple of str
        Scenario overrides fixed in this future (``economy=downturn``).
    parameters : Mapping[str, ParameterRange | ChoiceRange]
        Config key -> its distribution.
    """

    name: str
    class_: str
    weight: float
    description: str
    base: tuple[str, ...] = ()
    parameters: Mapping[str, Distribution] = dataclasses.field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not safe_name(self.name):
            raise ConfigError("name", self.name, "letters, digits, _ . - (it labels results)")
        check_choice("class", self.class_, CLASSES)
        check_positive("weight", self.weight)
        if not isinstance(self.description, str) or not self.description.strip():
            raise ConfigError("description", self.description, "a sentence saying what the "
                              "future assumes")
        for key, p in self.parameters.items():
            if not re.fullmatch(r"[A-Za-z_][\w.@]*", key) or key.lstrip("+~") in RESERVED:
                raise ConfigError(f"parameters.{key}", "not sampled", "a dotted config key "
                                  "or config group other than " + ", ".join(RESERVED))
            if not isinstance(p, (ParameterRange, ChoiceRange)):
                raise ConfigError(f"parameters.{key}", p, "{low, high, ...} or {choice: "
                                  "[...], p: [...]}")
        for k, o in enumerate(self.base):
            key = o.partition("=")[0].lstrip("+~") if isinstance(o, str) else ""
            if not isinstance(o, str) or "=" not in o or not key:
                raise ConfigError(f"base[{k}]", o, "a scenario override KEY=VALUE")
            if key in RESERVED:
                raise ConfigError(f"base[{k}]", o, "no " + ", ".join(RESERVED) + ": the "
                                  "command sets them (seed=, samples=) for every future")
            if key in self.parameters:
                raise ConfigError(f"base[{k}]", o, f"no override of {key}: the future "
                                  f"samples it (edit parameters.{key})")

    def to_mapping(self) -> dict:
        """Plain containers, keyed as in YAML (``class``, not ``class_``)."""
        return {"name": self.name, "class": self.class_, "weight": self.weight,
                "description": self.description, "base": list(self.base),
                "parameters": {k: to_mapping(p) for k, p in self.parameters.items()}}


def future_from_mapping(data: Any, field: str = "future") -> FutureParams:
    """Build a :class:`FutureParams` from its YAML mapping.

    Raises
    ------
    ConfigError
        An unknown or missing field, or an invalid distribution, named under ``field``.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(field, data, "a mapping of future fields: " + ", ".join(FIELDS))
    data = dict(data)
    for key in data:
        if key not in FIELDS:
            raise ConfigError(f"{field}.{key}", "unknown key", "one of " + ", ".join(FIELDS))
    if "class" not in data:
        raise ConfigError(f"{field}.class", "missing", "one of " + ", ".join(CLASSES))
    data["class_"] = data.pop("class")
    params = data.get("parameters") or {}
    if not isinstance(params, Mapping):
        raise ConfigError(f"{field}.parameters", params, "a mapping of config key -> "
                          "distribution")
    built = {}
    for key, spec in params.items():
        path = f"{field}.parameters.{key}"
        if not isinstance(spec, Mapping):
            raise ConfigError(path, spec, "a distribution: {low, high, ...} or {choice: "
                              "[...], p: [...]}")
        built[str(key)] = from_mapping(ChoiceRange if "choice" in spec else ParameterRange,
                                       spec, path)
    data["parameters"] = built
    base = data.get("base") or []
    if not isinstance(base, list):
        raise ConfigError(f"{field}.base", base, "a list of scenario overrides (KEY=VALUE)")
    data["base"] = base
    return from_mapping(FutureParams, data, field)


# -- reading ----------------------------------------------------------------------------


def future_dir() -> Path:
    """Where the shipped futures live (``configs/future``)."""
    from scenarios.config import CONFIG_DIR

    return CONFIG_DIR / "future"


def available_futures() -> tuple[str, ...]:
    """Names of the futures in ``configs/future``, probable first, then by name."""
    order = {}
    for path in future_dir().glob("*.yaml"):
        try:
            data = yaml.safe_load(path.read_text())
        except (yaml.YAMLError, UnicodeDecodeError):
            data = None  # reported when loaded
        cls = data.get("class") if isinstance(data, dict) else None
        order[path.stem] = (CLASSES.index(cls) if cls in CLASSES else len(CLASSES), path.stem)
    return tuple(sorted(order, key=order.__getitem__))


def load_future(source: str | os.PathLike) -> FutureParams:
    """Read a future: a YAML file, or the name of one in ``configs/future``.

    Raises
    ------
    ConfigError
        A missing or unreadable file, or an invalid field (named ``future.<name>...``).
    """
    path = Path(source)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        named = future_dir() / f"{source}.yaml"
        if path.suffix or not named.is_file():
            raise ConfigError("futures", str(source), "names of futures in configs/future ("
                              + (", ".join(available_futures()) or "none")
                              + ") or YAML files")
        path = named
    try:
        data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError("futures", str(path), f"a readable YAML file ({type(exc).__name__})"
                          ) from None
    if isinstance(data, dict):
        data.setdefault("name", path.stem)
    return future_from_mapping(data, f"future.{path.stem}")


# -- checking against the scenario config -----------------------------------------------


def _group(key: str) -> tuple[str, str] | None:
    """``(group, target)`` when ``key`` picks a config-group option, else None."""
    from scenarios.config import CONFIG_DIR

    name = key.lstrip("+~")
    if "@" in name:
        group, _, target = name.partition("@")
        return group, target
    return (name, name) if (CONFIG_DIR / name.replace(".", "/")).is_dir() else None


def _override(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return f"{key}={str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"{key}={_text(value)}"
    return f"{key}={value}"


def check_future(future: FutureParams, overrides: Sequence[str] = (), *,
                 firm: str | None = None) -> FutureParams:
    """Check a future against the scenario that ``overrides`` compose.

    Its base must build a valid scenario; each group choice must name options of its
    group that build; each other parameter must name a config key (present under at
    least one of the future's group choices) whose values at the ends of its range, or
    whose choices, build a valid scenario. Keys the command sets, and the focal firm's
    strategy (``strategy@firms.<firm>.strategy``), are not the future's to set.

    Returns
    -------
    FutureParams
        With each numeric parameter's ``integer`` resolved from the config.

    Raises
    ------
    ConfigError
        The first problem, named ``future.<name>...`` (nothing has been written).
    """
    from scenarios.config import group_options, load_config

    field = f"future.{future.name}"
    given = {o.partition("=")[0].lstrip("+~"): o for o in overrides}
    own = [(f"base[{k}]", o.partition("=")[0].lstrip("+~")) for k, o in enumerate(future.base)]
    own += [(f"parameters.{key}", key.lstrip("+~")) for key in future.parameters]
    for where, key in own:
        if key in given:
            raise ConfigError(given[key].partition("=")[0], given[key].partition("=")[2],
                              f"a key future {future.name} leaves open (it sets {key} in "
                              f"{where}): edit the future or drop the override")
        if firm is not None and (key == f"strategy@firms.{firm}.strategy"
                                 or key.startswith(f"firms.{firm}.strategy")):
            raise ConfigError(f"{field}.{where}", key, "a key other than the focal firm's "
                              "strategy (the command's strategies set it)")
    base = [*overrides, *future.base]
    _build(base, f"{field}.base")
    variants = [base]
    for key, p in future.parameters.items():
        group = _group(key)
        if group is None:
            continue
        if not isinstance(p, ChoiceRange):
            raise ConfigError(f"{field}.parameters.{key}", "a range", "{choice: [...]}: "
                              f"{key} picks an option of config group {group[0]}")
        options = group_options(group[0])
        for v in p.choice:
            if str(v) not in options:
                raise ConfigError(f"{field}.parameters.{key}.choice", v,
                                  "options of config group " + group[0] + ": "
                                  + ", ".join(options))
            variants.append([*base, _override(key, v)])
            _build(variants[-1], f"{field}.parameters.{key}")
    configs = [load_config(v) for v in variants]
    resolved = dict(future.parameters)
    for key, p in future.parameters.items():
        if _group(key) is None:
            resolved[key] = _check_value(f"{field}.parameters.{key}", key, p, variants,
                                         configs)
    return dataclasses.replace(future, parameters=FrozenMap(resolved))


def _build(overrides: Sequence[str], prefix: str) -> None:
    from scenarios.config import build_scenario, load_config

    try:
        build_scenario(load_config(list(overrides)))
    except ConfigError as err:
        raise err.within(prefix) from None


def _check_value(path: str, key: str, p: Distribution, variants, configs) -> Distribution:
    from omegaconf import OmegaConf

    found = [(v, OmegaConf.select(c, key, default=_MISSING)) for v, c in
             zip(variants, configs, strict=True)]
    found = [(v, c) for v, c in found if c is not _MISSING]
    if not found:
        raise ConfigError(path, "unknown key", "a key of the scenario config (see `valuesim "
                          "run --cfg job`), under the future's base or one of its choices")
    variant = found[0][0]
    if isinstance(p, ParameterRange):
        for _, current in found:
            p = numeric_parameter(path, p, current)
        ends = ({"low": math.ceil(p.low), "high": math.floor(p.high)} if p.integer
                else {"low": p.low, "high": p.high})
        tries = ends.items()
    else:
        tries = ((f"choice[{k}]", v) for k, v in enumerate(p.choice))
    for name, value in tries:
        try:
            _build([*variant, _override(key, value)], "")
        except ConfigError as err:
            allowed = err.allowed if err.field.endswith(key) else f"{err.field}: {err.allowed}"
            raise ConfigError(f"{path}.{name}", value, allowed) from None
    return p


# -- sampling ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FutureSample:
    """The sampled worlds of one future.

    Attributes
    ----------
    future : FutureParams
    values : ndarray of object, shape (sample, parameter)
        Each world's value of each parameter (in ``future.parameters`` order).
    applies : ndarray of bool, shape (sample, parameter)
        False where a group choice of that world left the key out (``economy.depth``
        when ``economy=steady`` was drawn): the value is not used.
    """

    future: FutureParams
    values: np.ndarray
    applies: np.ndarray

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.future.parameters)

    @property
    def n_samples(self) -> int:
        return self.values.shape[0]

    def overrides(self, k: int) -> list[str]:
        """The ``key=value`` overrides of world ``k`` (group choices first)."""
        out = [_override(n, v) for n, v, a in zip(self.names, self.values[k], self.applies[k],
                                                   strict=True) if a]
        return sorted(out, key=lambda o: _group(o.partition("=")[0]) is None)


def sample_future(future: FutureParams, n_samples: int, seed: int = 0,
                  overrides: Sequence[str] = ()) -> FutureSample:
    """Draw ``n_samples`` worlds of ``future`` (Monte Carlo, deterministic for a seed).

    Parameter ``key`` is drawn from ``SeedSequence([seed, crc32(future.name),
    crc32(key)])``, so its values do not depend on the other parameters, and the first
    k worlds are the same whatever ``n_samples``.

    Parameters
    ----------
    future : FutureParams
        As :func:`check_future` returns it.
    n_samples : int
    seed : int
    overrides : sequence of str
        The command's scenario overrides (to see which keys a group choice leaves out).
    """
    from omegaconf import OmegaConf

    from scenarios.config import load_config

    check_int("samples", n_samples, low=1)
    names = tuple(future.parameters)
    values = np.empty((n_samples, len(names)), dtype=object)
    for j, (key, p) in enumerate(future.parameters.items()):
        ss = np.random.SeedSequence([seed, _crc(future.name), _crc(key)])
        drawn = p.scale(np.random.default_rng(ss).random(n_samples))
        values[:, j] = [v.item() if isinstance(v, np.generic) else v for v in drawn]
    applies = np.ones(values.shape, dtype=bool)
    groups = [j for j, key in enumerate(names) if _group(key) is not None]
    if groups:
        cache: dict[tuple[str, ...], list[int]] = {}
        for k in range(n_samples):
            combo = tuple(_override(names[j], values[k, j]) for j in groups)
            if combo not in cache:
                cfg = load_config([*overrides, *future.base, *combo])
                cache[combo] = [j for j, key in enumerate(names) if j not in groups and
                                OmegaConf.select(cfg, key, default=_MISSING) is _MISSING]
            applies[k, cache[combo]] = False
    return FutureSample(future, values, applies)


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


# -- planning ---------------------------------------------------------------------------


def futures_command(futures: Sequence[FutureParams], strategies: Sequence[str], *,
                    samples: int, firm: str, seed: int, overrides: Sequence[str]) -> str:
    """Canonical one-line text of what a futures folder holds (what its runs depend on)."""
    data = {"futures": [f.to_mapping() for f in futures], "strategies": list(strategies),
            "samples": samples, "firm": firm, "seed": seed, "overrides": list(overrides)}
    return "futures " + json.dumps(data, sort_keys=True, separators=(",", ":"))


def plan_futures(samples: Sequence[FutureSample], strategies: Sequence[str], *, firm: str,
                 seed: int = 0, overrides: Sequence[str] = (),
                 directory: str | os.PathLike | None = None,
                 root: str | os.PathLike = "multirun"):
    """Compose and validate every (future, strategy, sample) run: a sweep plan.

    Run (f, s, k) has the command's overrides, future f's base, world k's sampled
    values, ``strategy@firms.<firm>.strategy=s``, ``seed`` and ``replicate=k``.

    Parameters
    ----------
    samples : sequence of FutureSample
        One per future, all with the same number of worlds.
    strategies : sequence of str
        Options of config group ``strategy`` for the focal firm.
    directory : path, optional
        By default ``<root>/futures-<hash of what the runs depend on>``.

    Returns
    -------
    scenarios.sweep.SweepPlan
        Dims ``future``, ``strategy``, ``sample``; one coordinate on (future, sample) per
        parameter of any future (:func:`coord_name`), holding the value each world ran
        with (a key a future does not sample holds its fixed value there; NaN or "" where
        it is not set).
    """
    from scenarios.sweep import plan_runs

    futures = [s.future for s in samples]
    n = samples[0].n_samples
    command = futures_command(futures, strategies, samples=n, firm=firm, seed=seed,
                              overrides=overrides)
    if directory is None:
        digest = hashlib.sha256(command.encode()).hexdigest()[:8]
        directory = Path(root) / f"futures-{digest}"
    focal = f"strategy@firms.{firm}.strategy"
    points = (({"future": fs.future.name, "strategy": s, "sample": k},
               [*overrides, *fs.future.base, *fs.overrides(k), f"{focal}={s}", f"seed={seed}",
                f"replicate={k}"])
              for fs in samples for s in strategies for k in range(n))
    attrs = {"futures": yaml.safe_dump([f.to_mapping() for f in futures], sort_keys=False),
             "future_weights": json.dumps({f.name: f.weight for f in futures}),
             "future_classes": json.dumps({f.name: f.class_ for f in futures}),
             "focal_firm": firm, "strategies": " ".join(strategies), "samples": n,
             "seed": seed}
    plan = plan_runs(directory, {"future": [f.name for f in futures],
                                 "strategy": list(strategies), "sample": list(range(n))},
                     points, keys={"future": "future", "strategy": focal,
                                   "sample": "sampled world (its replicate)"},
                     command=command, kind="futures", attrs=attrs)
    return dataclasses.replace(plan, coords=_world_coords(plan, samples, overrides,
                                                          strategies[0]))


def _world_coords(plan, samples: Sequence[FutureSample], overrides: Sequence[str],
                  strategy: str) -> dict[str, tuple[list[str], list]]:
    """Each parameter's value in each world, read from the runs' resolved configs."""
    keys = list(dict.fromkeys(k for s in samples for k in s.names))
    config = {(r.labels["future"], r.labels["sample"]): plan.configs[r.key]
              for r in plan.runs if r.labels["strategy"] == strategy}
    coords: dict[str, tuple[list[str], list]] = {}
    for key in keys:
        group = _group(key)
        rows = []
        for fs in samples:
            row = []
            for k in range(fs.n_samples):
                if group is None:
                    row.append(_lookup(config[fs.future.name, k], key))
                elif key in fs.names:
                    row.append(fs.values[k, fs.names.index(key)])
                else:
                    row.append(_group_value(key, group[1], [*overrides, *fs.future.base],
                                            config[fs.future.name, k]))
            rows.append(row)
        coords[coord_name(key)] = (["future", "sample"], _uniform(rows))
    return coords


def coord_name(key: str) -> str:
    """The coordinate holding parameter ``key``'s values: the key, or for a config-group
    choice ``<where it lands>.option`` (``unit_cost.option``, ``firms.b.strategy.option``;
    the bare name could clash with a result variable such as ``unit_cost``)."""
    group = _group(key)
    return key if group is None else f"{group[1]}.option"


def _lookup(config: Mapping, key: str) -> Any:
    node: Any = config
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _group_value(key: str, target: str, overrides: Sequence[str], config: Mapping) -> Any:
    """The option a group key has in a world that does not sample it."""
    chosen = [o.partition("=")[2] for o in overrides if o.partition("=")[0].lstrip("+~") == key]
    if chosen:
        return chosen[-1]
    kind = _lookup(config, f"{target}.kind")
    return _MISSING if kind is _MISSING else kind


def _uniform(rows: list[list]) -> list[list]:
    """One coordinate type: numbers (NaN where unset) or text ("" where unset)."""
    flat = [v for row in rows for v in row if v is not _MISSING]
    if flat and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in flat):
        return [[float("nan") if v is _MISSING else float(v) for v in row] for row in rows]
    return [["" if v is _MISSING else str(v).lower() if isinstance(v, bool) else str(v)
             for v in row] for row in rows]
