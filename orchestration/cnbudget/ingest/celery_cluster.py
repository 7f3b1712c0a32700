"""Extraction on Celery workers, when CNBUDGET_CELERY_BROKER names a broker: the one
description of the Celery app that both Dagster's celery executor (submitting steps)
and the workers (`celery -A cnbudget.ingest.celery_worker worker`) build, and how many
staging runs a load keeps in flight on the workers.

What the settings buy:
- a worker acknowledges a document only once it is extracted (acks late), and a
  document whose extracting process dies (SIGKILL, the OOM killer) goes back to the
  queue at once (reject on worker lost): another worker extracts it;
- a worker holds only the document it extracts (prefetch 1), so a dead worker strands
  at most that one; when a whole worker (or its machine) is gone, Redis hands its
  document to another worker after the visibility timeout
  (CNBUDGET_CELERY_VISIBILITY_TIMEOUT; RabbitMQ does at once, when the connection drops).
"""

from __future__ import annotations

# dagster_celery is imported where it is used: this module's error is also what
# `cnbudget load` reports, without the import of Celery when there are no workers.
from cnbudget import settings

WORKER_APP = "cnbudget.ingest.celery_worker"
# A staging run on Celery lasts its extraction plus about 2 s of the engine's (the
# executor looks for results once a second; make bench measures it), about as long as
# a typical extraction: three runs in flight per worker process keep it extracting.
# Each is a coordinating process of about 215 MiB on the loading machine.
RUNS_PER_WORKER_PROCESS = 3
INSPECT_TIMEOUT_SECONDS = 1.0


class WorkersUnavailable(Exception):
    """No broker at CNBUDGET_CELERY_BROKER, or no worker listening to it."""


def result_backend(broker: str) -> str:
    """Results go back through Redis itself, or through RabbitMQ replies (rpc://)."""
    return broker if broker.startswith(("redis://", "rediss://", "redis+socket://")) else "rpc://"


def celery_settings() -> dict:
    """Celery settings beyond the broker, the same in the executor and in every worker."""
    from dagster_celery.defaults import broker_transport_options as DAGSTER_TRANSPORT_OPTIONS

    return {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            **DAGSTER_TRANSPORT_OPTIONS,
            "visibility_timeout": settings.celery_visibility_timeout(),
            # look for stranded documents every few seconds, not every hundred
            "unacked_restore_interval": 5,
            "unacked_restore_throttle": 1,
        },
    }


def configured_broker() -> str:
    broker = settings.celery_broker()
    if not broker:
        raise WorkersUnavailable(f"{settings.CELERY_BROKER_ENV} is not set: it names the broker of the extraction workers")
    return broker


def executor_config(broker: str | None = None) -> dict:
    """The config of Dagster's celery executor for `broker` (default: the configured
    one, read from the environment when a run starts, and again on the worker, which
    validates the run's config)."""
    broker = broker or configured_broker()
    return {"broker": broker, "backend": result_backend(broker), "config_source": celery_settings()}


def app_args(broker: str | None = None) -> dict:
    """What dagster_celery.make_app builds an app from: the same as the executor's."""
    from dagster_celery.config import DEFAULT_CONFIG, dict_wrapper

    config = executor_config(broker)
    return {
        "broker": config["broker"],
        "backend": config["backend"],
        "include": [],
        "config_source": dict_wrapper({**DEFAULT_CONFIG, **config["config_source"]}),
    }


def control(broker: str):
    """Celery's remote control of the workers listening to `broker` (ping, inspect)."""
    from dagster_celery.make_app import make_app

    return make_app(app_args(broker)).control


def runs_in_flight(broker: str) -> int:
    """How many staging runs to keep going at once on the workers listening to `broker`."""
    workers = control(broker)
    try:
        with workers.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
        stats = workers.inspect(timeout=INSPECT_TIMEOUT_SECONDS).stats() or {}
    except Exception as error:  # kombu's OperationalError, socket errors
        raise WorkersUnavailable(
            f"the Celery broker at {broker} ({settings.CELERY_BROKER_ENV}) does not answer "
            f"({str(error).rstrip('.')}): start it (redis-server), or unset {settings.CELERY_BROKER_ENV} "
            "to extract on this machine"
        ) from error
    processes = sum(worker["pool"]["max-concurrency"] for worker in stats.values())
    if not processes:
        raise WorkersUnavailable(
            f"no Celery worker listens to {broker}: start one with `celery -A {WORKER_APP} worker --concurrency 1`"
        )
    return RUNS_PER_WORKER_PROCESS * processes
