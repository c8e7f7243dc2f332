"""`routes._rounding.rounded`: Python's ``round`` of many floats at once, to the last bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from routes._rounding import rounded


def _same(got: list[float], want: list[float]) -> bool:
    return all(
        (a == b and math.copysign(1, a) == math.copysign(1, b)) or (math.isnan(a) and math.isnan(b))
        for a, b in zip(got, want, strict=True)
    )


@pytest.mark.parametrize("ndigits", [1, 7])
def test_rounded_is_round_on_coordinates_distances_and_halves(ndigits):
    rng = np.random.default_rng(ndigits)
    n = 50_000
    scale = 10.0**ndigits
    values = np.concatenate(
        [
            rng.uniform(-180, 180, n),  # positions
            rng.uniform(0, 1e5, n),  # metres and seconds
            (rng.integers(-(10**9), 10**9, n) + 0.5) / scale,  # halves as decimals: the hard cases
            np.nextafter((rng.integers(-(10**9), 10**9, n) + 0.5) / scale, np.inf),
            np.nextafter((rng.integers(-(10**9), 10**9, n) + 0.5) / scale, -np.inf),
            rng.uniform(0, 5, n) * 10.0 ** rng.integers(-12, 13, n),  # tiny and huge
            [0.0, -0.0, -1e-12, math.inf, -math.inf, math.nan, 2.5, 0.25, -0.35],
        ]
    )
    assert _same(rounded(values, ndigits), [round(v, ndigits) for v in values.tolist()])


def test_rounded_takes_a_list_and_answers_python_floats():
    out = rounded([1.23456789, 2.0], 3)
    assert out == [1.235, 2.0]
    assert all(type(v) is float for v in out)
    assert rounded([], 7) == []
