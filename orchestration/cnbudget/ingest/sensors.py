"""Automation of the ingest: a partitioned job, a sensor on the landing folder and a
yearly schedule that reloads a fiscal year."""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    define_asset_job,
    schedule,
    sensor,
)

from cnbudget import settings
from cnbudget.ingest.assets import budget_documents, raw_budget_document, staged_budget_document
from cnbudget.ingest.landing import document_id_of, pdf_files

# One run per document: extraction then loading. Backfill it from the UI, or with
# `dagster job backfill -m cnbudget.definitions -j ingest_documents --partitions ID,ID` (or `cnbudget load`).
ingest_documents_job = define_asset_job(
    "ingest_documents",
    selection=AssetSelection.assets(staged_budget_document, raw_budget_document),
    partitions_def=budget_documents,
    description="Extract one budget PDF (a partition: its content hash) and load it into the raw layer.",
)


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
