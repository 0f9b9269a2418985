"""Every invalid config stops before the model runs, with one clean line and exit status 2.

Each case is an invalid ``valuesim run`` command line. The message must be
``valuesim: error: <field>: got <value>; allowed: <what is allowed>`` on one
line of stderr, with no traceback, and nothing may be written (no results.nc,
no outputs/ folder). All cases run in-process through ``scenarios.cli.main``
with Hydra's runner replaced by a sentinel, so reaching it means the model
would have run; a handful also run the real console entry point in a
subprocess.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from scenarios import cli

ERROR = re.compile(r"valuesim: error: (?P<field>\S+): got (?P<value>.*?); allowed: (?P<allowed>.*)")
PROJECT = Path(cli.__file__).resolve().parents[1]


class Case(NamedTuple):
    overrides: tuple[str, ...]
    field: str  # the field the message must name (or a field inside it)
    value: str  # must appear in the message's "got ..." part


def case(id_: str, overrides: str, field: str, value: str, xfail: str | None = None):
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(Case(tuple(overrides.split()), field, value), id=id_, marks=marks)


CASES = [
    # prices, costs and budgets: negative or not finite
    case("negative-price", "firms.a.tiers.good.price=-1", "firms.a.tiers.good.price", "-1"),
    case("nan-price", "firms.a.tiers.good.price=nan", "firms.a.tiers.good.price", "nan"),
    case("inf-price", "firms.c.tiers.best.price=inf", "firms.c.tiers.best.price", "inf"),
    case("zero-price", "firms.a.tiers.good.price=0", "firms.a.tiers.good.price", "0"),
    case("text-price", "firms.a.tiers.good.price=abc", "firms.a.tiers.good.price", "abc"),
    case("negative-unit-cost", "firms.b.tiers.better.unit_cost=-2",
         "firms.b.tiers.better.unit_cost", "-2"),
    case("nan-unit-cost", "firms.b.tiers.better.unit_cost=nan",
         "firms.b.tiers.better.unit_cost", "nan"),
    case("negative-fixed-cost", "firms.c.fixed_cost=-1", "firms.c.fixed_cost", "-1"),
    case("negative-budget", "population.segments.mainstream.budget=-5",
         "population.segments.mainstream.budget", "-5"),
    case("nan-budget", "population.segments.mainstream.budget=nan",
         "population.segments.mainstream.budget", "nan"),
    # segment shares
    case("shares-not-summing-to-1", "population.segments.mainstream.share=0.5",
         "population.segments.*.share", "1.1"),
    case("share-above-1", "population.segments.affluent.share=1.5",
         "population.segments.affluent.share", "1.5"),
    # probabilities outside [0, 1]
    case("advertising-above-1", "firms.a.advertising=1.5", "firms.a.advertising", "1.5"),
    case("need-share-negative", "population.segments.affluent.need_share=-0.1",
         "population.segments.affluent.need_share", "-0.1"),
    case("forgetting-above-1", "market.awareness.forgetting=2", "market.awareness.forgetting",
         "2"),
    case("reference-memory-above-1", "market.reference_memory=1.5", "market.reference_memory",
         "1.5"),
    case("downturn-depth-above-1", "economy.depth=1.2", "economy.depth", "1.2"),
    # unknown strategy, economy and other options
    case("unknown-strategy", "strategy@firms.b.strategy=nosuch", "firms.b.strategy", "nosuch"),
    case("unknown-strategy-kind", "firms.b.strategy.kind=nosuch", "firms.b.strategy.kind",
         "nosuch"),
    case("unknown-economy", "economy=nosuch", "economy", "nosuch"),
    case("unknown-economy-kind", "economy.kind=nosuch", "economy.kind", "nosuch"),
    case("unknown-economy-shape", "economy.shape=Z", "economy.shape", "Z"),
    case("unknown-market", "market=nosuch", "market", "nosuch"),
    case("unknown-value-component", "+market.value.sparkle.beta=1", "market.value.sparkle",
         "unknown component"),
    case("strategy-parameter-out-of-range",
         "strategy@firms.b.strategy=match firms.b.strategy.lag=-1", "firms.b.strategy.lag",
         "-1"),
    # offers, value dimensions and firms that do not exist
    case("valuation-of-unknown-offer",
         "population=textbook_wtp +population.segments.students.valuations.zz=3",
         "population.segments.students.valuations.zz", "unknown offer"),
    case("valuations-for-another-firm-set", "population=textbook_wtp firms=monopoly",
         "population.segments.students.valuations.a/good", "unknown offer"),
    case("attribute-on-unknown-dimension", "+firms.a.tiers.good.attributes.sparkle=3",
         "firms.a.tiers.good.attributes.sparkle", "unknown value dimension"),
    case("weight-on-unknown-dimension", "+population.segments.affluent.weights.sparkle=0.1",
         "population.segments.affluent.weights.sparkle", "unknown value dimension"),
    case("unknown-firm-parameter", "firms.zz.advertising=0.1", "firms.zz.advertising",
         "unknown key"),
    case("new-firm-without-strategy", "+firms.zz.advertising=0.1", "firms.zz.strategy",
         "missing"),
    case("new-firm-with-only-a-strategy", "+strategy@firms.zz.strategy=hold", "firms.zz.tiers",
         "missing"),
    case("strategy-of-unknown-firm", "strategy@firms.zz.strategy=hold", "firms.zz", "hold"),
    # no firms
    case("no-firms-section", "~firms", "firms", "missing"),
    case("every-firm-removed", "~firms.a ~firms.b ~firms.c", "firms", "{}"),
    case("only-firm-removed", "firms=monopoly ~firms.solo", "firms", "{}"),
    case("empty-firms", "firms={} population.n_customers=2000 n_periods=2", "firms", "{}"),
    case("empty-tiers", "firms.a.tiers={}", "firms.a.tiers", "{}"),
    case("empty-segments", "population.segments={}", "population.segments", "{}"),
    # population size
    case("zero-customers", "population.n_customers=0", "population.n_customers", "0"),
    case("negative-customers", "population.n_customers=-3", "population.n_customers", "-3"),
    case("fractional-customers", "population.n_customers=1.5", "population.n_customers", "1.5"),
    case("zero-periods", "n_periods=0", "n_periods", "0"),
    # misspelled keys
    case("misspelled-market-key", "market.nosie_scale=1", "market.nosie_scale", "unknown key"),
    case("misspelled-population-key", "population.n_cusomers=10", "population.n_cusomers",
         "unknown key"),
    case("added-misspelled-market-key", "+market.nosie_scale=1", "market.nosie_scale",
         "unknown key"),
    case("added-misspelled-population-key", "+population.n_cusomers=10",
         "population.n_cusomers", "unknown key"),
    case("misspelled-firm-key", "firms.a.advertsing=0.1", "firms.a.advertsing", "unknown key"),
    case("misspelled-strategy-key", "strategy@firms.b.strategy=match +firms.b.strategy.lagg=2",
         "firms.b.strategy.lagg", "unknown key"),
    case("misspelled-top-level-key", "n_period=3", "n_period", "unknown key"),
    case("parameter-of-parameterless-strategy",
         "strategy@firms.a.strategy=hold +firms.a.strategy.lag=2",
         "firms.a.strategy.lag", "unknown key"),
    # the customer journey and the iCustomer fit (issue 6)
    case("touchpoint-zero-capacity", "firms.a.journey.touchpoints.contact.capacity=0",
         "firms.a.journey.touchpoints.contact.capacity", "0"),
    case("touchpoint-negative-capacity", "firms.b.journey.touchpoints.buy.capacity=-3",
         "firms.b.journey.touchpoints.buy.capacity", "-3"),
    case("negative-service-time", "firms.a.journey.touchpoints.support.mean_service=-0.5",
         "firms.a.journey.touchpoints.support.mean_service", "-0.5"),
    case("handoff-to-missing-touchpoint",
         "firms.c.journey.handoffs=2 firms.c.journey.handoff_after=[billing]",
         "firms.c.journey.handoff_after[0]", "billing"),
    case("negative-handoffs", "firms.c.journey.handoffs=-1", "firms.c.journey.handoffs", "-1"),
    case("misspelled-touchpoint-field", "+firms.a.journey.touchpoints.contact.capcity=4",
         "firms.a.journey.touchpoints.contact.capcity", "unknown key"),
    case("patience-zero", "firms.a.journey.patience=0", "firms.a.journey.patience", "0"),
    case("load-step-below-1", "market.journey.load_step=0.5", "market.journey.load_step",
         "0.5"),
    case("depth-above-10", "firms.a.supplied_depth=11", "firms.a.supplied_depth", "11"),
    case("negative-depth", "firms.b.supplied_depth=-1", "firms.b.supplied_depth", "-1"),
    case("desired-depth-above-10", "population.segments.affluent.desired_depth=12",
         "population.segments.affluent.desired_depth", "12"),
    case("unknown-stage", "firms.c.stage=wisdom", "firms.c.stage", "wisdom"),
]

#: Cases also run through the real console entry point in a subprocess.
SUBPROCESS = ("negative-price", "nan-budget", "unknown-strategy", "misspelled-market-key",
              "no-firms-section", "zero-customers", "empty-firms")


def check_one_line_error(returncode: int, out: str, err: str, c: Case) -> None:
    """Exit 2; stderr is one ``field: got value; allowed: ...`` line; no traceback."""
    assert "Traceback" not in out and "Traceback" not in err
    assert returncode == 2, f"exit status {returncode}; stderr: {err!r}"
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"not one line on stderr: {err!r}"
    m = ERROR.fullmatch(lines[0])
    assert m, f"not 'valuesim: error: <field>: got <value>; allowed: <...>': {lines[0]!r}"
    field, value, allowed = m["field"], m["value"], m["allowed"]
    assert field == c.field or field.startswith(c.field + "."), lines[0]
    assert c.value in value, lines[0]
    assert not re.fullmatch(r"\s*(one of)?\s*", allowed), f"nothing allowed: {lines[0]!r}"


def assert_nothing_written(directory: Path) -> None:
    assert not list(directory.rglob("results.nc"))
    assert not (directory / "outputs").exists()


@pytest.mark.parametrize("c", CASES)
def test_bad_config_stops_before_the_model_with_one_line(c, tmp_path, monkeypatch, capsys):
    import hydra

    reached = []

    def hydra_main(*args, **kwargs):  # stands in for the run: reaching it is the failure
        reached.append(args)
        return lambda task: lambda: None

    monkeypatch.setattr(hydra, "main", hydra_main)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    monkeypatch.chdir(tmp_path)
    status = cli.main(["run", *c.overrides])
    out, err = capsys.readouterr()
    assert not reached, "the config passed validation and the model would have run"
    check_one_line_error(status, out, err, c)
    assert_nothing_written(tmp_path)


@pytest.mark.parametrize("c", [p for p in CASES if p.id in SUBPROCESS])
def test_console_entry_point_reports_a_bad_config_cleanly(c, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-m", "scenarios.cli", "run", *c.overrides],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    check_one_line_error(proc.returncode, proc.stdout, proc.stderr, c)
    assert_nothing_written(tmp_path)


def test_the_subprocess_cases_exist():
    assert set(SUBPROCESS) <= {p.id for p in CASES}
