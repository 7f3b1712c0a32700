"""The Dagster code location: assets, checks and resources of cnbudget."""

from dagster import Definitions
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from cnbudget import settings
from cnbudget.ingest.assets import raw_budget_document
from cnbudget.ingest.sensors import landing_folder_sensor
from cnbudget.quality.checks import identity_checks, identity_results
from cnbudget.report.asset import load_report
from cnbudget.transform.assets import budget_dbt_models
from cnbudget.transform.project import dbt_project


def build_resources() -> dict:
    warehouse = settings.export_environment()
    return {
        "warehouse": DuckDBResource(database=str(warehouse)),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=settings.dbt_executable()),
    }


defs = Definitions(
    assets=[raw_budget_document, budget_dbt_models, identity_results, load_report],
    asset_checks=[identity_checks],
    sensors=[landing_folder_sensor],
    resources=build_resources(),
)
