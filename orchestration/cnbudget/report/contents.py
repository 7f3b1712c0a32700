"""What the report shows, as data classes: documents, refusals, identity failures, the overview.

Amounts stay Decimal yuan here; money.py formats them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from cnbudget.quality.instances import InvolvedCell


@dataclass(frozen=True)
class TableFound:
    label: str
    title: str
    kind: str
    printed_unit: str
    first_page: int
    last_page: int
    body_rows: int
    is_empty: bool
    empty_note: str | None

    @property
    def pages(self) -> str:
        return f"{self.first_page}" if self.first_page == self.last_page else f"{self.first_page}–{self.last_page}"


@dataclass(frozen=True)
class Amount:
    """One bar of a chart: a code and name (or any label) and its amount."""

    code: str
    name: str
    yuan: Decimal


@dataclass(frozen=True)
class BudgetAgainstFinal:
    """One line (a function 类 or a “三公” item) of a 决算's budget against actual
    (marts.fact_budget_vs_final). None is not zero: the 决算 prints no such figure, or no
    预算 of the same department and year is loaded."""

    code: str
    name: str
    initial_budget: Decimal | None  # the 决算's 年初预算数
    adjusted_budget: Decimal | None  # its 全年预算数 / 调整预算数 (the “三公” table's 预算数)
    published_budget: Decimal | None  # the loaded 预算's own figure
    final: Decimal | None  # 决算数


BUDGET_BASES = ("initial_budget", "adjusted_budget", "published_budget")


def printed_bases(lines: list[BudgetAgainstFinal]) -> list[str]:
    """The budget bases (BUDGET_BASES, in order) with a figure on any of the lines."""
    return [basis for basis in BUDGET_BASES if any(getattr(line, basis) is not None for line in lines)]


@dataclass
class Document:
    document_id: str
    source_file: str
    department: str
    budget_unit: str | None
    kind: str
    phase: str  # budget (预算) / final (决算)
    fiscal_year: int
    version: int
    is_current: bool
    page_count: int
    loaded_at: datetime
    tables: list[TableFound] = field(default_factory=list)
    identity_counts: dict[str, int] = field(default_factory=dict)  # passed / failed / not_applicable
    function_classes: list[Amount] = field(default_factory=list)  # 类, all funds (支出总表)
    function_sections: dict[str, list[Amount]] = field(default_factory=dict)  # 类 code -> its 款
    function_scope: str = ""  # the fund scope the function charts cover
    economic_classes: list[Amount] = field(default_factory=list)  # 基本支出 by 类 (301 …)
    economic_items: dict[str, list[Amount]] = field(default_factory=dict)  # 类 code -> its 款 (30101 …)
    expenditure_groups: list[Amount] = field(default_factory=list)  # 基本支出 / 项目支出 / 其他支出
    three_public: list[Amount] = field(default_factory=list)  # by item, this year
    three_public_previous: list[Amount] | None = None  # the year before, when that budget is loaded
    previous_document_id: str | None = None
    # a 决算 only: its budget against actual, in the order its tables print the lines
    budget_vs_final_classes: list[BudgetAgainstFinal] = field(default_factory=list)  # function 类
    budget_vs_final_three_public: list[BudgetAgainstFinal] = field(default_factory=list)
    budget_document_id: str | None = None  # the loaded 预算 of the same department and year

    @property
    def anchor(self) -> str:
        return f"doc-{self.document_id}"

    @property
    def name(self) -> str:
        who = self.budget_unit if self.kind == "单位预算" and self.budget_unit else self.department
        version = f" v{self.version}" if self.version > 1 or not self.is_current else ""
        superseded = " (superseded)" if not self.is_current else ""
        return f"{who} {self.fiscal_year} {self.kind}{version}{superseded}"

    @property
    def file_name(self) -> str:
        return Path(self.source_file).name


@dataclass(frozen=True)
class Refusal:
    source_file: str
    document_id: str | None
    error_kind: str
    message: str
    failed_at: datetime

    @property
    def file_name(self) -> str:
        return Path(self.source_file).name


@dataclass(frozen=True)
class IdentityFailure:
    document_id: str
    identity_id: str
    identity_kind: str
    severity: str
    table_name: str
    printed_unit: str
    yuan_per_unit: Decimal
    row_name: str
    column_path: str
    page: int
    comparison: str
    actual_yuan: Decimal
    expected_yuan: Decimal
    difference_yuan: Decimal
    tolerance_yuan: Decimal
    expected_source: str
    cells: tuple[InvolvedCell, ...]


@dataclass(frozen=True)
class NotApplicable:
    document_id: str
    identity_id: str
    reason: str
    instances: int


@dataclass(frozen=True)
class OverviewCell:
    """One department (and kind) in one year: the current version's totals."""

    department: str
    kind: str
    fiscal_year: int
    document_id: str
    expenditure_yuan: Decimal | None
    three_public_yuan: Decimal | None
    failed_identities: int


@dataclass
class ReportData:
    warehouse: Path
    documents: list[Document]
    refusals: list[Refusal]
    failures: list[IdentityFailure]
    not_applicable: list[NotApplicable]
    overview: list[OverviewCell]
    identities_validated_at: datetime | None
    identity_results_stale: str | None  # why dq.identity_results may not describe the warehouse
    # (document, page) -> the left and right edge of the printed cells on that page, in points
    page_extents: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)

    def document(self, document_id: str) -> Document:
        return next(d for d in self.documents if d.document_id == document_id)

    def failures_of(self, document_id: str) -> list[IdentityFailure]:
        return [f for f in self.failures if f.document_id == document_id]

    def not_applicable_of(self, document_id: str) -> list[NotApplicable]:
        return [n for n in self.not_applicable if n.document_id == document_id]

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for document in self.documents:
            for status, count in document.identity_counts.items():
                totals[status] += count
        return dict(totals)
