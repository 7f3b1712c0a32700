"""How amounts are shown: the warehouse holds DECIMAL yuan; people read budgets in 万元."""

from __future__ import annotations

from decimal import Decimal

YUAN_PER_WAN = Decimal(10_000)
CHART_UNIT = "万元"  # every chart and overview figure is in 万元, the unit most tables print


def wan(yuan) -> Decimal:
    return Decimal(str(yuan)) / YUAN_PER_WAN


def format_wan(yuan) -> str:
    """1241400.00 yuan → '124.14'; None → '—'."""
    if yuan is None:
        return "—"
    return f"{wan(yuan):,.2f}"


def format_yuan(yuan) -> str:
    if yuan is None:
        return "—"
    return f"{Decimal(str(yuan)):,.2f}"


def format_in_unit(yuan, yuan_per_unit) -> str:
    """An amount in a table's printed unit (yuan_per_unit: 1 for 元, 10000 for 万元)."""
    if yuan is None:
        return "—"
    return f"{Decimal(str(yuan)) / Decimal(str(yuan_per_unit)):,.2f}"
