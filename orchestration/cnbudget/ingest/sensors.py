"""Watching the landing folder: a new or changed PDF becomes a partition and a run."""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, sensor

from cnbudget import settings
from cnbudget.ingest.assets import budget_documents, raw_budget_document
from cnbudget.ingest.landing import document_id_of, pdf_files


@sensor(
    asset_selection=[raw_budget_document],
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Adds a budget_documents partition for each PDF in the landing folder whose content is new.",
)
def landing_folder_sensor(context: SensorEvaluationContext) -> SensorResult:
    known = set(context.instance.get_dynamic_partitions(budget_documents.name))
    new_ids = []
    for path in pdf_files([settings.landing_dir()]):
        document_id = document_id_of(path)
        if document_id not in known and document_id not in new_ids:
            new_ids.append(document_id)
    return SensorResult(
        run_requests=[RunRequest(partition_key=document_id) for document_id in new_ids],
        dynamic_partitions_requests=[budget_documents.build_add_request(new_ids)] if new_ids else [],
    )
