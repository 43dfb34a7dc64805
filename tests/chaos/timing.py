"""The hub's intervals and the suite's pace, for --ci and for the full run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """The hub's intervals and the suite's pace: --ci is short, the rest runs at the
    production intervals so that the times to resume mean what they say."""

    dispatch_interval: float
    automatic_poll: int
    feed_interval: float  # seconds between orders placed
    wait: tuple[float, float]  # before each fault: a random point in the loop's work
    hold_factor: float
    longest_hold: float
    resume_goal: float
    resume_cap: float  # a round that has not resumed by then is recorded as a miss
    warm_up_deadline: float
    settle_deadline: float

    @property
    def quiet(self) -> float:
        return 3 * self.dispatch_interval


CI = Timing(
    dispatch_interval=5,
    automatic_poll=10,
    feed_interval=1.0,
    wait=(0.5, 2.0),
    hold_factor=0.5,
    longest_hold=10,
    resume_goal=120,
    resume_cap=130,
    warm_up_deadline=120,
    settle_deadline=300,
)
FULL = Timing(
    dispatch_interval=30,
    automatic_poll=60,
    feed_interval=1.0,
    wait=(2.0, 15.0),
    hold_factor=1.0,
    longest_hold=30,
    resume_goal=120,
    resume_cap=300,
    warm_up_deadline=300,
    settle_deadline=900,
)
