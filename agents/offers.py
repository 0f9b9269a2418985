"""What a firm sells: value-ladder tiers, generated ladders, bundles and menus.

An *offer* is what a customer can pick: a tier (a rung of a firm's value
ladder) or a bundle of the firm's tiers. A bundle's attributes are the sum of
its components' scaled by ``1 + complementarity`` (super-additive above 0,
sub-additive below) and its unit cost is the sum of theirs. The firm's *menu*
decides what is on sale:

- ``mixed``: tiers and bundles, the bundle at its own price;
- ``components``: tiers only, though a customer may still buy all of a
  bundle's components together, at the sum of their prices and without the
  complementarity (the bundle offer stands for that self-assembled basket);
- ``bundles``: bundles, and the tiers that are not part of any bundle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from sim.params import FROZEN
from sim.validation import (
    ConfigError,
    check_finite,
    check_int,
    check_nonnegative,
    check_positive,
    check_range,
)

__all__ = ["TierParams", "LadderParams", "BundleParams", "OfferBook", "MENUS"]

#: Menus a firm with bundles can put on sale.
MENUS = ("mixed", "components", "bundles")


@dataclasses.dataclass(**FROZEN)
class TierParams:
    """One rung of a value ladder: attributes (by value dimension), unit cost and list price."""

    name: str
    price: float
    unit_cost: float
    attributes: Mapping[str, float]

    def __post_init__(self) -> None:
        check_positive("price", self.price)
        check_nonnegative("unit_cost", self.unit_cost)
        for k, v in self.attributes.items():
            check_finite(f"attributes.{k}", v)


@dataclasses.dataclass(**FROZEN)
class LadderParams:
    """A value ladder generated from its shape, for sweeping ladder design.

    Rung k (0 = lowest) has attributes ``base_attributes + k * value_step`` on
    every dimension, price ``base_price + k * price_step`` and unit cost
    ``base_cost + k * cost_step``. Three rungs are named good/better/best,
    other counts ``tier1..tierN``.
    """

    n_tiers: int = 3
    base_attributes: Mapping[str, float] = dataclasses.field(default_factory=dict)
    value_step: float = 1.5
    base_price: float = 30.0
    price_step: float = 20.0
    base_cost: float = 14.0
    cost_step: float = 10.0

    def __post_init__(self) -> None:
        check_int("n_tiers", self.n_tiers, low=1, high=20)
        if not self.base_attributes:
            raise ConfigError("base_attributes", {}, "attribute values by value dimension")
        for k, v in self.base_attributes.items():
            check_finite(f"base_attributes.{k}", v)
        check_finite("value_step", self.value_step)
        check_positive("base_price", self.base_price)
        check_finite("price_step", self.price_step)
        check_nonnegative("base_cost", self.base_cost)
        check_finite("cost_step", self.cost_step)
        top = self.n_tiers - 1
        check_positive("price of the top rung (base_price + (n_tiers-1)*price_step)",
                       self.base_price + top * self.price_step)
        check_nonnegative("unit_cost of the top rung (base_cost + (n_tiers-1)*cost_step)",
                          self.base_cost + top * self.cost_step)

    def tiers(self) -> dict[str, TierParams]:
        """The ladder's tiers, lowest rung first."""
        names = (("good", "better", "best") if self.n_tiers == 3
                 else tuple(f"tier{k + 1}" for k in range(self.n_tiers)))
        return {
            name: TierParams(
                name=name,
                price=self.base_price + k * self.price_step,
                unit_cost=self.base_cost + k * self.cost_step,
                attributes={d: v + k * self.value_step for d, v in self.base_attributes.items()},
            )
            for k, name in enumerate(names)
        }


@dataclasses.dataclass(**FROZEN)
class BundleParams:
    """A bundle of a firm's tiers sold at one price."""

    name: str
    components: tuple[str, ...]
    price: float
    complementarity: float = 0.0

    def __post_init__(self) -> None:
        if len(self.components) < 2 or len(set(self.components)) != len(self.components):
            raise ConfigError("components", list(self.components),
                              "at least two distinct tier names")
        check_positive("price", self.price)
        check_range("complementarity", self.complementarity, -1.0, 10.0, low_open=True)


@dataclasses.dataclass(frozen=True, slots=True)
class OfferBook:
    """Every offer of every firm, flattened (J offers, D value dimensions).

    Attributes
    ----------
    name : tuple of str, shape (offer,)
        ``"<firm>/<tier or bundle>"``.
    firm : ndarray of int, shape (offer,)
    rung : ndarray of int, shape (offer,)
        Ladder rung of a tier (0 = lowest); -1 for bundles (comparable with bundles).
    attributes : ndarray, shape (offer, dimension)
    unit_cost : ndarray, shape (offer,)
        Base unit cost (before any unit-cost driver).
    list_price : ndarray, shape (offer,)
    components : tuple of tuple of int, shape (offer,)
        Offer indices a bundle is made of; empty for tiers.
    """

    name: tuple[str, ...]
    firm: np.ndarray
    rung: np.ndarray
    attributes: np.ndarray
    unit_cost: np.ndarray
    list_price: np.ndarray
    components: tuple[tuple[int, ...], ...]

    @property
    def n_offers(self) -> int:
        return len(self.name)

    @property
    def is_bundle(self) -> np.ndarray:
        """Which offers are bundles, shape (offer,)."""
        return np.array([bool(c) for c in self.components], dtype=bool)

    @classmethod
    def from_firms(cls, firms: Sequence, dimensions: Sequence[str]) -> OfferBook:
        """Flatten the firms' tiers and bundles (in firm order, tiers first)."""
        rows: list[tuple] = []
        dims = list(dimensions)
        for f, fp in enumerate(firms):
            index = {}
            for r, (tname, t) in enumerate(fp.all_tiers().items()):
                for k in t.attributes:
                    if k not in dims:
                        raise ConfigError(f"firms.{fp.name}.tiers.{tname}.attributes.{k}",
                                          "unknown value dimension", "one of " + ", ".join(dims))
                index[tname] = len(rows)
                attrs = [float(t.attributes.get(d, 0.0)) for d in dims]
                rows.append((f"{fp.name}/{tname}", f, r, attrs, t.unit_cost, t.price, ()))
            for bname, bp in fp.bundles.items():
                parts = tuple(index[c] for c in bp.components)
                attrs = (1 + bp.complementarity) * np.sum([rows[k][3] for k in parts], axis=0)
                cost = sum(rows[k][4] for k in parts)
                rows.append((f"{fp.name}/{bname}", f, -1, list(attrs), cost, bp.price, parts))
        name, firm, rung, attrs, cost, price, comps = zip(*rows, strict=True)
        return cls(tuple(name), np.array(firm), np.array(rung),
                   np.array(attrs, dtype=np.float64), np.array(cost, dtype=np.float64),
                   np.array(price, dtype=np.float64), tuple(comps))

    def attributes_under(self, menus: Sequence[str]) -> np.ndarray:
        """Offer attributes given each firm's menu, shape (offer, dimension).

        Under ``components`` a bundle offer stands for the parts bought and put
        together by the customer: their attributes add up with no complementarity.
        """
        attrs = self.attributes
        assembled = [j for j, parts in enumerate(self.components)
                     if parts and menus[self.firm[j]] == "components"]
        if not assembled:
            return attrs
        attrs = attrs.copy()
        for j in assembled:
            attrs[j] = self.attributes[list(self.components[j])].sum(axis=0)
        return attrs

    def menu(self, firm: int, menu: str, price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Prices and on-sale flags of ``firm``'s offers under ``menu``.

        Parameters
        ----------
        firm : int
        menu : str
            One of :data:`MENUS`.
        price : ndarray, shape (offer,)
            Posted prices of all offers (only ``firm``'s are read).

        Returns
        -------
        price : ndarray, shape (own_offer,)
        on_sale : ndarray of bool, shape (own_offer,)
        """
        own = np.flatnonzero(self.firm == firm)
        out, on_sale = price[own].copy(), np.ones(own.size, dtype=bool)
        in_bundle = {k for j in own for k in self.components[j]}
        for pos, j in enumerate(own):
            if self.components[j] and menu == "components":
                out[pos] = sum(price[k] for k in self.components[j])
            elif j in in_bundle and menu == "bundles":
                on_sale[pos] = False
        return out, on_sale
