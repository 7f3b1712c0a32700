"""The dbt project, shared by the Dagster assets and the CLI."""

from __future__ import annotations

from dagster_dbt import DbtProject

from cnbudget import settings

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)


def ensure_manifest() -> None:
    """`dagster dev` parses the project itself (prepare_if_dev); the CLI, tests and
    `dagster asset materialize` need a manifest too, so parse once when it is missing."""
    dbt_project.prepare_if_dev()
    if not dbt_project.manifest_path.exists():
        settings.export_environment()
        dbt_project.preparer.prepare(dbt_project)
