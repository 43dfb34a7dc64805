"""Fuzz tests of every input the hub takes from outside (issue 16)."""

# Two Hypothesis profiles: "ci" (the default) runs a bounded, fixed set of examples, so the
# suite stays fast and passes or fails the same way every time; HYPOTHESIS_PROFILE=deep runs
# many more, at random, and keeps what it finds under var/ (never in the repo). A failure
# found either way is pinned on its test with @example, or as a plain regression test.

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

# Examples may touch PostgreSQL or an emulator on loopback: a slow example is expected, not
# a problem, and a fixed budget of examples (not a deadline) bounds each test.
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci",
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=_QUIET,
)
settings.register_profile(
    "deep",
    max_examples=600,
    deadline=None,
    database=DirectoryBasedExampleDatabase(
        str(Path(__file__).resolve().parents[2] / "var" / "hypothesis")
    ),
    suppress_health_check=_QUIET,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Tests whose every example writes to PostgreSQL run a third as many: the same bound on time.
DATABASE_EXAMPLES = settings(max_examples=max(10, settings.default.max_examples // 3))
