"""The Dagster code location: assets, checks and resources of cnbudget."""

from dagster import Definitions

from cnbudget.ingest.assets import raw_budget_document, staged_budget_document
from cnbudget.ingest.sensors import ingest_documents_job, landing_folder_sensor, yearly_reload_schedule
from cnbudget.quality.assets import dq_verdicts, identity_checks, narrative_checks
from cnbudget.report.asset import load_report
from cnbudget.resources import build_resources
from cnbudget.transform.assets import budget_dbt_models

defs = Definitions(
    assets=[staged_budget_document, raw_budget_document, budget_dbt_models, dq_verdicts, load_report],
    asset_checks=[identity_checks, narrative_checks],
    jobs=[ingest_documents_job],
    sensors=[landing_folder_sensor],
    schedules=[yearly_reload_schedule],
    resources=build_resources(),
)
