"""Story tests of the insider / edge / outsider kernels."""

from __future__ import annotations

import numpy as np

from agents.awareness import AwarenessParams, move_awareness, net_word_of_mouth
from agents.population import AwarenessState as S


def test_an_insider_lapses_only_after_lapse_periods_without_a_purchase():
    params = AwarenessParams(lapse_periods=3, bond_floor=0.0, forgetting=0.0)
    awareness = np.array([[S.INSIDER]], np.int8)
    bond, last = np.array([[0.5]], np.float32), np.array([[10]], np.int32)
    states = []
    for period in range(11, 16):
        move_awareness(awareness, bond, last, period=period, advertising=np.zeros(1),
                       word_of_mouth=np.zeros(1), params=params,
                       uniforms=np.ones((1, 1), np.float32))
        states.append(int(awareness[0, 0]))
    # bought at 10; idle in 11, 12, 13: still an insider at 13, edge from 14
    assert states == [S.INSIDER, S.INSIDER, S.INSIDER, S.EDGE, S.EDGE]


def test_a_committed_insider_does_not_lapse():
    params = AwarenessParams(lapse_periods=1, bond_floor=0.0)
    awareness = np.array([[S.INSIDER, S.INSIDER]], np.int8)
    move_awareness(awareness, np.full((1, 2), 0.5, np.float32), np.zeros((1, 2), np.int32),
                   period=5, advertising=np.zeros(1), word_of_mouth=np.zeros(1), params=params,
                   uniforms=np.ones((1, 2), np.float32), committed=np.array([[True, False]]))
    assert awareness.tolist() == [[S.INSIDER, S.EDGE]]


def test_net_word_of_mouth_counts_promoters_minus_detractors():
    awareness = np.array([[S.INSIDER, S.INSIDER, S.INSIDER, S.EDGE]], np.int8)
    promoter = np.array([[1, 1, -1, 1]], np.int8)
    np.testing.assert_allclose(net_word_of_mouth(awareness, promoter, 1.0), [0.25])
    np.testing.assert_allclose(net_word_of_mouth(awareness, promoter, 2.0), [0.0])
