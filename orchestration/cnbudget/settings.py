"""Where things live. Every path has a working default and one env var to override it.

The warehouse path is shared by Dagster and dbt: dbt's profiles.yml reads
CNBUDGET_WAREHOUSE, so `export_environment()` pins it to an absolute path before
any dbt invocation.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"

WAREHOUSE_ENV = "CNBUDGET_WAREHOUSE"
LANDING_ENV = "CNBUDGET_LANDING_DIR"
CACHE_ENV = "CNBUDGET_CACHE_DIR"
CAMELOT_ENGINE_ENV = "CNBUDGET_CAMELOT_ENGINE"
MAX_PAGES_ENV = "CNBUDGET_MAX_PAGES"
HANDOFF_ENV = "CNBUDGET_HANDOFF_URL"
WORKERS_ENV = "CNBUDGET_WORKERS"
CELERY_BROKER_ENV = "CNBUDGET_CELERY_BROKER"
CELERY_VISIBILITY_TIMEOUT_ENV = "CNBUDGET_CELERY_VISIBILITY_TIMEOUT"
FAULT_ENV = "CNBUDGET_FAULT"  # [sigkill@]stage:file name[,…], e.g. loading:a.pdf (fault drills and tests)


def warehouse_path() -> Path:
    return Path(os.environ.get(WAREHOUSE_ENV, "warehouse.duckdb")).resolve()


def landing_dir() -> Path:
    """The folder of PDFs waiting to be loaded (one sub-folder per fiscal year is fine)."""
    return Path(os.environ.get(LANDING_ENV, REPO_ROOT / "raw")).resolve()


def cache_dir() -> Path:
    """Extraction results, keyed by the PDF's content hash and the extractor version."""
    return Path(os.environ.get(CACHE_ENV, REPO_ROOT / ".cache" / "extractions")).resolve()


def camelot_engine() -> str:
    """camelot lattice's line detection: vector (default), combined or raster."""
    return os.environ.get(CAMELOT_ENGINE_ENV, "vector")


def handoff_url() -> str:
    """Where extraction leaves its Parquet for the loader: a folder or an fsspec URL."""
    return os.environ.get(HANDOFF_ENV, str(REPO_ROOT / ".cache" / "handoff"))


def workers() -> int:
    """Extraction processes a load may run at once."""
    return max(1, int(os.environ.get(WORKERS_ENV, str(os.cpu_count() or 1))))


def celery_broker() -> str | None:
    """The Celery broker whose workers extract (redis://host:6379/0); unset: this machine does."""
    return os.environ.get(CELERY_BROKER_ENV) or None


def celery_visibility_timeout() -> int:
    """Seconds after which Redis hands a document a worker took but never finished (the
    worker's machine is gone) to another worker. Longer than any one extraction: a
    document still extracting after it is extracted twice."""
    return int(os.environ.get(CELERY_VISIBILITY_TIMEOUT_ENV, "600"))


def max_pages() -> int:
    """Longer PDFs are refused (a budget runs to tens of pages; a 1,000-page file is a mistake)."""
    return int(os.environ.get(MAX_PAGES_ENV, "500"))


def export_environment(warehouse: Path | None = None) -> Path:
    """Pin the warehouse path (absolute) in the environment dbt and Dagster subprocesses see."""
    path = (warehouse or warehouse_path()).resolve()
    os.environ[WAREHOUSE_ENV] = str(path)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    return path


def put_environment_on_path() -> None:
    """dagster-dbt runs its own dbt calls (`dagster dev` parsing the project) with the
    `dbt` found on PATH: put this interpreter's environment first, so an unactivated
    venv works."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])


def dbt_executable() -> str:
    """dbt from this interpreter's environment, so a venv works without being activated."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class InjectedFault(RuntimeError):
    """Raised where CNBUDGET_FAULT asks: proves a failure there costs only that file."""


def inject_fault(stage: str, path: Path | str) -> None:
    """Fail here if CNBUDGET_FAULT names this stage and file: `stage:a.pdf` raises,
    `sigkill@stage:a.pdf` kills this process outright (the drill of a load killed there).
    Stages: extraction, loading, transaction (inside the raw layer's transaction),
    dbt (once dbt has built a model; the warehouse's file name), identities, narrative."""
    faults = os.environ.get(FAULT_ENV, "").split(",")
    if f"sigkill@{stage}:{Path(path).name}" in faults:
        # A load killed outright takes its children (a dbt build) with it: the whole
        # process group when this process leads one, as a load started on its own does.
        if os.getpgid(0) == os.getpid():
            os.killpg(os.getpid(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
    if f"{stage}:{Path(path).name}" in faults:
        raise InjectedFault(f"fault injected by {FAULT_ENV} during {stage}")
