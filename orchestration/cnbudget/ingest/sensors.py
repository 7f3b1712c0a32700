"""Automation of the ingest: a partitioned job, a sensor on the landing folder and a
yearly schedule that reloads a fiscal year."""

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    schedule,
    sensor,
)

from cnbudget import settings
from cnbudget.ingest.assets import budget_documents
from cnbudget.ingest.job import ingest_executor, ingest_job
from cnbudget.ingest.landing import document_id_of, pdf_files

# The job the UI, the sensor and the schedule run: on the Dask cluster when the code
# location's environment names one (CNBUDGET_DASK_SCHEDULER), else in each run's process.
ingest_documents_job = ingest_job(ingest_executor())


def _landed_ids(folder) -> list[str]:
    ids: list[str] = []
    for path in pdf_files([folder]) if folder.exists() else []:
        document_id = document_id_of(path)
        if document_id not in ids:
            ids.append(document_id)
    return ids


@sensor(
    job=ingest_documents_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Adds a budget_documents partition, and a run, for each PDF in the landing folder whose content is new.",
)
def landing_folder_sensor(context: SensorEvaluationContext) -> SensorResult:
    known = set(context.instance.get_dynamic_partitions(budget_documents.name))
    new_ids = [i for i in _landed_ids(settings.landing_dir()) if i not in known]
    return SensorResult(
        run_requests=[RunRequest(partition_key=document_id) for document_id in new_ids],
        dynamic_partitions_requests=[budget_documents.build_add_request(new_ids)] if new_ids else [],
    )


@schedule(
    job=ingest_documents_job,
    cron_schedule="0 3 1 3 *",  # 1 March: the year's budgets are published by then
    default_status=DefaultScheduleStatus.STOPPED,
    description="Reloads the fiscal year's folder of the landing folder (raw/<year>/): every document is "
    "re-extracted by the current extractor; unchanged documents stay as they are.",
)
def yearly_reload_schedule(context: ScheduleEvaluationContext):
    year = context.scheduled_execution_time.year
    ids = _landed_ids(settings.landing_dir() / str(year))
    context.instance.add_dynamic_partitions(budget_documents.name, ids)
    return [RunRequest(partition_key=document_id, tags={"cnbudget/fiscal_year": str(year)}) for document_id in ids]
