"""Contract and story tests of the strategy library beyond hold and match.

Each test class subclasses :class:`StrategyContract` (so the contract tests run
for it) and adds story tests of its own behaviour on hand-made observations.
The last tests fail when a strategy (a module or a YAML in ``configs/strategy/``)
is added without a contract test class.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
import yaml

from agents.strategies import available, build
from agents.strategies._trigger import DownturnTrigger
from agents.strategies.concession import Concession
from agents.strategies.cost_plus import CostPlus
from agents.strategies.cut import Cut
from agents.strategies.unbundle import Unbundle
from agents.strategies.undercut import Undercut
from agents.strategies.value_based import ValueBased
from scenarios.config import CONFIG_DIR
from sim.survey import SurveyRequest
from tests.contract.test_strategy_contract import StrategyContract, observation, play

Raise = importlib.import_module("agents.strategies.raise").Raise  # `raise` is a keyword

LIST = np.array([35.0, 55.0, 85.0])  # list prices of the helper observation
COST = np.array([15.0, 25.0, 40.0])  # its unit costs


def decisions(strategy, observations, seed=0):
    """Every decision of ``strategy`` over ``observations`` (state carried along)."""
    rng = np.random.default_rng(seed)
    state, out = strategy.initial_state(), []
    for o in observations:
        decision, state = strategy.decide(o, state, rng)
        out.append(decision)
    return out


def through(*economy_index):
    """Observations at these economy indices, one per period."""
    return [observation(period=t, economy_index=e) for t, e in enumerate(economy_index)]


def cut_or_list(prices, list_price, cut_price):
    """'C' where a row equals ``cut_price``, 'L' where it equals ``list_price``."""
    out = ""
    for p in prices:
        if np.allclose(p, cut_price):
            out += "C"
        elif np.allclose(p, list_price):
            out += "L"
        else:
            out += "?"
    return out


#: A trigger that is on in the helper observations (economy index 1): cycles on/off.
CYCLING = DownturnTrigger(threshold=1.0, release=1.0, restore="after", restore_after=2)


class TestUndercut(StrategyContract):
    strategy = Undercut(by=0.1, lag=1)

    def test_posts_a_step_below_the_lowest_rival_on_the_same_rung_one_period_late(self):
        eps = [observation(period=t, rival_price=r) for t, r in enumerate(
            [(30, 50, 80), (20, 30, 60), (40, 60, 90)])]
        prices, _ = play(self.strategy, eps)
        np.testing.assert_array_equal(prices[0], LIST)  # nothing seen a lag ago yet
        np.testing.assert_allclose(prices[1], [27, 45, 72])
        np.testing.assert_allclose(prices[2], [18, 27, 54])

    @pytest.mark.parametrize("lag", [0, 2])
    def test_reacts_exactly_lag_periods_after_seeing_a_price(self, lag):
        rivals = [(30, 50, 80), (20, 30, 60), (24, 40, 70), (40, 60, 90)]
        eps = [observation(period=t, rival_price=r) for t, r in enumerate(rivals)]
        prices, _ = play(Undercut(by=0.1, lag=lag), eps)
        for t in range(len(rivals)):
            want = LIST if t < lag else 0.9 * np.array(rivals[t - lag], dtype=float)
            np.testing.assert_allclose(prices[t], np.minimum(want, LIST))

    def test_clipped_to_the_floor_and_the_list_price(self):
        s = Undercut(by=0.1, lag=0, floor_margin=0.2)
        (low,), _ = play(s, [observation(rival_price=(1, 1, 1))])
        np.testing.assert_allclose(low, COST * 1.2)
        (high,), _ = play(s, [observation(rival_price=(100, 100, 100))])
        np.testing.assert_array_equal(high, LIST)
        (mixed,), _ = play(s, [observation(rival_price=(30, 1, 100))])
        np.testing.assert_allclose(mixed, [27, 30, 85])

    def test_ignores_rival_offers_that_are_not_on_sale(self):
        s = Undercut(by=0.1, lag=0)
        seen = dict(rival_price=(20.0, 10.0, 50.0, 80.0), rival_rung=np.array([0, 0, 1, 2]))
        (p,), _ = play(s, [observation(**seen, rival_on_sale=np.array([True, False, True, True]))])
        np.testing.assert_allclose(p, [18, 45, 72])
        (p,), _ = play(s, [observation(**seen)])  # None: all on sale -> 9, floored at cost
        np.testing.assert_allclose(p, [15, 45, 72])

    def test_compares_bundles_with_bundles_only(self):
        s = Undercut(by=0.1, lag=0)
        own = dict(rung=np.array([0, 1, -1]), is_bundle=np.array([False, False, True]))
        # a very cheap rival tier on rung 2 is no benchmark for the bundle: a rival bundle is
        tiers = dict(rival_price=(20, 30, 10, 100), rival_rung=np.array([0, 1, 2, -1]))
        (p,), _ = play(s, [observation(**own, **tiers)])
        np.testing.assert_allclose(p, [18, 27, 85])  # 0.9 * 100 clipped to the list price
        (p,), _ = play(s, [observation(**own, rival_price=(20, 30, 10, 60),
                                       rival_rung=np.array([0, 1, 2, -1]))])
        np.testing.assert_allclose(p, [18, 27, 54])

    def test_keeps_list_price_on_a_rung_no_rival_has(self):
        s = Undercut(by=0.1, lag=0)
        (p,), _ = play(s, [observation(rival_price=(20.0,), rival_rung=np.array([0]))])
        np.testing.assert_allclose(p, [18, 55, 85])
        (p,), _ = play(s, [observation(rival_price=(20.0, 30.0, 40.0),
                                       rival_on_sale=np.array([False, False, False]))])
        np.testing.assert_array_equal(p, LIST)
        own = dict(rung=np.array([0, 1, -1]), is_bundle=np.array([False, False, True]))
        (p,), _ = play(s, [observation(**own, rival_price=(20, 30, 10))])  # no rival bundle
        np.testing.assert_allclose(p, [18, 27, 85])


class TestCostPlus(StrategyContract):
    strategy = CostPlus(markup=0.5)

    def test_posts_a_markup_on_unit_cost_whatever_rivals_or_list_prices_say(self):
        prices, _ = play(self.strategy, self.episode())
        np.testing.assert_allclose(prices, np.tile(COST * 1.5, (len(prices), 1)))

    def test_follows_a_cost_shock(self):
        shock = [1.0, 1.0, 2.0, 2.0, 1.0]
        eps = [observation(period=t, unit_cost=COST * k, base_unit_cost=COST)
               for t, k in enumerate(shock)]
        prices, _ = play(self.strategy, eps)
        np.testing.assert_allclose(prices, np.outer(shock, COST * 1.5))
        assert (prices[2] > LIST).any()  # passes costs through even above list prices

    def test_markup_zero_prices_at_cost(self):
        (p,), _ = play(CostPlus(markup=0.0), [observation()])
        np.testing.assert_array_equal(p, COST)


class TestCut(StrategyContract):
    strategy = Cut(depth=0.3, trigger=CYCLING)

    def prices(self, strategy, *economy_index):
        prices, _ = play(strategy, through(*economy_index))
        return cut_or_list(prices, LIST, LIST * (1 - strategy.depth))

    def test_cuts_by_depth_when_the_economy_index_falls_to_the_threshold(self):
        s = Cut(depth=0.2, trigger=DownturnTrigger(threshold=0.95))
        prices, _ = play(s, through(1.0, 0.96, 0.95, 0.9))
        np.testing.assert_array_equal(prices[:2], [LIST, LIST])
        np.testing.assert_allclose(prices[2:], [LIST * 0.8, LIST * 0.8])

    def test_restore_on_recovery_waits_for_the_release_level(self):
        s = Cut(depth=0.2, trigger=DownturnTrigger(threshold=0.95, release=0.99,
                                                   restore="recovery"))
        assert self.prices(s, 1.0, 0.9, 0.9, 0.97, 0.99, 1.0, 0.9) == "LCCCLLC"

    def test_restore_after_a_number_of_periods_re_arms_only_after_recovery(self):
        s = Cut(depth=0.2, trigger=DownturnTrigger(threshold=0.95, release=0.99,
                                                   restore="after", restore_after=2))
        assert self.prices(s, 0.9, 0.9, 0.9, 0.9, 0.97, 0.99, 0.9, 0.9, 0.9) == "CCLLLLCCL"

    def test_restore_never_keeps_the_cut_for_good(self):
        s = Cut(depth=0.2, trigger=DownturnTrigger(threshold=0.95, restore="never"))
        assert self.prices(s, 1.0, 0.9, 1.0, 1.0, 1.2, 0.9) == "LCCCCC"

    def test_never_below_the_cost_floor(self):
        s = Cut(depth=0.9, floor_margin=0.1, trigger=DownturnTrigger(threshold=0.95))
        (p,), _ = play(s, through(0.9))
        np.testing.assert_allclose(p, COST * 1.1)


class TestRaise(StrategyContract):
    strategy = Raise(by=0.1, trigger=CYCLING)

    def test_raises_by_by_while_the_trigger_is_on(self):
        s = Raise(by=0.2, trigger=DownturnTrigger(threshold=0.95, release=0.99))
        prices, _ = play(s, through(1.0, 0.9, 0.9, 0.97, 1.0))
        assert cut_or_list(prices, LIST, LIST * 1.2) == "LCCCL"  # 'C': the raised price

    def test_restore_never_makes_the_raise_permanent(self):
        s = Raise(by=0.2, trigger=DownturnTrigger(threshold=0.95, restore="never"))
        prices, _ = play(s, through(0.9, 1.0, 1.0))
        np.testing.assert_allclose(prices, np.tile(LIST * 1.2, (3, 1)))

    def test_never_below_unit_cost_even_when_the_list_price_is(self):
        below = dict(list_price=np.array([10.0, 55.0, 85.0]))
        (calm, raised), _ = play(Raise(by=0.2), [observation(period=0, **below),
                                                 observation(period=1, economy_index=0.9,
                                                             **below)])
        np.testing.assert_allclose(calm, [15, 55, 85])
        np.testing.assert_allclose(raised, [15, 66, 102])


class TestConcession(StrategyContract):
    strategy = Concession(depth=0.3, commitment=6, trigger=CYCLING)

    def test_posts_list_prices_and_concedes_depth_for_commitment_only_in_the_downturn(self):
        s = Concession(depth=0.2, commitment=8,
                       trigger=DownturnTrigger(threshold=0.95, release=0.99))
        ds = decisions(s, through(1.0, 0.9, 0.9, 1.0))
        for d in ds:
            np.testing.assert_array_equal(d.price, LIST)  # the posted price never moves
        on = [d.concession is not None and bool((d.concession > 0).any()) for d in ds]
        assert on == [False, True, True, False]
        for d in ds[1:3]:
            np.testing.assert_allclose(d.concession, 0.2)
            assert d.commitment == 8
        for d in (ds[0], ds[3]):  # no deal, so nothing to commit for
            assert d.concession is None or not (d.concession > 0).any()

    def test_never_concedes_below_unit_cost(self):
        s = Concession(depth=0.9, trigger=DownturnTrigger(threshold=0.95))
        (d,) = decisions(s, through(0.9))
        deal = d.price * (1 - d.concession)
        assert (deal >= COST - 1e-9).all()
        np.testing.assert_allclose(deal, COST)  # 1 - cost/list < 0.9 on every offer
        (d,) = decisions(s, [observation(economy_index=0.9, list_price=np.array([10.0, 55, 85]))])
        assert d.concession[0] == 0.0  # list below cost: no room to concede


class TestUnbundle(StrategyContract):
    strategy = Unbundle(trigger=0.15, menu_after="mixed", pass_through=0.5)

    @staticmethod
    def costs(*multiplier):
        return [observation(period=t, unit_cost=COST * k, base_unit_cost=COST, menu="bundles")
                for t, k in enumerate(multiplier)]

    def test_switches_menu_once_costs_pass_the_trigger_and_stays_switched(self):
        ds = decisions(Unbundle(trigger=0.15, menu_after="mixed"),
                       self.costs(1.0, 1.1, 1.14, 1.2, 1.3, 1.0, 1.0))
        assert [d.menu for d in ds] == [None, None, None, "mixed", "mixed", "mixed", "mixed"]

    def test_switches_at_exactly_one_plus_trigger(self):
        o = observation(unit_cost=np.array([23.0, 46.0]), base_unit_cost=np.array([20.0, 40.0]),
                        list_price=np.array([50.0, 90.0]), rung=np.array([0, 1]))
        assert o.cost_index >= 1.15
        (d,) = decisions(Unbundle(trigger=0.15, menu_after="components"), [o])
        assert d.menu == "components"

    def test_holds_list_prices_without_pass_through(self):
        ds = decisions(Unbundle(trigger=0.15, pass_through=0.0), self.costs(1.0, 1.3, 1.3))
        for d in ds:
            np.testing.assert_array_equal(d.price, LIST)

    def test_passes_through_a_share_of_the_cost_increase_once_switched(self):
        _, d = decisions(self.strategy, self.costs(1.0, 1.3))
        assert d.menu == "mixed"
        np.testing.assert_allclose(d.price, LIST + 0.5 * 0.3 * COST)

    def test_holds_list_prices_until_the_switch_even_with_pass_through(self):
        (d,) = decisions(self.strategy, self.costs(1.1))  # +10%: below the 15% trigger
        assert d.menu is None
        np.testing.assert_array_equal(d.price, LIST)


#: Stated willingness to pay, shape (own offer, respondent).
SURVEY = np.array([[10.0, 20, 30, 40, 50], [20, 40, 60, 80, 100], [100, 110, 120, 130, 140]])


class TestValueBased(StrategyContract):
    strategy = ValueBased(percentile=50.0, review_every=3, survey=SurveyRequest(sample_size=5))

    def episode(self):
        """The contract episode, with a survey (some answers below cost) at each review."""
        out = []
        for o in super().episode():
            if self.strategy.survey_request(o.period) is not None:
                scale = 0.5 + 0.25 * (o.period % 4)
                o = observation(period=o.period, rival_price=o.rival_price, survey=SURVEY * scale)
            out.append(o)
        return out

    def test_prices_at_the_percentile_of_the_stated_answers(self):
        (p,), _ = play(self.strategy, [observation(survey=SURVEY)])
        np.testing.assert_allclose(p, [30, 60, 120])
        (p,), _ = play(ValueBased(percentile=25.0), [observation(survey=SURVEY)])
        np.testing.assert_allclose(p, [20, 40, 110])

    def test_keeps_its_last_prices_between_reviews(self):
        eps = [observation(period=0, survey=SURVEY), observation(period=1),
               observation(period=2, list_price=LIST * 2), observation(period=3, survey=SURVEY * 2),
               observation(period=4), observation(period=5, survey=SURVEY[:, :0])]
        prices, state = play(self.strategy, eps)
        np.testing.assert_allclose(prices[:3], np.tile([30, 60, 120], (3, 1)))
        np.testing.assert_allclose(prices[3:], np.tile([60, 120, 240], (3, 1)))  # empty: keep
        np.testing.assert_allclose(state, [60, 120, 240])

    def test_posts_list_prices_before_its_first_survey(self):
        prices, _ = play(self.strategy, [observation(period=1), observation(period=2)])
        np.testing.assert_array_equal(prices, [LIST, LIST])

    def test_never_below_its_floor(self):
        s = ValueBased(percentile=50.0, floor_margin=0.1)
        prices, _ = play(s, [observation(period=0, survey=SURVEY * 0.2), observation(period=1)])
        np.testing.assert_allclose(prices[0], np.maximum(COST * 1.1, [6, 12, 24]))
        np.testing.assert_allclose(prices[1], prices[0])  # still floored between reviews

    def test_asks_for_a_survey_every_review_every_periods(self):
        asked = [self.strategy.survey_request(t) for t in range(8)]
        assert [a is not None for a in asked] == [True, False, False, True, False, False,
                                                   True, False]
        assert all(a == self.strategy.survey for a in asked if a is not None)
        assert self.strategy.segment == self.strategy.survey.segment == "all"


# -- every shipped strategy has a contract test class -------------------------------------


def contract_test_classes() -> set[type]:
    """Strategy classes with a test class (a StrategyContract subclass) in tests/contract/."""
    covered = set()
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        module = importlib.import_module(f"tests.contract.{path.stem}")
        for obj in vars(module).values():
            contract = isinstance(obj, type) and any(
                base.__name__ == "StrategyContract" for base in obj.__mro__[1:])
            if contract and getattr(obj, "strategy", None) is not None:
                covered.add(type(obj.strategy))
    return covered


STRATEGY_YAMLS = sorted(p.stem for p in (CONFIG_DIR / "strategy").glob("*.yaml"))


@pytest.mark.parametrize("option", STRATEGY_YAMLS)
def test_every_strategy_yaml_builds_a_strategy_with_contract_tests(option):
    data = yaml.safe_load((CONFIG_DIR / "strategy" / f"{option}.yaml").read_text())
    strategy = build(data)
    assert type(strategy) in contract_test_classes(), (
        f"configs/strategy/{option}.yaml builds {type(strategy).__name__}, which has no test "
        "class subclassing StrategyContract")


def test_every_available_kind_has_contract_tests():
    kinds = {cls.kind for cls in contract_test_classes()}
    assert set(available()) <= kinds, f"no contract test class for {set(available()) - kinds}"
    assert set(STRATEGY_YAMLS) >= set(available())
