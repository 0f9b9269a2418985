"""When a downturn response starts and ends: one rule shared by cut, raise and concession."""

from __future__ import annotations

import dataclasses

from sim.params import FROZEN
from sim.validation import check_choice, check_int, check_range

__all__ = ["DownturnTrigger", "TriggerState"]

RESTORE = ("recovery", "after", "never")


@dataclasses.dataclass(frozen=True, slots=True)
class TriggerState:
    """Whether the response is on, for how many periods, and whether it may start again."""

    active: bool = False
    periods: int = 0
    armed: bool = True


@dataclasses.dataclass(**FROZEN)
class DownturnTrigger:
    """Start when the observed economy index falls to ``threshold``; end by ``restore``.

    ``restore``: ``recovery`` ends the response once the index is back at ``release``;
    ``after`` ends it after ``restore_after`` periods; ``never`` keeps it for good.
    Once ended, it can start again only after the index has been back at ``release``.
    """

    threshold: float = 0.95
    restore: str = "recovery"
    restore_after: int = 12
    release: float = 0.99

    def __post_init__(self) -> None:
        check_range("threshold", self.threshold, 0.0, 2.0, low_open=True)
        check_choice("restore", self.restore, RESTORE)
        check_int("restore_after", self.restore_after, low=1)
        check_range("release", self.release, self.threshold, 2.0)

    def update(self, state: TriggerState, economy_index: float) -> TriggerState:
        """The state after observing ``economy_index``."""
        recovered = economy_index >= self.release
        if state.active:
            ended = ((self.restore == "recovery" and recovered)
                     or (self.restore == "after" and state.periods + 1 >= self.restore_after))
            if ended:
                return TriggerState(active=False, periods=0, armed=recovered)
            return TriggerState(active=True, periods=state.periods + 1, armed=False)
        armed = state.armed or recovered
        if armed and economy_index <= self.threshold:
            return TriggerState(active=True, periods=0, armed=False)
        return TriggerState(active=False, periods=0, armed=armed)
