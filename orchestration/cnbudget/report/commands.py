"""CLI commands to look at a warehouse: `cnbudget report`, `cnbudget sql`, `cnbudget ui`.

Expected problems (no warehouse, a warehouse being written, bad SQL, a missing file)
end in one line on stderr and exit status 2 (1 for a failing query), never a traceback.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from cnbudget import settings

warehouse_option = click.option(
    "--warehouse",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"DuckDB file (default: ${settings.WAREHOUSE_ENV} or ./warehouse.duckdb).",
)


def _fail(message: str, status: int = 2):
    click.echo(f"Error: {message}", err=True)
    sys.exit(status)


def _cannot_open(warehouse: Path, error: Exception) -> str:
    first_line = str(error).splitlines()[0]
    # DuckDB allows one writer and no reader beside it: a running load holds the lock.
    hint = "; is a load still running?" if "lock" in first_line.lower() else ""
    return f"cannot open {warehouse} ({first_line}){hint}"


def _open_read_only(warehouse: Path):
    """A read-only connection that cannot touch other files either (no COPY TO, no
    ATTACH), or a one-line error: a warehouse that does not exist or that a load is
    writing right now (DuckDB allows one writer and no reader beside it)."""
    import duckdb

    if not warehouse.is_file():
        _fail(f"no warehouse at {warehouse}: run `cnbudget load` first, or pass --warehouse FILE.")
    try:
        return duckdb.connect(str(warehouse), read_only=True, config={"enable_external_access": False})
    except duckdb.Error as error:
        _fail(_cannot_open(warehouse, error))


@click.command(short_help="Write the HTML load report (offline, one file).")
@warehouse_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write index.html into (default: report/ beside the warehouse).",
)
def report(warehouse: Path | None, out_dir: Path | None) -> None:
    """Write the load report: one self-contained HTML file that opens offline.

    It shows every load (documents loaded, files refused and why), the tables found in
    each document, the identity results, each failed identity with its cells
    highlighted on a crop of the PDF page, charts of each budget (by function 类 with
    drill-down to 款, basic expenditure by economic class, 基本 vs 项目, “三公” against the
    year before) and a department × year overview. Amounts in charts are 万元.

    \b
    Examples:
      cnbudget report                      # ./report/index.html for ./warehouse.duckdb
      cnbudget report --warehouse w.duckdb --out /tmp/report
      xdg-open report/index.html
    """
    import duckdb

    from cnbudget.report.build import build_report
    from cnbudget.report.warehouse_data import WarehouseNotReady

    warehouse_path = settings.export_environment(warehouse)
    try:
        path = build_report(warehouse_path, out_dir)
    except WarehouseNotReady as error:
        _fail(str(error))
    except duckdb.Error as error:
        _fail(_cannot_open(warehouse_path, error))
    click.echo(f"Report written to {path}")


@click.command(short_help="Run a read-only SQL query and print a table.")
@click.argument("query", required=False)
@warehouse_option
@click.option(
    "--file",
    "query_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the query from a file instead.",
)
@click.option("--limit", type=click.IntRange(min=0), default=100, show_default=True, help="Rows to print (0: all).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (every row) instead of a table.")
def sql(query: str | None, warehouse: Path | None, query_file: Path | None, limit: int, as_csv: bool) -> None:
    """Run a read-only SQL query on the warehouse and print the result as a table.

    The warehouse is opened read-only: statements that would change it are refused.
    Schemas: raw (what the PDFs print), marts (the star schema), dq (identity results).

    \b
    Examples:
      cnbudget sql "select department, fiscal_year, kind from marts.dim_document"
      cnbudget sql "select status, count(*) from dq.identity_results group by all"
      cnbudget sql --file question.sql --csv > answer.csv
    """
    import duckdb

    if query_file:
        query = query_file.read_text(encoding="utf-8")
    if not query or not query.strip():
        _fail("give a query, e.g. cnbudget sql \"select * from marts.dim_document\", or --file FILE.")
    warehouse_path = settings.export_environment(warehouse)
    with _open_read_only(warehouse_path) as conn:
        try:
            cursor = conn.execute(query)
            if cursor.description is None:
                click.echo("OK (no rows returned)")
                return
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall() if as_csv or not limit else cursor.fetchmany(limit + 1)
        except duckdb.Error as error:
            _fail(f"SQL: {error}", status=1)
    if as_csv:
        _print_csv(columns, rows)
    else:
        _print_table(columns, rows, limit)


def _print_csv(columns: list[str], rows: list[tuple]) -> None:
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)


def _print_table(columns: list[str], rows: list[tuple], limit: int) -> None:
    from decimal import Decimal

    from rich.console import Console
    from rich.table import Table

    shown = rows[:limit] if limit else rows
    table = Table(show_lines=False)
    for i, column in enumerate(columns):
        numeric = any(isinstance(r[i], (int, float, Decimal)) and not isinstance(r[i], bool) for r in shown)
        table.add_column(column, justify="right" if numeric else "left")
    for row in shown:
        table.add_row(*("" if v is None else str(v) for v in row))
    console = Console(width=max(shutil.get_terminal_size((160, 40)).columns, 100))
    console.print(table)
    if limit and len(rows) > limit:
        click.echo(f"first {len(shown)} rows shown; there are more (--limit 0 prints all)")
    else:
        click.echo(f"{len(shown)} row{'' if len(shown) == 1 else 's'}")


@click.command(short_help="Start the Dagster UI on this project.")
@warehouse_option
@click.option("--port", type=int, default=3000, show_default=True, help="Port of the web UI.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
def ui(warehouse: Path | None, port: int, host: str) -> None:
    """Start the Dagster UI on this project (dagster dev -m cnbudget.definitions).

    It uses the same local Dagster instance as `cnbudget load` (DAGSTER_HOME, default
    .dagster/ in the project), so the runs, asset metadata and identity checks of
    every load show up, and the same warehouse. Stop it with Ctrl-C.

    \b
    Examples:
      cnbudget ui                          # then open http://127.0.0.1:3000
      cnbudget ui --port 3333 --warehouse /data/budgets.duckdb
    """
    from cnbudget.runs import dagster_home

    warehouse_path = settings.export_environment(warehouse)
    dagster_home()
    dagster = Path(sys.executable).parent / "dagster"
    executable = str(dagster) if dagster.exists() else shutil.which("dagster")
    if not executable:
        _fail("the dagster command is not installed in this environment (pip install -e .).")
    click.echo(
        f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']}, warehouse {warehouse_path})",
        err=True,
    )
    command = [executable, "dev", "-m", "cnbudget.definitions", "--host", host, "--port", str(port)]
    # Replace this process: Ctrl-C and signals go straight to dagster dev.
    os.execv(executable, command)
