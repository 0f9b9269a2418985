"""Drivers: economy index shapes and unit-cost shocks."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.drivers import Downturn, Shock, Steady
from sim.validation import ConfigError


@pytest.mark.parametrize("shape", ["V", "U", "L", "W"])
@pytest.mark.parametrize("duration", [1, 2, 3, 16])
def test_every_downturn_moves_the_index_within_its_depth(shape, duration):
    if shape == "W" and duration < 2:
        with pytest.raises(ConfigError, match="duration"):
            Downturn(shape=shape, duration=duration)
        return
    path = Downturn(depth=0.2, onset=3, duration=duration, shape=shape).path(30)
    assert path[:3].tolist() == [1.0, 1.0, 1.0]
    assert path.min() < 1.0 and path.min() >= 0.8 - 1e-12
    assert path[3 + duration:].min() == pytest.approx(1.0)  # full recovery by default


def test_an_l_shaped_downturn_recovers_only_partly():
    path = Downturn(depth=0.2, onset=0, duration=10, shape="L", recovery=0.25).path(20)
    assert path[-1] == pytest.approx(1 - 0.2 * 0.75)


def test_a_cost_shock_steps_up_and_back():
    assert Shock(size=0.5, onset=2, duration=3).path(7).tolist() == [
        1.0, 1.0, 1.5, 1.5, 1.5, 1.0, 1.0]
    np.testing.assert_allclose(Shock(size=0.4, onset=1, ramp=4).path(6),
                               [1.0, 1.1, 1.2, 1.3, 1.4, 1.4])
    assert Steady(level=0.9).path(3).tolist() == [0.9, 0.9, 0.9]
