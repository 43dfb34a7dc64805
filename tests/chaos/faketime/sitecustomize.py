"""Loaded at start-up by the Python of worker set B only (its PYTHONPATH): libfaketime 0.9.10
answers clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), which time.sleep calls, with EINVAL
when it leaves the monotonic clock real (FAKETIME_DONT_FAKE_MONOTONIC), and every sleep of
the worker (kombu's reconnect, a connector's back-off) would raise. select() keeps the same
contract, on the same real monotonic clock."""

from __future__ import annotations

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
