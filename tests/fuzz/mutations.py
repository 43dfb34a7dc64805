"""Hypothesis strategies that spoil a real payload the way outside systems do: keys dropped,
types swapped, nulls, huge and odd unicode text, negative and unreadable numbers and money."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

Place = tuple[str | int, ...]  # the keys and indexes that lead to a value in a payload

EMULATOR_DATA = Path(__file__).resolve().parents[1] / "emulators" / "data"

# Text that has broken parsers before or that a database refuses: money in the shop's own
# format, numbers JSON allows but Decimal or PostgreSQL do not, NUL, half a surrogate pair,
# right-to-left and combining marks, a string past every column's length.
ODD_TEXTS = (
    "",
    " ",
    "NaN",
    "-Infinity",
    "1e400",
    "1e30",
    "-5.00",
    "-1",
    "1,000.00",
    "1.000,50",
    "$10.00",
    "12.5.3",
    "١٢٣",
    "0x1F",
    "null",
    "\x00",
    "a\x00b",
    "\ud800",
    "\u202egnp.exe",
    "e\u0301\u0301\u0301",
    "💥" * 40,
    "x" * 5_000,
    "2026-13-45T99:99:99Z",
    "Tue, 99 Foo 2019 99:99:99 +9999",
    "9999-12-31T23:59:59",
    "0001-01-01T00:00:00",
    "<script>alert(1)</script>",
)
ODD_NUMBERS = (
    -1,
    0,
    -0.0,
    0.1,
    -12.5,
    2**31,
    2**63,
    -(2**63),
    10**30,
    1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
)
# Keys whose values are money or quantities: they get the odd numbers more often.
NUMERIC_KEY = re.compile(r"(?i)qty|quantity|price|total|amount|tax|cost|discount|available|hand")

odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(ODD_TEXTS),
    st.sampled_from(ODD_NUMBERS),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.just([]),
    st.just({}),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
odd_numbers = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.sampled_from(ODD_TEXTS[1:14]),
    st.integers(),
    st.decimals(allow_nan=False, places=6).map(str),
    st.floats(),
)

ACTIONS = ("drop", "replace", "replace", "number", "wrap", "stringify", "empty")


def emulator_data(*parts: str) -> Any:
    """A real payload the emulators serve (tests/emulators/data)."""
    return json.loads(EMULATOR_DATA.joinpath(*parts).read_text())


def paths(value: Any, prefix: Place = ()) -> Iterator[Place]:
    """Every place in a JSON-like tree, containers and leaves, the root left out."""
    children: Any = ()
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    for key, child in children:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def _parent(tree: Any, path: Place) -> Any:
    for key in path[:-1]:
        tree = tree[key]
    return tree


def _spoil(draw: st.DrawFn, tree: Any, path: Place) -> None:
    parent, key = _parent(tree, path), path[-1]
    action = draw(st.sampled_from(ACTIONS))
    if action == "drop":
        del parent[key]
    elif action == "number" or (action == "replace" and NUMERIC_KEY.search(str(key))):
        parent[key] = draw(odd_numbers)
    elif action == "replace":
        parent[key] = draw(odd_values)
    elif action == "wrap":
        parent[key] = [parent[key]]
    elif action == "stringify":
        parent[key] = str(parent[key])
    else:  # the container a value sits in, or the value, emptied
        parent[key] = type(parent[key])() if isinstance(parent[key], list | dict | str) else None


@st.composite
def mutated(draw: st.DrawFn, payload: Any, *, changes: int = 3) -> Any:
    """A copy of the payload with one to `changes` spoilt places."""
    tree = copy.deepcopy(payload)
    for _ in range(draw(st.integers(min_value=1, max_value=changes))):
        places = list(paths(tree))
        if not places:
            break
        _spoil(draw, tree, draw(st.sampled_from(places)))
    return tree


odd_cells = st.one_of(st.sampled_from(ODD_TEXTS), st.text(max_size=20))


@st.composite
def spoilt_csv(draw: st.DrawFn, data: bytes) -> bytes:
    """A CSV file with cells replaced, rows cut short, made long or left with an open
    quote, and odd bytes at the end."""
    rows = list(csv.reader(io.StringIO(data.decode())))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        index = draw(st.integers(min_value=0, max_value=len(rows) - 1))
        row = rows[index]
        action = draw(st.sampled_from(["cell", "cell", "cut", "extend", "quote"]))
        if action == "cell" and row:
            row[draw(st.integers(min_value=0, max_value=len(row) - 1))] = draw(odd_cells)
        elif action == "cut":
            del row[draw(st.integers(min_value=0, max_value=len(row))) :]
        elif action == "extend":
            row += draw(st.lists(odd_cells, min_size=1, max_size=3))
        else:
            rows[index] = ['"' + ",".join(row)]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass") + draw(st.binary(max_size=8))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def short(message: str, *, limit: int = 600) -> bool:
    """Whether an error message is one a person can read in a list: non-empty, bounded."""
    return bool(message.strip()) and len(message) <= limit
