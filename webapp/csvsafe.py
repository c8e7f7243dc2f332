"""CSV cells that a spreadsheet will not run as formulas (OWASP "CSV Injection").

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
prefixed with a single quote on export, so Excel, LibreOffice and Google Sheets show it as
text. Names come from staff, OpenStreetMap and imports, so any of them may be hostile.
Numbers (coordinates such as -3.5) are written as numbers and left alone.

An import drops that one quote again, so an export imports back unchanged; a cell that
already began with quotes before a trigger gets one more quote, so the round trip is exact.

>>> neutralise("=HYPERLINK(1)"), unneutralise(neutralise("=HYPERLINK(1)"))
("'=HYPERLINK(1)", '=HYPERLINK(1)')
"""

from __future__ import annotations

from typing import Any

__all__ = ["TRIGGERS", "neutralise", "unneutralise"]

#: First characters that make a spreadsheet read a cell as a formula or a command.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _armed(text: str) -> bool:
    return text.lstrip("'").startswith(TRIGGERS)


def neutralise(value: Any) -> Any:
    """``value`` with a leading quote when it is text a spreadsheet would evaluate; other values as they are."""
    if isinstance(value, str) and _armed(value):
        return "'" + value
    return value


def unneutralise(text: str) -> str:
    """Undo `neutralise` on a cell read from a CSV file."""
    if text.startswith("'") and _armed(text[1:]):
        return text[1:]
    return text
