"""Python's ``round`` of many floats at once, to the last bit (route answers round hundreds of numbers)."""

from __future__ import annotations

import numpy as np

__all__ = ["rounded"]

#: `rounded` leaves to Python's ``round`` a value whose scaled fraction lies this close to a half.
_NEAR_HALF = 1e-6
#: ... or whose scaled magnitude reaches this: its product's rounding error could then pass `_NEAR_HALF`.
_BIG = 2.0**31


def rounded(values, ndigits: int) -> list[float]:
    """``[round(v, ndigits) for v in values]`` to the last bit, as one array computation.

    Python's ``round`` rounds the exact binary value to ``ndigits`` decimals (half to even) and
    reads that decimal back: about half a microsecond a call, through the decimal digits. It is
    ``rint(v * 10**ndigits) / 10**ndigits`` wherever the scaled product lies farther from a half
    than its rounding error (then ``rint`` picks the integer the exact product rounds to, and an
    integer divided by an exact power of ten is the double nearest that decimal, which is what
    reading it back gives). The few other values, and any too big or not finite, go to ``round``.

    >>> xs = [9.52087044, 47.14100005, 0.25, -1e-9, 2.5e-7, float("nan")]
    >>> str(rounded(xs, 7)) == str([round(x, 7) for x in xs])
    True
    """
    values = np.asarray(values, np.float64)
    scale = 10.0**ndigits
    y = values * scale
    r = np.rint(y)
    out = (r / scale).tolist()
    ok = np.abs(y) < _BIG  # False for inf and NaN too
    if ok.all():  # y - r is exact here: the distance to the nearest integer, a half or less
        doubt = np.abs(y - r) > 0.5 - _NEAR_HALF
    else:
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, never near a half (and too big anyway)
            doubt = ~ok | (np.abs(y - r) > 0.5 - _NEAR_HALF)
    for k in doubt.nonzero()[0].tolist():
        out[k] = round(float(values[k]), ndigits)
    return out
