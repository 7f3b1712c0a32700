"""`cnbudget`: load budget PDFs into the warehouse and check their identities.

Every command drives the same Dagster assets and checks that `dagster dev` shows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cnbudget import settings
from cnbudget.report import commands as report_commands


def _warehouse_option(f):
    return click.option(
        "--warehouse",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"DuckDB file (default: ${settings.WAREHOUSE_ENV} or ./warehouse.duckdb).",
    )(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def main() -> None:
    """Chinese government budget PDFs into a verified DuckDB warehouse.

    \b
    Examples:
      cnbudget load                       # every PDF below raw/ into ./warehouse.duckdb
      cnbudget load a.pdf budgets/2025/   # files and folders
      cnbudget check                      # every identity result; exit 1 on a failure
      cnbudget report                     # report/index.html: loads, failures on the page, charts
      cnbudget sql "select * from marts.dim_document"   # a read-only query, printed as a table
      cnbudget ui                         # the Dagster UI on this project

    Every command takes --help. The warehouse is ./warehouse.duckdb unless --warehouse
    or $CNBUDGET_WAREHOUSE says otherwise.
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_warehouse_option
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help=f"Extraction processes at once (default: ${settings.WORKERS_ENV} or the number of cores); "
    f"with ${settings.CELERY_BROKER_ENV} set, the Celery workers extract instead.",
)
def load(paths: tuple[Path, ...], warehouse: Path | None, workers: int | None) -> None:
    """Load PDFs (files or folders; default: the landing folder raw/).

    Each PDF is a partition of the ingest assets (its content hash): extracted in
    parallel (here, or on the Celery workers of $CNBUDGET_CELERY_BROKER), loaded one
    at a time, then the dbt models are built and the identity checks run. The same file twice changes nothing; a corrected file for the same
    department, year and kind becomes the current version. Exits 2 when any file
    was refused or could not be checked (the others still load and are checked), 1
    when the models fail to build. A document's own inconsistencies are findings of
    the checks, never a failed load.

    \b
    Examples:
      cnbudget load
      cnbudget load budgets/2025/ extra.pdf --workers 2
      CNBUDGET_CELERY_BROKER=redis://127.0.0.1:6379/0 cnbudget load budgets/   # on the Celery workers
    """
    from cnbudget.ingest.celery_cluster import WorkersUnavailable
    from cnbudget.pipeline import load as run_load

    warehouse_path = settings.export_environment(warehouse)
    targets = list(paths) or [settings.landing_dir()]
    where = f", extracting on the Celery workers of {settings.celery_broker()}" if settings.celery_broker() else ""
    click.echo(f"Loading {', '.join(str(p) for p in targets)} into {warehouse_path}{where}")
    try:
        with _ProgressBars() as progress:
            outcome = run_load(targets, warehouse_path, quiet=True, workers=workers, progress=progress)
    except WorkersUnavailable as error:
        click.echo(f"cnbudget load: {error}", err=True)
        sys.exit(1)
    _print_load_summary(outcome, warehouse_path)
    if not outcome.transform_ok:
        click.echo(f"dbt build failed: {outcome.transform_error}", err=True)
        sys.exit(1)
    if outcome.refused or outcome.unchecked:
        sys.exit(2)


class _ProgressBars:
    """A bar per file (staged, loaded) and one overall, drawn on stderr."""

    def __enter__(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=Console(stderr=True),
            transient=False,
        )
        self._progress.__enter__()
        self._tasks = {}
        return self

    def __exit__(self, *exc):
        return self._progress.__exit__(*exc)

    def begin(self, paths):
        self._overall = self._progress.add_task("all files (staged + loaded)", total=2 * len(paths) or 1)
        for path in paths:
            self._tasks[path] = self._progress.add_task(f"  {path.name[:40]}", total=2)

    def _step(self, path, ok):
        self._progress.advance(self._tasks[path])
        self._progress.advance(self._overall)
        if not ok:
            self._progress.update(self._tasks[path], description=f"  {path.name[:40]} (refused)")

    def staged(self, path, ok):
        self._step(path, ok)

    def loaded(self, path, ok):
        self._step(path, ok)

    def transforming(self):
        self._progress.update(self._overall, description="all files loaded; building models and checks")


def _read_only_or_nothing(warehouse_path: Path):
    import contextlib

    import duckdb

    return duckdb.connect(str(warehouse_path), read_only=True) if warehouse_path.exists() else contextlib.nullcontext()


def _print_load_summary(outcome, warehouse_path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from cnbudget.ingest.warehouse import warehouse_lock

    summary = Table(title="Load summary", show_lines=False)
    for column in ("file", "status", "document", "department / year / kind", "version", "tables", "numbers"):
        summary.add_column(column)
    # Read-only, like the checks that ran in this process before: DuckDB refuses a
    # read-write connection to a file it still holds open read-only in the same process.
    # (No file at all when every file named was missing: nothing to read then.)
    with warehouse_lock(warehouse_path), _read_only_or_nothing(warehouse_path) as conn:
        for file in outcome.files:
            if not file.loaded:
                click.echo(f"\n✗ {file.path.name}: refused ({file.reason}) — {file.error}")
                summary.add_row(file.path.name, f"refused: {file.reason}", file.document_id or "", "", "", "", "")
                continue
            doc = conn.execute(
                "select department, fiscal_year, kind, page_count from raw.documents where document_id = ?",
                [file.document_id],
            ).fetchone()
            tables = conn.execute(
                """select label, title, kind, printed_unit, first_page, last_page, body_rows, is_empty,
                          (select count(*) from raw.cells c where c.table_id = t.table_id
                           and c.printed_number is not null) as numbers
                   from raw.tables t where document_id = ? order by ordinal""",
                [file.document_id],
            ).fetchall()
            click.echo(
                f"\n✓ {file.path.name}  [{file.document_id}]  {doc[0]} {doc[1]} {doc[2]}, "
                f"{doc[3]} pages, {len(tables)} tables ({file.status})"
            )
            for note in file.notes:
                click.echo(f"    ! {note}")
            for label, title, kind, unit, first, last, rows, empty, numbers in tables:
                pages = f"p{first}" if first == last else f"p{first}-{last}"
                shape = "empty" if empty else f"{rows} rows, {numbers} numbers"
                click.echo(f"    {label or '—':6} {title}  ({kind}, {unit}, {pages}: {shape})")
            summary.add_row(
                file.path.name, file.status, file.document_id, f"{doc[0]} / {doc[1]} / {doc[2]}",
                str(file.version), str(len(tables)), str(sum(t[-1] for t in tables)),
            )
    click.echo()
    Console(width=160).print(summary)
    loaded = len(outcome.files) - len(outcome.refused)
    click.echo(f"{loaded} loaded, {len(outcome.refused)} refused.")
    if outcome.unchanged_since:
        click.echo(f"No document is new: the models and checks stand as built at {outcome.unchanged_since}.")
    for unchecked in outcome.unchecked:
        click.echo(f"✗ {Path(unchecked['source_file']).name}: not checked ({unchecked['stage']}) — {unchecked['message']}")
    if outcome.check_results:
        failed = [name for name, ok in outcome.check_results.items() if not ok]
        click.echo(
            f"Checks: {len(outcome.check_results) - len(failed)} passed, {len(failed)} failed"
            + (f" ({', '.join(failed)}); see `cnbudget check`" if failed else "")
        )


@main.command()
@_warehouse_option
@click.option(
    "--not-applicable",
    "list_not_applicable",
    is_flag=True,
    help="Also list each identity that could not be evaluated, with the reason.",
)
def check(warehouse: Path | None, list_not_applicable: bool) -> None:
    """Prove the identities of expectations/identities.yml on every loaded document.

    Great Expectations judges every instance. The report gives, per document, how many
    passed, failed and were not applicable, then each failure with its table, page,
    row, column and both sides. Only reads the warehouse; `cnbudget load` persists the
    same verdicts in dq.identity_results. Exit 1 on any failure, 2 without a warehouse.

    \b
    Examples:
      cnbudget check
      cnbudget check --not-applicable --warehouse budgets.duckdb
      cnbudget report                     # the same failures, highlighted on the page
    """
    import duckdb

    from cnbudget.quality.catalogue import load_catalogue
    from cnbudget.quality.report import format_report
    from cnbudget.quality.validate import validate_warehouse

    warehouse_path = settings.export_environment(warehouse)
    if not warehouse_path.exists():
        click.echo(f"No warehouse at {warehouse_path}: run `cnbudget load` first.", err=True)
        sys.exit(2)
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        built = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = 'published_figures'"
        ).fetchone()[0]
        if not built:
            click.echo(f"{warehouse_path} has no marts.published_figures: run `cnbudget load` first.", err=True)
            sys.exit(2)
        validation = validate_warehouse(conn, load_catalogue())
    click.echo(format_report(validation, list_not_applicable))
    sys.exit(1 if len(validation.failures) else 0)


# The commands that look at a warehouse live with the report.
main.add_command(report_commands.report)
main.add_command(report_commands.sql)
main.add_command(report_commands.ui)

if __name__ == "__main__":
    main()
