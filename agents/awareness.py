"""Insider / edge / outsider dynamics (MODEL.md §5), as array kernels.

Per (customer, firm) state moves each period: outsiders become edge through
advertising reach ``p_f`` plus word of mouth ``q * W_f`` (``W_f`` the net share
of promoting insiders: Bass with valence), edge customers forget, insiders
lapse after ``lapse_periods`` without a purchase or when their bond wears out,
and a purchase makes an insider. Bonds grow with satisfying purchases and
decay otherwise.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from agents.population import AwarenessState as S
from sim.params import FROZEN
from sim.validation import check_int, check_nonnegative, check_probability

__all__ = ["AwarenessParams", "net_word_of_mouth", "move_awareness", "book_experience"]


@dataclasses.dataclass(**FROZEN)
class AwarenessParams:
    """Word of mouth, forgetting, lapse and bond dynamics (rates per period)."""

    word_of_mouth: float = 0.15
    negative_weight: float = 1.0
    forgetting: float = 0.02
    lapse_periods: int = 12
    bond_floor: float = 0.02
    bond_growth: float = 0.2
    bond_decay: float = 0.02
    bond_damage: float = 0.3

    def __post_init__(self) -> None:
        check_nonnegative("word_of_mouth", self.word_of_mouth)
        check_nonnegative("negative_weight", self.negative_weight)
        for f in ("forgetting", "bond_floor", "bond_growth", "bond_decay", "bond_damage"):
            check_probability(f, getattr(self, f))
        check_int("lapse_periods", self.lapse_periods, low=1)


def net_word_of_mouth(
    awareness: np.ndarray, promoter: np.ndarray, negative_weight: float
) -> np.ndarray:
    """Net word of mouth per firm: (promoting - w * detracting insiders) / customers.

    Parameters
    ----------
    awareness, promoter : ndarray of int8, shape (firm, customer)

    Returns
    -------
    ndarray, shape (firm,), in [-negative_weight, 1]
    """
    n = max(awareness.shape[1], 1)
    insider = awareness == S.INSIDER
    pos = np.count_nonzero(insider & (promoter > 0), axis=1)
    neg = np.count_nonzero(insider & (promoter < 0), axis=1)
    return (pos - negative_weight * neg) / n


def move_awareness(
    awareness: np.ndarray,
    bond: np.ndarray,
    last_purchase: np.ndarray,
    *,
    period: int,
    advertising: np.ndarray,
    word_of_mouth: np.ndarray,
    params: AwarenessParams,
    uniforms: np.ndarray,
    committed: np.ndarray | None = None,
) -> None:
    """Apply one period's awareness transitions in place (before shopping).

    Parameters
    ----------
    awareness : ndarray of int8, shape (firm, customer)
    bond : ndarray of float32, shape (firm, customer)
    last_purchase : ndarray of int32, shape (firm, customer)
    period : int
    advertising : ndarray, shape (firm,)
        Advertising reach p_f (probability per period).
    word_of_mouth : ndarray, shape (firm,)
        Net word of mouth W_f; only its positive part spreads awareness.
    params : AwarenessParams
    uniforms : ndarray, shape (firm, customer)
    committed : ndarray of bool, shape (firm, customer), optional
        Customers under a commitment to the firm: they do not lapse.
    """
    reach = np.clip(advertising + params.word_of_mouth * np.maximum(word_of_mouth, 0.0), 0, 1)
    reach = reach.astype(np.float32)[:, None]
    outsider = awareness == S.OUTSIDER
    edge = awareness == S.EDGE
    insider = awareness == S.INSIDER
    lapse = insider & (
        (period - last_purchase > params.lapse_periods) | (bond < params.bond_floor)
    )
    if committed is not None:
        lapse &= ~committed
    awareness[outsider & (uniforms < reach)] = S.EDGE
    awareness[edge & (uniforms < np.float32(params.forgetting))] = S.OUTSIDER
    awareness[lapse] = S.EDGE


def book_experience(
    population,
    rows: np.ndarray,
    firm: np.ndarray,
    satisfied: np.ndarray,
    *,
    period: int,
    params: AwarenessParams,
    care: np.ndarray | None = None,
) -> None:
    """Post-purchase update for buyers: insider state, bond, promoter sign, last purchase.

    Parameters
    ----------
    population : CustomerPopulation
    rows : ndarray of int, shape (buyer,)
        Customer indices of this period's buyers.
    firm : ndarray of int, shape (buyer,)
        Firm each bought from.
    satisfied : ndarray of bool, shape (buyer,)
    care : ndarray, shape (firm,), optional
        Each firm's relationship investment c >= 0: a satisfying purchase grows the bond
        as ``1 + c`` ordinary ones would, ``1 - (1 - g) ** (1 + c)`` of the gap.
    """
    b = population.bond[firm, rows]
    g = np.float32(params.bond_growth)
    if care is not None and np.any(care):
        g = (1 - (1 - params.bond_growth) ** (1 + care[firm])).astype(np.float32)
    grown = b + g * (1 - b)
    damaged = b * np.float32(1 - params.bond_damage)
    population.bond[firm, rows] = np.where(satisfied, grown, damaged)
    population.awareness[firm, rows] = S.INSIDER
    population.promoter[firm, rows] = np.where(satisfied, 1, -1).astype(np.int8)
    population.last_purchase[firm, rows] = period


def decay_bonds(bond: np.ndarray, params: AwarenessParams,
                care: np.ndarray | None = None) -> None:
    """Bonds wear by ``bond_decay`` each period (buyers regain it in :func:`book_experience`);
    a firm's relationship investment ``care[f]`` slows it to ``bond_decay / (1 + care[f])``.

    Parameters
    ----------
    bond : ndarray of float32, shape (firm, customer)
    params : AwarenessParams
    care : ndarray, shape (firm,), optional
    """
    if care is None or not np.any(care):
        bond *= np.float32(1 - params.bond_decay)
        return
    bond *= (1 - params.bond_decay / (1 + care)).astype(np.float32)[:, None]
