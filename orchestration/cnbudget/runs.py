"""Dagster runs started from Python: the local instance they are recorded in, quiet
console logging, and the message of a failed run."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
from collections import OrderedDict
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from dagster import DagsterInstance, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from filelock import FileLock
from sqlalchemy import create_engine

from cnbudget import settings

DAGSTER_YAML = """\
# Dagster's local instance for cnbudget (runs, event logs, partitions) in this folder.
telemetry:
  enabled: false
# Dagster's SQLite event log, its connections kept open (cnbudget.runs.PooledSqliteEventLogStorage).
event_log_storage:
  module: cnbudget.runs
  class: PooledSqliteEventLogStorage
  config:
    dagster_home:
      env: DAGSTER_HOME
"""
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log (the same files, in DAGSTER_HOME/history/runs), keeping
    a connection open per database instead of opening and closing one per event.

    Closing the last connection to a database in WAL mode checkpoints it and deletes its
    WAL, which waits for the disk; Dagster opens and closes one for every event (a fresh
    engine each time), and a one-document load writes some 800 events. Measured here:
    4.1 ms per event that way, 0.5 ms with the connection kept. The few databases last
    used keep theirs (a run writes to its own and to the index); connections are never
    shared across processes (the key holds the process id), and closed before Dagster
    deletes the files (wipe).

    A new run's database is a copy of an empty one made once per process (`_empty_run_db`):
    Dagster builds each from scratch, reading its alembic migration scripts twice to
    stamp the schema version, 0.1 s a run here, and a load makes two runs per document."""

    KEPT = 8

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[tuple[int, str], object] = OrderedDict()
        self._engines_lock = threading.Lock()
        self._empty: bytes | None = None
        super().__init__(base_dir, inst_data)  # which connects already

    @classmethod
    def config_type(cls):
        return {"dagster_home": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(os.path.join(config_value["dagster_home"], "history", "runs", ""), inst_data)

    def _engine(self, shard: str):
        key = (os.getpid(), shard)
        with self._engines_lock:
            engine = self._engines.pop(key, None)
            if engine is None:
                engine = create_engine(self.conn_string_for_shard(shard), pool_size=1, max_overflow=4,
                                       connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
            self._engines[key] = engine
            while len(self._engines) > self.KEPT:
                _, evicted = self._engines.popitem(last=False)
                evicted.dispose()
            return engine

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    @contextmanager
    def _connect(self, shard: str):
        with self._db_lock:
            if shard not in self._initialized_dbs:
                if not self._created_empty(shard):
                    self._initdb(self._engine(shard))
                self._initialized_dbs.add(shard)
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _created_empty(self, shard: str) -> bool:
        """Create a run's database as a copy of the empty one, if it does not exist yet.
        False: it exists (another process may have made it), or it is the index."""
        path = self.path_for_shard(shard)
        if shard == INDEX_SHARD_NAME or os.path.exists(path):
            return False
        staged = f"{path}.{os.getpid()}.tmp"
        with open(staged, "wb") as file:
            file.write(self._empty_run_db())
        try:
            os.link(staged, path)  # atomic, and never over a database another process created
        except FileExistsError:
            return False
        finally:
            os.unlink(staged)
        return True

    def _empty_run_db(self) -> bytes:
        """A run database as Dagster initializes it (tables, WAL mode, alembic stamp), empty."""
        if self._empty is None:
            folder = tempfile.mkdtemp(prefix="cnbudget-run-db-")
            try:
                engine = create_engine(f"sqlite:///{os.path.join(folder, 'empty.db')}")
                self._initdb(engine)
                engine.dispose()  # checkpoints the WAL into the file
                with open(os.path.join(folder, "empty.db"), "rb") as file:
                    self._empty = file.read()
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        return self._empty

    def wipe(self) -> None:
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()


def dagster_home() -> Path:
    """DAGSTER_HOME (default: .dagster beside the project), exported so worker processes
    and `dagster dev` use the same instance; created with telemetry off on first use."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(settings.REPO_ROOT / ".dagster")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home


@cache
def _sqlite_commits_without_waiting_for_the_disk() -> None:
    """Dagster's SQLite storage writes each event in a transaction and connection of its
    own: at SQLite's default synchronous=FULL every commit waits for the disk (8 ms
    here), and one load writes some 500 events (dbt's models and tests, the checks), so
    a third of a one-document load was spent waiting. Its databases are in WAL mode,
    where synchronous=NORMAL stays consistent if a process dies; a power cut may lose the
    last events of the run history, never the warehouse, which is the record."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _normal_sync(dbapi_connection, _record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def local_instance() -> DagsterInstance:
    """Dagster's local instance in DAGSTER_HOME, the one the UI shows. Opened under a
    lock: the first opening creates its SQLite storage, and two processes doing that at
    once (concurrent loads, extraction workers) would corrupt its schema version."""
    _sqlite_commits_without_waiting_for_the_disk()
    home = dagster_home()
    with FileLock(home / ".instance.lock"):
        return DagsterInstance.get()


def run_failure(result) -> tuple[str, str]:
    """The message and kind (raw.load_errors.error_kind) of a failed run's first failure."""
    for event in result.get_step_failure_events():
        data = event.step_failure_data
        if data.user_failure_data and data.user_failure_data.description:
            reason = data.user_failure_data.metadata.get("reason")
            return data.user_failure_data.description, reason.value if reason else "failed"
        if data.error:
            return data.error.message.strip().splitlines()[-1], "error"
    return "the run failed", "error"
