"""The Dagster resources of cnbudget, each with its no-configuration default."""

from __future__ import annotations

from contextlib import contextmanager

from dagster_duckdb import DuckDBResource

from cnbudget import settings


class WarehouseResource(DuckDBResource):
    """DuckDBResource whose connection is closed when the block using it raises, too.
    dagster-duckdb closes it only on success: a failed writer then kept its read-write
    connection open in the process, and every read-only check after it in the same run
    failed ("a different configuration than existing connections")."""

    @contextmanager
    def get_connection(self):
        with super().get_connection() as conn:
            try:
                yield conn
            finally:
                conn.close()


def warehouse_resource() -> DuckDBResource:
    """The DuckDB warehouse (CNBUDGET_WAREHOUSE, default ./warehouse.duckdb)."""
    return WarehouseResource(database=str(settings.export_environment()))


def build_resources() -> dict:
    """Every resource the definitions use. dbt's is imported here, not at module level:
    extraction workers need only the warehouse and start faster without it."""
    from cnbudget.transform.dbt_resource import DbtBuildResource
    from cnbudget.transform.project import dbt_project

    return {
        "warehouse": warehouse_resource(),
        "dbt": DbtBuildResource(project_dir=dbt_project, dbt_executable=settings.dbt_executable()),
    }
