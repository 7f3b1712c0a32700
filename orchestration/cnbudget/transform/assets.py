"""dbt models as Dagster assets, keyed [schema, model]; every raw source table is
written by the one asset raw/budget_document, so they all map to its key."""


import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from cnbudget import settings
from cnbudget.ingest.assets import RAW_DOCUMENT
from cnbudget.ingest.warehouse import warehouse_lock
from cnbudget.transform.project import dbt_project, ensure_manifest

ensure_manifest()


class BudgetDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            return AssetKey([dbt_resource_props["config"]["schema"], dbt_resource_props["name"]])
        if dbt_resource_props["resource_type"] == "source" and dbt_resource_props["source_name"] == "raw":
            return RAW_DOCUMENT
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["config"].get("schema") or "transform"


def model_key(schema: str, name: str) -> AssetKey:
    return AssetKey([schema, name])


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=BudgetDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True)
    ),
)
def budget_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    warehouse = settings.export_environment()
    # dbt writes the warehouse: one writer at a time, across processes.
    with warehouse_lock(warehouse):
        for event in dbt.cli(["build"], context=context, target_path=_run_target(context.run_id)).stream():
            yield event
            settings.inject_fault("dbt", warehouse)  # the drill of a load killed while dbt builds


def _run_target(run_id: str) -> Path:
    """A target folder of this run's own (runs on other warehouses may build at once),
    seeded with the project's partial parse so dbt does not parse the project again."""
    target = dbt_project.project_dir / "target" / f"build-{run_id[:8]}-{uuid.uuid4().hex[:8]}"
    target.mkdir(parents=True)
    parsed = dbt_project.project_dir / "target" / "partial_parse.msgpack"
    if parsed.exists():
        shutil.copy(parsed, target / parsed.name)
    return target
