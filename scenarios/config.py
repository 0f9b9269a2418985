"""The config layer: Hydra composition in, validated :class:`ScenarioSpec` out.

Only this module and the command line import Hydra/OmegaConf; the engine
takes plain parameter objects.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from agents.firm import FirmParams
from agents.population import PopulationParams
from scenarios.spec import ScenarioSpec
from sim.market import MarketParams
from sim.params import from_mapping
from sim.validation import ConfigError

__all__ = ["CONFIG_DIR", "load_config", "resolved_config", "build_scenario", "plain",
           "group_options"]


def _config_dir() -> Path:
    packaged = Path(__file__).resolve().parent / "configs"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "configs"


#: Where the project's Hydra config groups live.
CONFIG_DIR = _config_dir()

#: Top-level keys of a scenario config.
TOP_LEVEL = ("market", "population", "firms", "economy", "unit_cost", "transparency",
             "disruption", "n_periods", "seed",
             "replicate", "overrides")


def load_config(overrides: Sequence[str] = ()) -> DictConfig:
    """Compose the project's configs with Hydra override strings.

    Parameters
    ----------
    overrides : sequence of str
        e.g. ``["economy=steady", "population.n_customers=20000", "seed=3"]``.
        ``key={}`` empties a mapping (Hydra alone would merge the empty mapping, a no-op).

    Returns
    -------
    DictConfig
        The composed config; ``cfg.overrides`` records the overrides.

    Raises
    ------
    ConfigError
        For an unknown option, a misspelled key or a malformed override.
    """
    if isinstance(overrides, str):  # one override, not a sequence of characters
        overrides = [overrides]
    overrides = [str(o) for o in overrides]
    try:
        cfg = _compose(overrides)
    except Exception as exc:  # Hydra's many error types -> one line
        raise hydra_error(exc, overrides) from None
    with open_dict(cfg):
        for o in overrides:
            key, sep, value = o.partition("=")
            if sep and value.strip() in ("{}", "[]") and "@" not in key:
                OmegaConf.update(cfg, key.lstrip("+"), {} if "{" in value else [],
                                 merge=False)
        cfg.overrides = overrides
    return cfg


def resolved_config(overrides: Sequence[str] = ()) -> dict:
    """``plain(load_config(overrides))`` without the ``overrides`` record, fast for sweeps.

    When every override that is not a config-group choice simply sets an existing scalar
    (``economy.depth=0.2``) and the composed groups hold no interpolation, the values are
    set on a copy of the cached plain config (microseconds, not Hydra's milliseconds);
    anything else goes through :func:`load_config`. Both give the same dict.
    """
    overrides = [str(o) for o in overrides]
    parsed = _parse(overrides)
    if parsed is not None:
        groups = tuple(o for o, p in zip(overrides, parsed, strict=True) if _is_group(p))
        values = [p for p in parsed if not _is_group(p)]
        base = _PLAIN_CACHE.get(groups)
        if base is None and groups not in _PLAIN_CACHE and all(_simple(p) for p in values):
            try:
                cfg = _compose(list(groups))
                base = (None if "${" in OmegaConf.to_yaml(cfg) else
                        OmegaConf.to_container(cfg, resolve=True))
            except Exception:  # let load_config report it as one line
                base = None
            _PLAIN_CACHE[groups] = base
        if base is not None and all(_simple(p) for p in values):
            data = copy.deepcopy(base)
            if all(_set_existing(data, p.key_or_group, p.value()) for p in values):
                return data
    data = plain(load_config(overrides))
    data.pop("overrides", None)
    return data


_PLAIN_CACHE: dict[tuple[str, ...], dict | None] = {}


def _simple(override) -> bool:
    """A plain ``key=value`` of a scalar (no +/~/++, no sweep, no mapping or list)."""
    from hydra.core.override_parser.types import OverrideType

    if override.type != OverrideType.CHANGE or override.is_sweep_override():
        return False
    value = override.value()
    return value is None or isinstance(value, (bool, int, float, str))


def _set_existing(data: dict, key: str, value: Any) -> bool:
    """Set dotted ``key`` in ``data`` if it exists and holds a scalar; False otherwise."""
    *path, last = key.split(".")
    node = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return False
    if not isinstance(node, dict) or last not in node or isinstance(node[last], (dict, list)):
        return False
    node[last] = value
    return True


def _compose(overrides: Sequence[str]) -> DictConfig:
    """Compose with Hydra, reusing the defaults tree of an earlier call with the same choices.

    Hydra composition walks the defaults tree (about 0.1 s here); a sweep asks for
    thousands of configs that differ only in values. Overrides that pick config-group
    options (``economy=steady``, ``strategy@firms.a.strategy=cut``, ``hydra.*``) are
    composed by Hydra once per distinct set and cached; value overrides
    (``economy.depth=0.2``, ``+key=v``, ``~key``) are then applied to a copy by Hydra's
    own override semantics, exactly as Hydra applies them after composition.
    """
    overrides = list(overrides)
    parsed = _parse(overrides)
    if parsed is None:
        return _compose_hydra(overrides)
    groups = tuple(o for o, p in zip(overrides, parsed, strict=True) if _is_group(p))
    values = [p for p in parsed if not _is_group(p)]
    base = _GROUP_CACHE.get(groups)
    if base is None:
        base = _compose_hydra(list(groups))
        if len(_GROUP_CACHE) >= _GROUP_CACHE_SIZE:
            _GROUP_CACHE.pop(next(iter(_GROUP_CACHE)))
        _GROUP_CACHE[groups] = base
    cfg = copy.deepcopy(base)
    if values:
        from hydra._internal.config_loader_impl import ConfigLoaderImpl

        ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
    return cfg


_GROUP_CACHE: dict[tuple[str, ...], DictConfig] = {}
_GROUP_CACHE_SIZE = 256


def _parse(overrides: Sequence[str]):
    """Hydra's parse of ``overrides``, or None when the fast path does not apply."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except Exception:
        return None  # let Hydra itself report the error
    if any(p.is_sweep_override() for p in parsed):
        return None
    return parsed


def _is_group(override) -> bool:
    """Whether an override picks a config-group option (or configures Hydra itself)."""
    key = override.key_or_group
    return (override.package is not None or key == "hydra" or key.startswith("hydra.")
            or (CONFIG_DIR / key.replace(".", "/")).is_dir())


def _compose_hydra(overrides: Sequence[str]) -> DictConfig:
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def _keys_at(path: str, overrides: Sequence[str]) -> list[str] | None:
    """Keys of the mapping at dotted ``path`` in the config composed from ``overrides``."""
    try:
        node = OmegaConf.select(_compose(overrides), path) if path else _compose(overrides)
    except Exception:
        return None
    return [str(k) for k in node] if isinstance(node, DictConfig) else None


def hydra_error(exc: BaseException, overrides: Sequence[str] = ()) -> ConfigError:
    """A Hydra composition error as a one-line :class:`ConfigError`."""
    msg = str(exc).split("Config search path:")[0]
    cause = str(exc.__cause__) if exc.__cause__ else ""
    lines = [ln.strip() for ln in msg.splitlines() if ln.strip()]
    quoted = msg.split("'")[1] if msg.count("'") >= 2 else ""
    if "Could not find" in msg and quoted:
        missing = msg.split("Could not find '", 1)[1].split("'", 1)[0]
        group, _, option = missing.rpartition("/")
        group = group.lstrip("/")
        options = [ln for ln in lines if not ln.endswith(":") and "Could not" not in ln
                   and not ln.startswith("In ")]
        allowed = "one of " + ", ".join(options) if options else "an existing config option"
        field = group or "config"
        for o in overrides:  # name the field as the user wrote it (package after '@')
            key, _, value = o.partition("=")
            if value == option and key.lstrip("+~").split("@")[0] == group:
                field = key.split("@")[-1]
        return ConfigError(field, option, allowed)
    if "Did you mean to override one of" in msg and quoted:
        choices = msg.split("Did you mean to override one of", 1)[1].split("?")[0].strip()
        value = next((o.partition("=")[2] for o in overrides
                      if o.partition("=")[0].lstrip("+~") == quoted), "?")
        return ConfigError(quoted.split("@")[-1], value,
                           f"an existing config node: one of {choices}")
    if "not in struct" in cause or "not in struct" in msg:
        key = quoted or msg
        rest = [o for o in overrides if o.partition("=")[0].lstrip("+~") != key]
        parent = key.rpartition(".")[0]
        keys = _keys_at(parent, rest)
        allowed = ("one of " + ", ".join(keys) if keys else
                   "a key that exists in the config (see `valuesim run --cfg job`)")
        return ConfigError(key, "unknown key", allowed + "; prefix with + to add a new key")
    text = " ".join(lines[:2]) + (f" ({cause.splitlines()[0]})" if cause else "")
    return ConfigError("override", text, "a valid Hydra override such as key=value")


def plain(cfg: Any) -> dict:
    """Resolve a DictConfig (or mapping) to plain Python containers."""
    if isinstance(cfg, (DictConfig, ListConfig)):
        try:
            return OmegaConf.to_container(cfg, resolve=True)
        except Exception as exc:
            raise ConfigError("config", str(exc).splitlines()[0], "resolvable values") from None
    if isinstance(cfg, Mapping):
        return dict(cfg)
    raise ConfigError("config", type(cfg).__name__, "a DictConfig, mapping or ScenarioSpec")


def build_scenario(cfg: Any) -> ScenarioSpec:
    """Validate a composed config and build the :class:`ScenarioSpec` it describes.

    Raises
    ------
    ConfigError
        Naming the first invalid field, its value and what is allowed.
    """
    data = plain(cfg)
    for key in data:
        if key not in TOP_LEVEL:
            raise ConfigError(key, "unknown key", "one of " + ", ".join(TOP_LEVEL))
    for key in ("market", "population", "firms"):
        if key not in data:
            raise ConfigError(key, "missing", f"a {key} section")
    firms = data["firms"]
    if not isinstance(firms, Mapping) or not firms:
        raise ConfigError("firms", firms, "a mapping of at least one firm name to its parameters")
    return ScenarioSpec(
        market=from_mapping(MarketParams, data["market"] or {}, "market"),
        population=from_mapping(PopulationParams, data["population"], "population"),
        firms={str(k): _firm(k, v) for k, v in firms.items()},
        economy=_driver(data.get("economy", {"kind": "steady"}), "economy"),
        unit_cost=_driver(data.get("unit_cost", {"kind": "steady"}), "unit_cost"),
        transparency=_driver(data.get("transparency", {"kind": "ramp"}), "transparency"),
        disruption=_driver(data.get("disruption", {"kind": "ramp"}), "disruption"),
        n_periods=data.get("n_periods", 52),
        seed=data.get("seed", 0),
        replicate=data.get("replicate", 0),
    )


def _firm(name: Any, data: Any) -> FirmParams:
    if not isinstance(data, Mapping):
        raise ConfigError(f"firms.{name}", data, "a mapping of firm parameters")
    return from_mapping(FirmParams, {"name": str(name), **data}, f"firms.{name}")


def _driver(data: Any, path: str):
    from scenarios.drivers import build

    return build(data, path)


def group_options(group: str) -> tuple[str, ...]:
    """Option names of a config group (the YAML files in ``configs/<group>/``)."""
    return tuple(sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml")))
