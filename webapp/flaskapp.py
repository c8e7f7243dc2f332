"""The app's Flask class: Flask, remembering per function what it would otherwise work out on every request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

__all__ = ["BikemapFlask"]


class BikemapFlask(Flask):
    """`flask.Flask` whose ``ensure_sync`` answers each function once.

    Flask passes every request hook and view through ``ensure_sync`` on every request (13 calls for
    ``/api/route``), and each call asks ``inspect.iscoroutinefunction``, which unwraps the function
    anew: a few microseconds each, for an answer that never changes for a given function (issue #17).
    """

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        memo: dict[Any, Callable[..., Any]] = self.__dict__.setdefault("_ensure_sync_memo", {})
        try:
            return memo[func]
        except KeyError:
            out = memo[func] = super().ensure_sync(func)
            return out
        except TypeError:  # an unhashable callable: asked every time, as Flask does
            return super().ensure_sync(func)
