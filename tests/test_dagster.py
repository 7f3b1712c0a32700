"""The Dagster code location: it loads as `dagster dev` loads it, and materializing the
assets with Dagster's own CLI gives the same warehouse as `cnbudget load`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
from dagster import DagsterInstance, build_sensor_context

from cnbudget.ingest.assets import budget_documents
from cnbudget.ingest.sensors import landing_folder_sensor
from tests.conftest import REPO
from tests.test_seed_load import seed_document_id

DAGSTER = Path(sys.executable).with_name("dagster")

# What must be identical between two warehouses built from the same PDFs (load
# timestamps and the path the file was read from aside).
_FINGERPRINTS = {
    "raw.tables": "select * from raw.tables",
    "raw.columns": "select * from raw.columns",
    "raw.rows": "select * from raw.rows",
    "raw.cells": "select * from raw.cells",
    "raw.coverage_gaps": "select * from raw.coverage_gaps",
    "raw.documents": "select * exclude (loaded_at, source_file) from raw.documents",
    "marts.dim_document": "select * exclude (loaded_at, source_file) from marts.dim_document",
    "marts.published_figures": "select * exclude (document_loaded_at) from marts.published_figures",
}


def fingerprint(warehouse: Path, with_load_times: bool = False, schemas: tuple[str, ...] = ("raw", "marts")
                ) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every row, per table (of `schemas`)."""
    queries = {name: query for name, query in _FINGERPRINTS.items() if name.split(".")[0] in schemas}
    if with_load_times:
        queries["raw.documents"] = "select * exclude (source_file) from raw.documents"
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return {
            name: conn.execute(
                "select count(*), md5(coalesce(string_agg(cast(t as varchar), '|' order by cast(t as varchar)), '')) "
                f"from ({query}) t"
            ).fetchone()
            for name, query in queries.items()
        }


def test_definitions_load_like_dagster_dev():
    """As `dagster dev` loads them (which has dagster-dbt parse the project with the dbt
    on PATH), from a venv that is not activated: its bin folder is not on PATH."""
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != DAGSTER.parent)
    result = subprocess.run(
        [str(DAGSTER), "definitions", "validate", "-m", "cnbudget.definitions"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PATH": path, "DAGSTER_IS_DEV_CLI": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sensor_adds_a_partition_per_new_pdf():
    with DagsterInstance.ephemeral() as instance:
        result = landing_folder_sensor(build_sensor_context(instance=instance))
        assert [r.partition_key for r in result.run_requests] == [seed_document_id()]
        instance.add_dynamic_partitions(budget_documents.name, [seed_document_id()])
        again = landing_folder_sensor(build_sensor_context(instance=instance))
        assert again.run_requests == []  # nothing new: nothing to do


def test_dagster_materialize_builds_the_same_warehouse_as_cnbudget_load(seed_warehouse, tmp_path):
    warehouse = tmp_path / "dagster_cli.duckdb"
    env = {**os.environ, "CNBUDGET_WAREHOUSE": str(warehouse)}
    instance = DagsterInstance.get()
    instance.add_dynamic_partitions(budget_documents.name, [seed_document_id()])

    def materialize(*args: str) -> None:
        result = subprocess.run(
            [str(DAGSTER), "asset", "materialize", "-m", "cnbudget.definitions", *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    # The partition's PDF is found in the landing folder (raw/) by its content hash.
    materialize("--select", "staged/budget_document,raw/budget_document", "--partition", seed_document_id())
    materialize("--select", "group:reference or group:staging or group:intermediate or group:marts or group:dq")

    assert fingerprint(warehouse) == fingerprint(seed_warehouse)


def test_fingerprint_tells_warehouses_apart(seed_warehouse, tmp_path):
    changed = tmp_path / "changed.duckdb"
    changed.write_bytes(seed_warehouse.read_bytes())
    with duckdb.connect(str(changed)) as conn:
        conn.execute("update raw.cells set text = '466.76' where text = '466.67'")
    assert fingerprint(changed)["raw.cells"] != fingerprint(seed_warehouse)["raw.cells"]


def test_yearly_schedule_reloads_the_year_folder():
    from dagster import build_schedule_context

    from cnbudget.ingest.sensors import yearly_reload_schedule

    # The session's own local instance (DAGSTER_HOME is a temporary folder): a test
    # instance would stay cached in Dagster's definitions-load context after the test.
    # The schedule context opens an instance of its own (from the ref) and makes its state
    # storage the current one until the context is closed: left open, later loads in this
    # process fail once that instance is garbage-collected ("undefined DagsterInstance weakref").
    instance = DagsterInstance.get()
    with build_schedule_context(instance=instance, scheduled_execution_time=datetime(2025, 3, 1, 3)) as context:
        requests = yearly_reload_schedule(context)
    assert [r.partition_key for r in requests] == [seed_document_id()]
    assert seed_document_id() in instance.get_dynamic_partitions(budget_documents.name)
    with build_schedule_context(instance=instance, scheduled_execution_time=datetime(2024, 3, 1, 3)) as other_year:
        assert yearly_reload_schedule(other_year) == []  # raw/2024/ holds nothing


def test_the_run_history_commits_without_waiting_for_the_disk(tmp_path):
    """Dagster's SQLite storage, opened through local_instance(), commits at
    synchronous=NORMAL (1) in WAL mode: a third of a one-document load was spent in
    fsyncs at SQLite's default FULL (2), which a connection made without it still has."""
    import sqlite3

    from sqlalchemy import create_engine, text

    from cnbudget.runs import local_instance

    local_instance()
    engine = create_engine(f"sqlite:///{tmp_path / 'events.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1
    with sqlite3.connect(tmp_path / "plain.db") as plain:
        assert plain.execute("PRAGMA synchronous").fetchone()[0] == 2
    instance = local_instance()
    journal = instance.event_log_storage.index_connection
    with journal() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_the_dbt_resource_starts_no_dbt_process_to_learn_its_version(monkeypatch):
    """dagster-dbt's stock resource runs `dbt --version` before every build; cnbudget's
    takes the version of the dbt-core its executable belongs to, and opens no adapter."""
    import dagster_dbt.core.resource as stock_module
    from dagster_dbt import DbtCliResource
    from packaging.version import Version

    from cnbudget import settings
    from cnbudget.transform.dbt_resource import DbtBuildResource
    from cnbudget.transform.project import dbt_project

    # The premise: the executable a load runs is of the dbt-core installed here.
    printed = subprocess.run([settings.dbt_executable(), "--version"], capture_output=True, text=True).stdout
    installed = Version(__import__("importlib.metadata").metadata.version("dbt-core"))
    assert f"installed: {installed}" in printed

    started = []
    monkeypatch.setattr(stock_module, "check_output", lambda args, **_: started.append(args) or printed.encode())
    stock = DbtCliResource(project_dir=dbt_project, dbt_executable=settings.dbt_executable())
    assert stock._cli_version == installed and len(started) == 1  # the failing case: it starts dbt
    ours = DbtBuildResource(project_dir=dbt_project, dbt_executable=settings.dbt_executable())
    assert ours._cli_version == installed and len(started) == 1
    assert ours._initialize_dbt_core_adapter(["build"]) is None


def _engine_event(run_id: str):
    """An event of run `run_id`, as Dagster stores it."""
    import time

    from dagster._core.events import DagsterEvent, DagsterEventType, EngineEventData
    from dagster._core.events.log import EventLogEntry

    engine_event = DagsterEvent(event_type_value=DagsterEventType.ENGINE_EVENT.value, job_name="j",
                                message="m", event_specific_data=EngineEventData())
    return EventLogEntry(error_info=None, level=20, user_message="m", run_id=run_id, timestamp=time.time(),
                         step_key=None, job_name="j", dagster_event=engine_event)


def test_the_event_log_keeps_its_connections_open(tmp_path):
    """The instance's event log is Dagster's SQLite one with its connections kept: 40
    events open one connection (Dagster's own opens one per event, the failing case), and
    Dagster's own storage reads them from the same files."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from cnbudget.runs import PooledSqliteEventLogStorage, local_instance

    storage = local_instance().event_log_storage
    assert isinstance(storage, PooledSqliteEventLogStorage)
    assert Path(storage._base_dir) == Path(os.environ["DAGSTER_HOME"]) / "history" / "runs"

    opened = []
    listener = lambda *_: opened.append(1)  # noqa: E731
    event.listen(Engine, "connect", listener)
    try:
        counts = {}
        for name, kind in (("pooled", PooledSqliteEventLogStorage), ("dagster", SqliteEventLogStorage)):
            store = kind(str(tmp_path / name))
            store.store_event(_engine_event("run"))  # creates the database
            opened.clear()
            for _ in range(40):
                store.store_event(_engine_event("run"))
            counts[name] = len(opened)
            store.dispose()
    finally:
        event.remove(Engine, "connect", listener)
    assert counts["pooled"] <= 1 and counts["dagster"] >= 40
    assert len(SqliteEventLogStorage(str(tmp_path / "pooled")).get_logs_for_run("run")) == 41


def test_a_new_run_database_is_a_copy_of_an_empty_one(tmp_path, monkeypatch):
    """Five new runs read alembic's migration scripts once in all (for the empty database
    they are copied from), not twice each as Dagster's own storage does (the failing
    case), and their databases are as Dagster makes them: same schema, WAL mode, same
    stamped revision, readable by Dagster's own storage."""
    import sqlite3

    import alembic.script
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    from cnbudget.runs import PooledSqliteEventLogStorage

    read = []
    scripts = alembic.script.ScriptDirectory.from_config
    monkeypatch.setattr(alembic.script.ScriptDirectory, "from_config",
                        lambda config: read.append(1) or scripts(config))
    parsed = {}
    for name, kind in (("pooled", PooledSqliteEventLogStorage), ("dagster", SqliteEventLogStorage)):
        store = kind(str(tmp_path / name))
        read.clear()
        for run in range(5):
            store.store_event(_engine_event(f"run{run}"))
        parsed[name] = len(read)
        store.dispose()
    assert parsed["pooled"] <= 2 and parsed["dagster"] >= 10

    def shape(database: Path) -> tuple:
        with sqlite3.connect(database) as conn:
            return (sorted(conn.execute("select type, name, sql from sqlite_master").fetchall()),
                    conn.execute("pragma journal_mode").fetchone(),
                    conn.execute("select version_num from alembic_version").fetchall())

    assert shape(tmp_path / "pooled" / "run4.db") == shape(tmp_path / "dagster" / "run4.db")
    sqlite3.connect(tmp_path / "bare.db").execute("create table alembic_version (version_num varchar)").connection.close()
    assert shape(tmp_path / "bare.db") != shape(tmp_path / "dagster" / "run4.db")
    assert len(SqliteEventLogStorage(str(tmp_path / "pooled")).get_logs_for_run("run4")) == 1
    assert not list((tmp_path / "pooled").glob("*.tmp"))
