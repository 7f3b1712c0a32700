"""dbt models as Dagster assets, keyed [schema, model]; every raw source table is
written by the one asset raw/budget_document, so they all map to its key."""


import contextlib
import hashlib
import os
import shutil
import uuid

import duckdb
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from cnbudget import settings
from cnbudget.ingest.assets import RAW_DOCUMENT
from cnbudget.ingest.warehouse import wait_until_free, warehouse_lock
from cnbudget.transform.project import dbt_project, ensure_manifest, project_sha256

ensure_manifest()

PARTIAL_PARSE = "partial_parse.msgpack"


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
        # The per-document marts build only the documents they do not hold yet, unless the
        # models changed since they were built: then all of them, with the new models.
        project = project_sha256()
        args = ["build"] if built_project(warehouse) == project else ["build", "--full-refresh"]
        context.log.info(f"dbt {' '.join(args)} (the dbt project {'is as' if len(args) == 1 else 'changed since'} "
                         "the marts were built)")
        with run_target(context.run_id, warehouse) as target:
            for event in dbt.cli(args, context=context, target_path=target).stream():
                yield event
                settings.inject_fault("dbt", warehouse)  # the drill of a load killed while dbt builds
        record_built_project(warehouse, project)


BUILDS_DDL = """
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.dbt_builds (project_sha256 VARCHAR NOT NULL, built_at TIMESTAMP NOT NULL);
"""


def built_project(warehouse: Path) -> str | None:
    """The dbt project the marts were last built from (None: never, or not known)."""
    if not warehouse.exists():
        return None
    wait_until_free(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        found = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'meta' and table_name = 'dbt_builds'"
        ).fetchone()[0]
        return conn.execute("select project_sha256 from meta.dbt_builds").fetchone()[0] if found else None


def record_built_project(warehouse: Path, project: str) -> None:
    wait_until_free(warehouse)  # dbt's process may still be closing the file
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(BUILDS_DDL)
        conn.execute("BEGIN TRANSACTION")
        conn.execute("DELETE FROM meta.dbt_builds")
        conn.execute("INSERT INTO meta.dbt_builds VALUES (?, now()::timestamp)", [project])
        conn.execute("COMMIT")


@contextlib.contextmanager
def run_target(run_id: str, warehouse: Path) -> Iterator[Path]:
    """A target folder of this run's own (runs on other warehouses may build at once),
    seeded with the partial parse of the last build on this warehouse, else the project's,
    so that dbt does not parse the project again (dbt re-parses when the profile, that is
    the warehouse path, differs). A build that succeeded leaves its partial parse for
    the next and removes its folder; a failed build's folder stays for a look."""
    root = dbt_project.project_dir / "target"
    target = root / f"build-{run_id[:8]}-{uuid.uuid4().hex[:8]}"
    target.mkdir(parents=True)
    kept = root / "partial_parse" / f"{hashlib.sha256(str(warehouse.resolve()).encode()).hexdigest()[:16]}.msgpack"
    seed = kept if kept.exists() else root / PARTIAL_PARSE
    if seed.exists():
        shutil.copy(seed, target / PARTIAL_PARSE)
    yield target
    if (target / PARTIAL_PARSE).exists():
        kept.parent.mkdir(exist_ok=True)
        staged = kept.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
        shutil.copy(target / PARTIAL_PARSE, staged)
        os.replace(staged, kept)
    shutil.rmtree(target, ignore_errors=True)
