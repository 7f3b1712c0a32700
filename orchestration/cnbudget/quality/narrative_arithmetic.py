"""Exact Decimal arithmetic of the narrative checks: rounding half up, printed precision, intervals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)


def half_unit(decimals: int) -> Decimal:
    return Decimal(5) * Decimal(10) ** -(decimals + 1)


def rounded(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(10) ** -decimals, rounding=ROUND_HALF_UP)


def to_decimal(text) -> Decimal | None:
    """A DECIMAL read as text (never through float); None for what is not printed."""
    if text is None or not isinstance(text, str):
        return None
    return Decimal(text)


def stated_value(figure) -> Decimal:
    """A narrative figure's number at its printed precision (25 stays 25, 1.00 stays 1.00)."""
    return rounded(Decimal(figure.printed_number), int(figure.printed_decimals))


def signed(value: Decimal, direction: str) -> Decimal:
    return -value if direction == "decrease" else (Decimal(0) if direction == "flat" else value)


def in_unit(yuan: Decimal, figure) -> Decimal:
    return yuan / Decimal(figure.yuan_per_unit)


def value_range(function, *intervals):
    """min and max of a function monotonic in each argument over the corners of the intervals."""
    values = []

    def corners(index, chosen):
        if index == len(intervals):
            value = function(*chosen)
            if value is not None:
                values.append(value)
            return
        low, high = intervals[index]
        for v in (low, high):
            corners(index + 1, chosen + [v])

    corners(0, [])
    return (min(values), max(values)) if values else None


def interval(value: Decimal, decimals: int) -> tuple[Decimal, Decimal]:
    half = half_unit(decimals)
    return value - half, value + half
