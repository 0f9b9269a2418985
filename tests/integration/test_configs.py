"""Every YAML option of every config group composes, builds and runs; YAML keys mirror the classes.

Options are found by listing ``configs/<group>/*.yaml``, so a new YAML file is
tested without editing this module.
"""

from __future__ import annotations

import dataclasses
import itertools
import types
import typing
from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from agents.firm import FirmParams
from agents.population import PopulationParams
from agents.strategies import strategy_class
from scenarios.config import CONFIG_DIR, build_scenario, group_options, load_config
from scenarios.drivers import DRIVERS
from sim.market import MarketParams
from sim.run import simulate
from sim.validation import ConfigError
from sim.value import COMPONENTS, ValueFunction

GROUPS = ("market", "population", "firms", "strategy", "economy", "unit_cost", "transparency",
          "disruption")
#: population options whose valuation tables name offers of one firms option only.
NEEDS_FIRMS = {"textbook_wtp": "three_ladders"}
#: options whose dated events must fit the short horizon of these checks.
NEEDS_EXTRA = {"waves": ["disruption.onsets=[4,8]"]}
SMALL = ("population.n_customers=2000", "n_periods=14")


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def raw(group: str, option: str) -> dict:
    """The YAML file itself, without Hydra (its defaults list dropped)."""
    data = yaml.safe_load((CONFIG_DIR / group / f"{option}.yaml").read_text()) or {}
    return {k: v for k, v in data.items() if k != "defaults"}


def firm_names(firms_option: str) -> list[str]:
    return list(raw("firms", firms_option))


def selections() -> list:
    """(group, option, overrides, package of the option in the composed config)."""
    out = []
    for group in GROUPS:
        for option in options(group):
            if group == "strategy":  # every strategy on one firm of every firms option
                for firms in options("firms"):
                    for f in firm_names(firms)[:1]:
                        overrides = [f"firms={firms}", f"strategy@firms.{f}.strategy={option}"]
                        out.append(pytest.param(group, option, overrides, f"firms.{f}.strategy",
                                                id=f"strategy={option}@{firms}.{f}"))
                continue
            extra = [f"firms={NEEDS_FIRMS[option]}"] if option in NEEDS_FIRMS else []
            out.append(pytest.param(group, option, [f"{group}={option}", *extra], group,
                                    id=f"{group}={option}"))
    return out


def select(cfg: Any, package: str) -> Any:
    for part in package.split("."):
        cfg = cfg[part]
    return cfg


def leaves(data: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, Mapping) and data:
        return [leaf for k, v in data.items() for leaf in leaves(v, f"{path}.{k}".lstrip("."))]
    return [(path, data)]


def test_every_group_has_a_folder_and_options():
    folders = {p.name for p in CONFIG_DIR.iterdir() if p.is_dir()}
    # study/, design/, future/: studies, explorations, futures; events/: added with +events=;
    # journey/: a firm's customer journey (journey@firms.<f>.journey=<option>)
    assert set(GROUPS) <= folders <= set(GROUPS) | {"study", "design", "future", "events",
                                                     "journey"}
    for group in GROUPS:
        assert options(group), group
        assert list(group_options(group)) == options(group)


@pytest.mark.parametrize(("group", "option", "overrides", "package"), selections())
def test_every_option_composes_and_builds(group, option, overrides, package):
    cfg = load_config(overrides)
    spec = build_scenario(cfg)
    section = select(cfg, package)
    for key, value in leaves(raw(group, option)):  # the option really was selected
        assert select(section, key) == value, f"{package}.{key}"
    if group == "strategy":
        firm = package.split(".")[1]
        assert spec.firms[firm].strategy.kind == raw(group, option)["kind"]
    elif group in ("economy", "unit_cost"):
        assert getattr(spec, group).kind == raw(group, option)["kind"]
    elif group == "firms":
        assert list(spec.firms) == firm_names(option)
    elif group == "population":
        assert list(spec.population.segments) == list(raw(group, option)["segments"])


@pytest.mark.parametrize(
    ("market", "population", "firms", "economy"),
    list(itertools.product(*(options(g) for g in ("market", "population", "firms", "economy")))),
    ids=lambda o: o,
)
def test_every_combination_of_options_builds_or_names_the_mismatch(
    market, population, firms, economy
):
    cfg = load_config([f"market={market}", f"population={population}", f"firms={firms}",
                       f"economy={economy}"])
    try:
        build_scenario(cfg)
    except ConfigError as err:  # a valuation table naming offers these firms do not sell
        assert err.field.startswith("population.segments.") and ".valuations." in err.field
        assert err.value == "unknown offer"
        assert NEEDS_FIRMS.get(population, firms) != firms
    if population in NEEDS_FIRMS and firms == NEEDS_FIRMS[population]:
        build_scenario(cfg)


@pytest.mark.parametrize(("group", "option", "overrides", "package"), [
    p for p in selections() if p.values[0] != "strategy" or p.id.endswith("three_ladders.a")
])
def test_every_option_simulates_a_few_periods(group, option, overrides, package):
    extra = NEEDS_EXTRA.get(option, [])
    ds = simulate(load_config([*overrides, *SMALL, *extra]))
    assert ds.sizes["period"] == 14
    assert ds.attrs["overrides"].count("=") == len(overrides) + len(SMALL) + len(extra)


# --- config keys mirror the parameter classes ------------------------------------------------


def mirror_errors(cls: type, data: Any, path: str) -> list[str]:
    """Keys in ``data`` that are not fields of ``cls`` (recursively through nested classes)."""
    if not isinstance(data, Mapping):
        return []
    if cls is ValueFunction:
        return [e for k, v in data.items() for e in (
            mirror_errors(COMPONENTS[k], v, f"{path}.{k}") if k in COMPONENTS
            else [f"{path}.{k} (no value component {k!r})"])]
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    errors = []
    for key, value in data.items():
        if key not in names:
            errors.append(f"{path}.{key} (not a field of {cls.__name__})")
            continue
        tp = hints[key]
        present = [a for a in typing.get_args(tp) if a is not type(None)]
        if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(present) == 1:
            tp = present[0]  # Optional[X] -> X
        args = list(typing.get_args(tp))
        if key == "strategy" and cls is FirmParams:
            errors += strategy_errors(value, f"{path}.{key}")
        elif dataclasses.is_dataclass(tp):
            errors += mirror_errors(tp, value, f"{path}.{key}")
        elif len(args) == 2 and dataclasses.is_dataclass(args[1]) and isinstance(value, Mapping):
            for name, item in value.items():
                errors += mirror_errors(args[1], item, f"{path}.{key}.{name}")
    return errors


def strategy_errors(data: Mapping, path: str) -> list[str]:
    cls = strategy_class(data["kind"], f"{path}.kind")
    return mirror_errors(cls, {k: v for k, v in data.items() if k != "kind"}, path)


def test_the_defaults_list_names_every_group_that_is_selected_by_name():
    defaults = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text())["defaults"]
    selected = {next(iter(d)) for d in defaults if isinstance(d, Mapping)}
    assert selected == set(GROUPS) - {"strategy"}
    for d in defaults:
        if isinstance(d, Mapping):
            group, option = next(iter(d.items()))
            assert option in options(group)


@pytest.mark.parametrize("option", options("market"))
def test_market_keys_are_market_params_fields(option):
    assert mirror_errors(MarketParams, raw("market", option), "market") == []


@pytest.mark.parametrize("option", options("population"))
def test_population_keys_are_population_params_fields(option):
    assert mirror_errors(PopulationParams, raw("population", option), "population") == []


@pytest.mark.parametrize("option", options("firms"))
def test_firm_keys_are_firm_params_fields(option):
    errors = [e for name, firm in raw("firms", option).items()
              for e in mirror_errors(FirmParams, firm, f"firms.{name}")]
    assert errors == []


@pytest.mark.parametrize("option", options("strategy"))
def test_strategy_keys_are_fields_of_the_strategy_kind(option):
    data = raw("strategy", option)
    assert data["kind"] == option  # the file is named after its kind
    assert strategy_errors(data, "strategy") == []


@pytest.mark.parametrize(("group", "option"), [(g, o) for g in ("economy", "unit_cost")
                                               for o in options(g)])
def test_driver_keys_are_fields_of_the_driver_kind(group, option):
    data = raw(group, option)
    assert data["kind"] in DRIVERS
    params = {k: v for k, v in data.items() if k != "kind"}
    assert mirror_errors(DRIVERS[data["kind"]], params, group) == []


def test_the_mirror_check_catches_a_misnamed_key():
    data = {"noise_scale": 1, "nosie": 2, "awareness": {"forgeting": 0.1},
            "value": {"context": {"compromize": 0.1}, "sparkle": {}}}
    assert mirror_errors(MarketParams, data, "market") == [
        "market.nosie (not a field of MarketParams)",
        "market.awareness.forgeting (not a field of AwarenessParams)",
        "market.value.context.compromize (not a field of ContextValue)",
        "market.value.sparkle (no value component 'sparkle')",
    ]
    segments = {"segments": {"s": {"share": 1, "budgte": 3}}}
    assert mirror_errors(PopulationParams, segments, "population") == [
        "population.segments.s.budgte (not a field of SegmentParams)"]
    tiers = {"tiers": {"good": {"price": 1, "cost": 2}}, "strategy": {"kind": "match", "lagg": 1}}
    assert mirror_errors(FirmParams, tiers, "firms.a") == [
        "firms.a.tiers.good.cost (not a field of TierParams)",
        "firms.a.strategy.lagg (not a field of Match)",
    ]


@pytest.mark.parametrize("name", sorted(p.stem for p in (CONFIG_DIR / "study").glob("*.yaml")))
def test_every_study_design_loads_and_its_scenarios_build(name):
    from scenarios.study import load_study

    params = load_study(name)
    assert params.name == name and params.replicates >= 30
    for condition in params.conditions.values():
        for arm in params.arms.values():
            build_scenario(load_config([*params.base, *condition, *arm]))


@pytest.mark.parametrize("overrides", [
    [], ["economy.depth=0.2", "replicate=3", "strategy@firms.a.strategy=hold"],
    ["firms.a.strategy.depth=0.1", "economy.shape=L"], ["+foo=1"], ["market.value.context={}"],
    ["firms.b.price_war={start: 5, duration: 2, depth: 0.1}"], ["economy=steady", "seed=4"],
    ["+events=price_war", "firms.b.price_war.depth=0.2"],
    ["economy.depth=0.2", "economy.depth=0.3"],
    ["market.value.fit.enabled=true", "firms.a.stage=goods"],
])
def test_the_sweeps_fast_path_resolves_exactly_what_hydra_composes(overrides):
    from scenarios.config import plain, resolved_config

    expected = plain(load_config(overrides))
    expected.pop("overrides")
    assert resolved_config(overrides) == expected


@pytest.mark.parametrize("overrides", [["firms.b.price_war.start=3"], ["economy.dpth=0.1"],
                                       ["strategy@firms.a.strategy=nope", "economy.depth=0.1"]])
def test_the_sweeps_fast_path_refuses_what_hydra_refuses(overrides):
    from scenarios.config import resolved_config

    with pytest.raises(ConfigError):
        load_config(overrides)
    with pytest.raises(ConfigError):
        resolved_config(overrides)


@pytest.mark.parametrize("option", options("journey"))
def test_every_journey_option_builds_on_every_firm(option):
    from agents.journey import JourneyParams

    assert JourneyParams.from_mapping(raw("journey", option)).names[-1] == "transfer"
    firms = firm_names("three_ladders")
    spec = build_scenario(load_config([f"journey@firms.{f}.journey={option}" for f in firms]))
    assert all(spec.firms[f].journey is not None for f in firms)
