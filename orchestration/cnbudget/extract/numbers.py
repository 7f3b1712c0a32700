"""Printed amounts to exact decimals."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

# Printed forms of "nothing here": blank, dashes. Blank is not zero in the source,
# so these parse to None and the printed text is kept beside.
_EMPTY_MARKS = {"", "-", "—", "--", "——", "－", "–"}
_AMOUNT = re.compile(r"^(?P<sign>[-−]?)(?P<int>\d{1,3}(,\d{3})+|\d+)(?P<frac>\.\d+)?$")


class AmountParseError(ValueError):
    """A cell in an amount column whose text is not a number."""


def looks_like_amount(text: str) -> bool:
    try:
        return parse_amount(text) is not None
    except AmountParseError:
        return False


def parse_amount(text: str) -> Decimal | None:
    """`1,234.50` -> Decimal('1234.50'); `(12.00)` and `-12` are negative; blanks and
    dashes are None. Full-width digits and separators are accepted."""
    s = unicodedata.normalize("NFKC", text).replace(" ", "").replace("\n", "")
    if s in _EMPTY_MARKS:
        return None
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    match = _AMOUNT.match(s)
    if not match:
        raise AmountParseError(f"not a number: {text!r}")
    if match["sign"]:
        negative = not negative
    value = Decimal(match["int"].replace(",", "") + (match["frac"] or ""))
    return -value if negative else value
