"""The ingest job, `ingest_documents`: one document (a partition) extracted, then loaded,
with the same asset definitions whichever executor runs it:

- `in_process_executor`: both steps in the process that runs the job (a staging
  process of `cnbudget load`, or the run worker the Dagster UI launches);
- Dagster's `celery_executor`, when CNBUDGET_CELERY_BROKER names a broker: each step is
  a task on that broker, run by long-lived Celery workers (see celery_cluster.py and
  docs/scaling.md). The loading step goes to the queue "duckdb_writer", so of all the
  workers only the one listening to it, beside the warehouse, writes it.

`cnbudget load` runs only the job's extraction step on the workers and loads each
document in its own process, in file order; a run the Dagster UI launches runs both.
"""

from __future__ import annotations

from dagster import AssetSelection, Definitions, ExecutorDefinition, JobDefinition, define_asset_job, in_process_executor
from dagster_celery import celery_executor

from cnbudget import settings
from cnbudget.ingest.assets import budget_documents, raw_budget_document, staged_budget_document
from cnbudget.ingest.celery_cluster import executor_config
from cnbudget.resources import warehouse_resource

INGEST_JOB = "ingest_documents"

# The broker is read from the environment when a run starts (and when a worker
# validates the run's config), not when the definitions are imported.
celery_workers_executor = celery_executor.configured(lambda _: executor_config(), name="celery_workers")


def ingest_job(executor_def: ExecutorDefinition):
    # One run per document: extraction then loading. Backfill it from the UI, or with
    # `dagster job backfill -m cnbudget.definitions -j ingest_documents --partitions ID,ID` (or `cnbudget load`).
    return define_asset_job(
        INGEST_JOB,
        selection=AssetSelection.assets(staged_budget_document, raw_budget_document),
        partitions_def=budget_documents,
        executor_def=executor_def,
        description="Extract one budget PDF (a partition: its content hash) and load it into the raw layer.",
    )


def ingest_executor() -> ExecutorDefinition:
    """The Celery workers when CNBUDGET_CELERY_BROKER is set, else the run's own process."""
    return celery_workers_executor if settings.celery_broker() else in_process_executor


_resolved: dict[str, JobDefinition] = {}


def _resolved_job(executor_def: ExecutorDefinition) -> JobDefinition:
    """The job with only the resources staging and loading need (not dbt's, whose
    import would slow every worker's start), resolved once per process."""
    if executor_def.name not in _resolved:
        definitions = Definitions(
            assets=[staged_budget_document, raw_budget_document],
            jobs=[ingest_job(executor_def)],
            resources={"warehouse": warehouse_resource()},
        )
        _resolved[executor_def.name] = definitions.resolve_job_def(INGEST_JOB)
    return _resolved[executor_def.name]


# The two below are what Dagster reconstructs by name in another process (`reconstructable`):
# a local staging process, or a Celery worker running one step of a run.


def ingest_documents_in_process() -> JobDefinition:
    return _resolved_job(in_process_executor)


def ingest_documents_on_celery() -> JobDefinition:
    return _resolved_job(celery_workers_executor)
