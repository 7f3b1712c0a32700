"""Shared, session-scoped warehouses: each is built once, through the real CLI or the
real Dagster assets, and every test reads it."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from cnbudget.extract.document import document_id_for, sha256_of
from cnbudget.runs import DAGSTER_YAML

from tests.pdfgen.render_budget import load_spec, render_document

REPO = Path(__file__).resolve().parents[1]
SEED_PDF = REPO / "raw" / "2025" / "武汉市经济和信息化局_2025_部门预算.pdf"
SEED_SPEC = REPO / "tests" / "ground_truth" / "wuhan_jxj_2025.yaml"
CORPUS_DIR = REPO.parent / "shared" / "corpus"


@dataclass
class CliRun:
    warehouse: Path
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cnbudget.cli", *args], capture_output=True, text=True, env=os.environ.copy()
    )


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory):
    """Each session gets its own extraction cache, Dagster home and hand-off, and never
    touches the developer's warehouse.duckdb."""
    root = tmp_path_factory.mktemp("environment")
    dagster_home = root / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    # The test processes of one run (pytest-xdist) share the extraction cache: what one
    # extracted, the other reads (entries are written whole, then renamed into place).
    patch = pytest.MonkeyPatch()
    patch.setenv("CNBUDGET_CACHE_DIR", str(run_root(tmp_path_factory) / "extraction_cache"))
    patch.setenv("DAGSTER_HOME", str(dagster_home))
    # Each test process stages into a hand-off of its own: two processes staging the same
    # document at once would rewrite each other's hand-off (the loader stages it again).
    patch.setenv("CNBUDGET_HANDOFF_URL", str(root / "handoff"))
    patch.setenv("CNBUDGET_WAREHOUSE", str(root / "default.duckdb"))
    patch.setenv("DO_NOT_TRACK", "1")
    patch.setenv("GX_ANALYTICS_ENABLED", "false")
    yield root
    patch.undo()


@pytest.fixture(scope="session")
def seed_spec() -> dict:
    return load_spec(SEED_SPEC)


def run_root(tmp_path_factory) -> Path:
    """The folder all test processes of this run share (pytest-xdist gives each its own below it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory, name: str, build) -> dict:
    """A warehouse the test processes of one run share: the first to need it builds it
    with `build(folder) -> dict` (what the others need to know of the build, as JSON),
    the others wait and read it. Tests open shared warehouses read-only or copy them."""
    folder = run_root(tmp_path_factory) / "shared" / name
    folder.mkdir(parents=True, exist_ok=True)
    built = folder / "built.json"
    with FileLock(str(folder) + ".lock"):
        if not built.exists():
            built.write_text(json.dumps(build(folder), ensure_ascii=False), encoding="utf-8")
    return json.loads(built.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_load(tmp_path_factory) -> CliRun:
    """`cnbudget load raw/` into a fresh warehouse: exactly what `make run` does."""

    def build(folder: Path) -> dict:
        result = run_cli("load", str(REPO / "raw"), "--warehouse", str(folder / "warehouse.duckdb"))
        return {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}

    run = built_once(tmp_path_factory, "seed", build)
    return CliRun(run_root(tmp_path_factory) / "shared" / "seed" / "warehouse.duckdb", **run)


@pytest.fixture(scope="session")
def seed_warehouse(seed_load) -> Path:
    assert seed_load.returncode == 0, seed_load.stdout + seed_load.stderr
    return seed_load.warehouse


def warehouse_digests(warehouse: Path) -> dict[str, tuple[int, str]]:
    """Every table and view of the warehouse (raw, dbt's models, dq): its row count and an
    order-independent digest of its rows, leaving out when they were written (timestamps)."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        columns: dict[str, list[str]] = {}
        for schema, table, column, data_type in conn.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "order by table_schema, table_name, ordinal_position"
        ).fetchall():
            kept = columns.setdefault(f'"{schema}"."{table}"', [])
            if not data_type.startswith(("TIMESTAMP", "DATE", "TIME")):
                kept.append(f'"{column}"')
        return {
            table: conn.execute(
                "select count(*), md5(coalesce(string_agg(cast(t as varchar), '|' order by cast(t as varchar)), '')) "
                f"from (select {', '.join(kept)} from {table}) t"
            ).fetchone()
            for table, kept in columns.items()
        }


def render_variant(spec: dict, out: Path, change) -> Path:
    """Draw the seed document with one change applied to a copy of its spec."""
    variant = copy.deepcopy(spec)
    change(variant)
    render_document(variant, out)
    return out


def seed_table(spec: dict, label: str) -> dict:
    return next(t for t in spec["tables"] if t["label"] == label)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS_DIR.is_dir() or not list(CORPUS_DIR.glob("*.pdf")):
        pytest.skip(f"the shared corpus is not at {CORPUS_DIR} (CI provides it beside the clone)")
    return CORPUS_DIR


def corpus_pdfs(corpus_dir: Path) -> list[Path]:
    """The five Putuo PDFs (the national corpus lies in the folder below)."""
    return sorted(corpus_dir.glob("*.pdf"))


@pytest.fixture(scope="session")
def corpus_warehouse(corpus_dir, tmp_path_factory) -> Path:
    """The five real Shanghai PDFs loaded through the Dagster assets, once per session."""
    return _loaded_once(tmp_path_factory, "corpus", corpus_pdfs(corpus_dir))


def _loaded_once(tmp_path_factory, name: str, paths: list[Path], complete: bool = True) -> Path:
    """`paths` loaded through the Dagster assets, once per run (see built_once)."""
    from cnbudget.pipeline import load

    def build(folder: Path) -> dict:
        outcome = load(paths, folder / "warehouse.duckdb", quiet=True)
        assert not (complete and outcome.refused), [f.error for f in outcome.refused]
        assert outcome.transform_ok, outcome.transform_error
        return {}

    built_once(tmp_path_factory, name, build)
    return run_root(tmp_path_factory) / "shared" / name / "warehouse.duckdb"


@pytest.fixture(scope="session")
def full_warehouse(corpus_dir, tmp_path_factory) -> Path:
    """The seed rendering plus the corpus: departments side by side across years."""
    return _loaded_once(tmp_path_factory, "full", [REPO / "raw", *corpus_pdfs(corpus_dir)])


# The national corpus's fixtures live here, not in test_national.py: the distributed
# tests compare a load on Celery workers with the same local load.
@pytest.fixture(scope="session")
def national_dir(corpus_dir) -> Path:
    folder = corpus_dir / "national"
    if not folder.is_dir() or not list(folder.glob("*.pdf")):
        pytest.skip(f"the national corpus is not at {folder} (CI provides it beside the clone)")
    return folder


@pytest.fixture(scope="session")
def national_warehouse(national_dir, tmp_path_factory) -> Path:
    """The 26 PDFs through the Dagster assets (some are refused by design), once per run."""
    return _loaded_once(tmp_path_factory, "national", [national_dir], complete=False)


# The 决算 (final accounts) the 决算 tests and the report's 决算 charts read.
FINALS = ["putuo_finance_bureau_2024_final", "central_state_petition_bureau_2024_final"]


def final_document_id(national_dir: Path, stem: str) -> str:
    return document_id_for(sha256_of(national_dir / f"{stem}.pdf"))


@pytest.fixture(scope="session")
def finals_warehouse(national_dir, tmp_path_factory) -> Path:
    """The two 决算 and the 国家信访局 2026 预算 (another year: never paired with the 2024
    决算) through the Dagster assets, once per run."""
    paths = [national_dir / f"{stem}.pdf" for stem in FINALS]
    paths.append(national_dir / "central_state_petition_bureau_2026_dept.pdf")
    return _loaded_once(tmp_path_factory, "final_accounts", paths)


# A drawn 决算 with what the two published ones leave blank: a 一般公共预算财政拨款支出决算表
# printing 年初预算数 and 全年预算数 beside its 决算数, and a 政府性基金 table whose
# 第二类 row misprints its 年末结转和结余 (5 + 50 − 40 = 15, printed 16; its 合计 follows it).
_CODES = ["科目编码/类", "科目编码/款", "科目编码/项", "科目名称"]
_DRAWN_TABLES = [
    ("一般公共预算财政拨款支出决算表", _CODES + ["年初预算数", "全年预算数", "决算数/小计", "决算数/基本支出", "决算数/项目支出"], [
        ["", "", "", "合计", "120.00", "130.00", "125.00", "100.00", "25.00"],
        ["201", "", "", "一般公共服务支出", "120.00", "130.00", "125.00", "100.00", "25.00"],
        ["201", "01", "", "人大事务", "120.00", "130.00", "125.00", "100.00", "25.00"],
        ["201", "01", "01", "行政运行", "100.00", "100.00", "100.00", "100.00", ""],
        ["201", "01", "02", "一般行政管理事务", "20.00", "30.00", "25.00", "", "25.00"],
    ]),
    ("政府性基金预算财政拨款收入支出决算表", _CODES + ["年初结转和结余", "本年收入", "本年支出/小计", "本年支出/基本支出",
                                           "本年支出/项目支出", "年末结转和结余"], [
        ["", "", "", "合计", "15.00", "150.00", "130.00", "", "130.00", "36.00"],
        ["212", "", "", "城乡社区支出", "10.00", "100.00", "90.00", "", "90.00", "20.00"],
        ["229", "", "", "其他支出", "5.00", "50.00", "40.00", "", "40.00", "16.00"],
    ]),
]


@pytest.fixture(scope="session")
def drawn_final_warehouse(tmp_path_factory) -> tuple[Path, str]:
    pdf = tmp_path_factory.mktemp("drawn_final") / "drawn_final.pdf"
    render_document({
        "document": {"title": "测试局2024年部门决算", "department": "测试局", "fiscal_year": 2024, "kind": "部门决算"},
        "front_matter": [], "back_matter": [], "performance_tables": [],
        "tables": [{"label": "", "title": title, "department_line": "部门：测试局", "unit_line": "单位：万元",
                    "columns": columns, "rows": rows, "empty_note": "", "notes": []}
                   for title, columns, rows in _DRAWN_TABLES],
    }, pdf)
    return _loaded_once(tmp_path_factory, "drawn_final", [pdf]), document_id_for(sha256_of(pdf))
