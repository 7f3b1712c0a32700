"""Dagster runs started from Python: the local instance they are recorded in, quiet
console logging, and the message of a failed run."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance
from filelock import FileLock

from cnbudget import settings

DAGSTER_YAML = """\
# Dagster's local instance for cnbudget (runs, event logs, partitions) in this folder.
telemetry:
  enabled: false
"""
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def dagster_home() -> Path:
    """DAGSTER_HOME (default: .dagster beside the project), exported so worker processes
    and `dagster dev` use the same instance; created with telemetry off on first use."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(settings.REPO_ROOT / ".dagster")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home


def local_instance() -> DagsterInstance:
    """Dagster's local instance in DAGSTER_HOME, the one the UI shows. Opened under a
    lock: the first opening creates its SQLite storage, and two processes doing that at
    once (concurrent loads, extraction workers) would corrupt its schema version."""
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
