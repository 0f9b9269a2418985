"""Parameter dataclasses reject bad values early, name the field, and are frozen and picklable."""

from __future__ import annotations

import dataclasses
import math
import pickle

import pytest

from agents.awareness import AwarenessParams
from agents.firm import FirmParams, TierParams
from agents.population import PopulationParams, SegmentParams
from agents.strategies import available, strategy_class
from agents.strategies.hold import Hold
from agents.strategies.match import Match
from scenarios.config import build_scenario
from scenarios.drivers import Downturn, Steady
from scenarios.spec import ScenarioSpec
from sim.market import MarketParams
from sim.params import from_mapping
from sim.validation import ConfigError
from sim.value import COMPONENTS, AttributeValue, ContextValue, ValueFunction

NAN = math.nan


def tier(**kw) -> TierParams:
    return TierParams(**{"name": "good", "price": 10.0, "unit_cost": 5.0,
                         "attributes": {"quality": 5.0}, **kw})


def firm(**kw) -> FirmParams:
    return FirmParams(**{"name": "a", "tiers": {"good": tier()}, "strategy": {"kind": "hold"},
                         **kw})


def segment(**kw) -> SegmentParams:
    return SegmentParams(**{"name": "s", "share": 1.0, **kw})


def population(**kw) -> PopulationParams:
    return PopulationParams(**{"n_customers": 100, "segments": {"s": segment()}, **kw})


def scenario_data() -> dict:
    """A one-firm, one-segment scenario as plain containers (what parsed YAML gives)."""
    return {
        "market": {"value_dimensions": ["quality", "service"]},
        "population": {"n_customers": 100, "segments": {
            "s": {"share": 1.0, "weights": {"quality": 0.5, "service": 0.5}}}},
        "firms": {"a": {"strategy": {"kind": "hold"}, "tiers": {
            "good": {"price": 10, "unit_cost": 5, "attributes": {"quality": 5, "service": 4}}}}},
        "economy": {"kind": "steady"},
        "n_periods": 4,
    }


def assert_names(err: pytest.ExceptionInfo, field: str, value) -> None:
    """The message is one ``field: got value; allowed: ...`` line naming field and value."""
    msg = str(err.value)
    assert err.value.field == field, msg
    assert msg.startswith(f"{field}: got {value!r}; allowed: "), msg
    assert err.value.allowed and "\n" not in msg


# --- each class rejects bad values, naming the field ---------------------------------------

REJECTED = [
    pytest.param(lambda: segment(share=1.5), "share", 1.5, id="segment-share-above-1"),
    pytest.param(lambda: segment(share=-0.1), "share", -0.1, id="segment-share-negative"),
    pytest.param(lambda: segment(budget=-5.0), "budget", -5.0, id="segment-budget-negative"),
    pytest.param(lambda: segment(budget=NAN), "budget", NAN, id="segment-budget-nan"),
    pytest.param(lambda: segment(need_share=-0.1), "need_share", -0.1, id="need-share"),
    pytest.param(lambda: segment(purchase_rate=0.0), "purchase_rate", 0.0, id="purchase-rate"),
    pytest.param(lambda: segment(loss_aversion=0.5), "loss_aversion", 0.5, id="loss-aversion"),
    pytest.param(lambda: segment(weights={"quality": -1.0}), "weights.quality", -1.0,
                 id="segment-weight-negative"),
    pytest.param(lambda: segment(valuations={"a/good": -3.0}), "valuations.a/good", -3.0,
                 id="segment-valuation-negative"),
    pytest.param(lambda: tier(price=-1.0), "price", -1.0, id="tier-price-negative"),
    pytest.param(lambda: tier(price=NAN), "price", NAN, id="tier-price-nan"),
    pytest.param(lambda: tier(price=0.0), "price", 0.0, id="tier-price-zero"),
    pytest.param(lambda: tier(unit_cost=-2.0), "unit_cost", -2.0, id="tier-cost-negative"),
    pytest.param(lambda: tier(unit_cost=NAN), "unit_cost", NAN, id="tier-cost-nan"),
    pytest.param(lambda: tier(attributes={"quality": NAN}), "attributes.quality", NAN,
                 id="tier-attribute-nan"),
    pytest.param(lambda: firm(tiers={}), "tiers", {}, id="firm-without-tiers"),
    pytest.param(lambda: firm(advertising=1.5), "advertising", 1.5, id="firm-advertising"),
    pytest.param(lambda: firm(fixed_cost=-1.0), "fixed_cost", -1.0, id="firm-fixed-cost"),
    pytest.param(lambda: firm(initial_awareness=0.2, initial_insiders=0.3), "initial_insiders",
                 0.3, id="more-insiders-than-aware"),
    pytest.param(lambda: firm(strategy={"kind": "nosuch"}), "strategy.kind", "nosuch",
                 id="firm-unknown-strategy"),
    pytest.param(lambda: firm(strategy={"kind": "match", "lag": -1}), "strategy.lag", -1,
                 id="firm-strategy-parameter"),
    pytest.param(lambda: population(n_customers=0), "n_customers", 0, id="no-customers"),
    pytest.param(lambda: population(n_customers=-3), "n_customers", -3, id="negative-customers"),
    pytest.param(lambda: population(n_customers=2.5), "n_customers", 2.5, id="float-customers"),
    pytest.param(lambda: population(segments={}), "segments", {}, id="no-segments"),
    pytest.param(lambda: population(segments={"x": segment(name="x", share=0.5),
                                              "y": segment(name="y", share=0.4)}),
                 "segments.*.share", 0.9, id="shares-not-summing-to-1"),
    pytest.param(lambda: MarketParams(noise_scale=-1.0), "noise_scale", -1.0, id="noise-scale"),
    pytest.param(lambda: MarketParams(value_dimensions=()), "value_dimensions", [],
                 id="no-value-dimensions"),
    pytest.param(lambda: MarketParams(value_dimensions=("q", "q")), "value_dimensions",
                 ["q", "q"], id="repeated-value-dimension"),
    pytest.param(lambda: MarketParams(reference_memory=1.5), "reference_memory", 1.5,
                 id="reference-memory"),
    pytest.param(lambda: MarketParams(information_lag=-1), "information_lag", -1,
                 id="information-lag"),
    pytest.param(lambda: AwarenessParams(forgetting=2.0), "forgetting", 2.0, id="forgetting"),
    pytest.param(lambda: AwarenessParams(lapse_periods=0), "lapse_periods", 0, id="lapse"),
    pytest.param(lambda: Downturn(depth=1.2), "depth", 1.2, id="downturn-depth"),
    pytest.param(lambda: Downturn(shape="Z"), "shape", "Z", id="downturn-shape"),
    pytest.param(lambda: Downturn(duration=0), "duration", 0, id="downturn-duration"),
    pytest.param(lambda: Steady(level=0.0), "level", 0.0, id="steady-level"),
    pytest.param(lambda: Match(lag=-1), "lag", -1, id="match-lag"),
    pytest.param(lambda: Match(floor_margin=NAN), "floor_margin", NAN, id="match-floor-nan"),
    pytest.param(lambda: ContextValue(compromise=-1.0), "compromise", -1.0, id="context"),
    pytest.param(lambda: AttributeValue(beta=NAN), "beta", NAN, id="attribute-beta"),
]


@pytest.mark.parametrize(("make", "field", "value"), REJECTED)
def test_parameter_classes_reject_bad_values_naming_the_field(make, field, value):
    with pytest.raises(ConfigError) as err:
        make()
    assert_names(err, field, value)


def test_config_error_is_a_value_error_with_a_one_line_message():
    err = ConfigError("firms.a.tiers.good.price", -1.0, "a finite number > 0")
    assert isinstance(err, ValueError)
    assert str(err) == "firms.a.tiers.good.price: got -1.0; allowed: a finite number > 0"
    assert str(err.within("scenario")).startswith("scenario.firms.a.tiers.good.price: got")


def test_a_scenario_rejects_attributes_on_dimensions_the_market_does_not_have():
    data = scenario_data()
    data["firms"]["a"]["tiers"]["good"]["attributes"]["sparkle"] = 1
    with pytest.raises(ConfigError) as err:
        build_scenario(data)
    assert_names(err, "firms.a.tiers.good.attributes.sparkle", "unknown value dimension")


def test_a_scenario_rejects_valuations_of_offers_that_do_not_exist():
    data = scenario_data()
    data["population"]["segments"]["s"]["valuations"] = {"a/good": 20, "z/none": 30}
    with pytest.raises(ConfigError) as err:
        build_scenario(data)
    assert_names(err, "population.segments.s.valuations.z/none", "unknown offer")
    assert "a/good" in err.value.allowed


@pytest.mark.parametrize("firms", [{}, None, []], ids=["empty", "null", "list"])
def test_a_scenario_needs_at_least_one_firm(firms):
    data = scenario_data()
    data["firms"] = firms
    with pytest.raises(ConfigError) as err:
        build_scenario(data)
    assert err.value.field == "firms"
    with pytest.raises(ConfigError, match="firms"):
        ScenarioSpec(market=MarketParams(), population=population(), firms={})


# --- from_mapping: unknown keys, nested paths, missing fields ------------------------------


@pytest.mark.parametrize(("cls", "data", "path", "field", "expected_key"), [
    pytest.param(MarketParams, {"nosie_scale": 1}, "market", "market.nosie_scale",
                 "noise_scale", id="top-level"),
    pytest.param(MarketParams, {"awareness": {"forgeting": 0.1}}, "market",
                 "market.awareness.forgeting", "forgetting", id="nested-dataclass"),
    pytest.param(PopulationParams, {"n_customers": 10, "segments": {
        "s": {"share": 1.0, "budgte": 50}}}, "population", "population.segments.s.budgte",
                 "budget", id="name-keyed-collection"),
    pytest.param(FirmParams, {"name": "b", "strategy": {"kind": "match", "lagg": 2}, "tiers": {
        "good": {"price": 10, "unit_cost": 5, "attributes": {}}}}, "firms.b",
                 "firms.b.strategy.lagg", "lag", id="strategy-parameters"),
    pytest.param(PopulationParams, {"n_cusomers": 10}, "population",
                 "population.n_cusomers", "n_customers", id="misspelled-required"),
])
def test_from_mapping_reports_an_unknown_key_with_its_path_and_the_allowed_keys(
    cls, data, path, field, expected_key
):
    with pytest.raises(ConfigError) as err:
        from_mapping(cls, data, path)
    assert_names(err, field, "unknown key")
    allowed = err.value.allowed.removeprefix("one of ").split(", ")
    assert expected_key in allowed


def test_from_mapping_lists_every_field_as_allowed():
    with pytest.raises(ConfigError) as err:
        from_mapping(AwarenessParams, {"sparkle": 1}, "market.awareness")
    names = sorted(f.name for f in dataclasses.fields(AwarenessParams))
    assert err.value.allowed == "one of " + ", ".join(names)


def test_from_mapping_gives_validation_errors_their_full_path():
    data = {"n_customers": 10, "segments": {"s": {"share": 1.0, "budget": -5}}}
    with pytest.raises(ConfigError) as err:
        from_mapping(PopulationParams, data, "population")
    assert_names(err, "population.segments.s.budget", -5.0)


def test_from_mapping_names_a_missing_required_field():
    data = {"name": "a", "strategy": {"kind": "hold"},
            "tiers": {"good": {"price": 10, "unit_cost": 5}}}
    with pytest.raises(ConfigError) as err:
        from_mapping(FirmParams, data, "firms.a")
    assert_names(err, "firms.a.tiers.good.attributes", "missing")


def test_from_mapping_rejects_wrong_shapes():
    with pytest.raises(ConfigError) as err:
        from_mapping(MarketParams, {"value_dimensions": "quality"}, "market")
    assert_names(err, "market.value_dimensions", "quality")
    with pytest.raises(ConfigError) as err:
        from_mapping(MarketParams, [1, 2])
    assert err.value.field == "MarketParams"


def test_an_unknown_value_component_is_named_with_its_path():
    with pytest.raises(ConfigError) as err:
        from_mapping(MarketParams, {"value": {"sparkle": {"beta": 1}}}, "market")
    assert_names(err, "market.value.sparkle", "unknown component")
    assert set(COMPONENTS) <= set(err.value.allowed.removeprefix("one of ").split(", "))


def test_from_mapping_builds_nested_objects_and_turns_integers_into_floats():
    spec = build_scenario(scenario_data())
    good = spec.firms["a"].tiers["good"]
    assert isinstance(good, TierParams) and isinstance(good.price, float) and good.price == 10.0
    assert isinstance(spec.firms["a"].strategy, Hold)
    assert spec.population.segments["s"].name == "s"
    assert spec.market.value_dimensions == ("quality", "service")


# --- frozen, slotted, keyword-only, picklable ----------------------------------------------

PARAMETER_CLASSES = [
    SegmentParams, PopulationParams, TierParams, FirmParams, AwarenessParams, MarketParams,
    ValueFunction, *COMPONENTS.values(), Steady, Downturn, ScenarioSpec,
    *(strategy_class(kind) for kind in available()),
]


@pytest.mark.parametrize("cls", PARAMETER_CLASSES, ids=lambda c: c.__name__)
def test_parameter_classes_are_frozen_slotted_keyword_only_dataclasses(cls):
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen
    assert "__slots__" in cls.__dict__
    assert all(f.kw_only for f in dataclasses.fields(cls))


def built(path: str):
    """A parameter object as the config layer builds it (through from_mapping)."""
    def make():
        obj = build_scenario(scenario_data())
        for part in path.split(".") if path else ():
            obj = obj[part] if hasattr(obj, "keys") else getattr(obj, part)
        return obj
    return make


#: (id, factory, picklable today)
INSTANCES = [
    ("MarketParams", MarketParams, True),
    ("AwarenessParams", AwarenessParams, True),
    ("ValueFunction", ValueFunction, True),
    ("Downturn", Downturn, True),
    ("Steady", Steady, True),
    ("Hold", Hold, True),
    ("Match", lambda: Match(lag=2, floor_margin=0.1), True),
    ("TierParams", tier, True),
    ("SegmentParams", segment, True),
    ("built-MarketParams", built("market"), True),
    ("built-Steady", built("economy"), True),
    ("built-TierParams", built("firms.a.tiers.good"), False),
    ("built-SegmentParams", built("population.segments.s"), False),
    ("built-PopulationParams", built("population"), False),
    ("built-FirmParams", built("firms.a"), False),
    ("built-ScenarioSpec", built(""), False),
]

@pytest.mark.parametrize("make", [pytest.param(m, id=i) for i, m, _ in INSTANCES])
def test_parameter_objects_are_frozen(make):
    obj = make()
    fields = dataclasses.fields(obj)
    if not fields:  # nothing to assign; a new attribute is refused all the same
        with pytest.raises((AttributeError, TypeError)):
            obj.extra = 1
        return
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, fields[0].name, getattr(obj, fields[0].name))


@pytest.mark.parametrize("make", [
    pytest.param(m, id=i) for i, m, _ in INSTANCES])
def test_parameter_objects_pickle_and_compare_equal(make):
    obj = make()
    assert pickle.loads(pickle.dumps(obj)) == obj


@pytest.mark.parametrize("path", [
    pytest.param("firms.a.tiers", id="tiers"),
    pytest.param("firms.a.tiers.good.attributes", id="attributes"),
    pytest.param("population.segments", id="segments"),
    pytest.param("population.segments.s.weights", id="weights"),
    pytest.param("firms", id="firms"),
])
def test_mappings_inside_a_built_scenario_are_read_only(path):
    mapping = built(path)()
    key = next(iter(mapping))
    with pytest.raises(TypeError):
        mapping[key] = mapping[key]


def test_a_tiny_weight_concentration_never_gives_nan_weights():
    import numpy as np

    from agents.population import CustomerPopulation, PopulationParams, SegmentParams

    seg = SegmentParams(name="s", share=1.0, weights={"q": 0.5, "c": 0.5},
                        weight_concentration=0.01)
    pop = CustomerPopulation.draw(
        PopulationParams(n_customers=20_000, segments={"s": seg}), dimensions=("q", "c"),
        list_price=np.array([10.0]), initial_awareness=np.array([0.5]),
        initial_insiders=np.array([0.1]), rng=np.random.default_rng(0))
    assert np.isfinite(pop.weights).all()
    np.testing.assert_allclose(pop.weights.sum(axis=0), 1.0, rtol=1e-5)


def test_changing_one_attribute_distribution_leaves_the_others_draws_alone():
    """Common random numbers across sweeps: each attribute has its own child stream."""
    import numpy as np

    from agents.population import CustomerPopulation, PopulationParams, SegmentParams

    def draw(conc):
        seg = SegmentParams(name="s", share=1.0, weights={"q": 0.5, "c": 0.5},
                            weight_concentration=conc)
        return CustomerPopulation.draw(
            PopulationParams(n_customers=5000, segments={"s": seg}), dimensions=("q", "c"),
            list_price=np.array([10.0]), initial_awareness=np.array([0.5]),
            initial_insiders=np.array([0.1]), rng=np.random.default_rng(3))

    a, b = draw(1.0), draw(50.0)
    assert not np.array_equal(a.weights, b.weights)
    for name in ("budget", "price_sensitivity", "loss_aversion", "need", "awareness"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
