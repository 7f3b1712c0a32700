"""The Dagster resources of cnbudget, each with its no-configuration default."""

from __future__ import annotations

from dagster_duckdb import DuckDBResource

from cnbudget import settings


def warehouse_resource() -> DuckDBResource:
    """The DuckDB warehouse (CNBUDGET_WAREHOUSE, default ./warehouse.duckdb)."""
    return DuckDBResource(database=str(settings.export_environment()))


def build_resources() -> dict:
    """Every resource the definitions use. dbt's is imported here, not at module level:
    extraction workers need only the warehouse and start faster without it."""
    from dagster_dbt import DbtCliResource

    from cnbudget.transform.project import dbt_project

    return {
        "warehouse": warehouse_resource(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=settings.dbt_executable()),
    }
