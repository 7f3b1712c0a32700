"""The dbt project, shared by the Dagster assets and the CLI."""

from __future__ import annotations

import subprocess

from dagster_dbt import DbtProject

from cnbudget import settings

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)


def ensure_manifest() -> None:
    """`dagster dev` parses the project itself (prepare_if_dev); the CLI, tests and
    `dagster asset materialize` need a manifest too, so parse once when it is missing
    (with this environment's dbt: the venv need not be on PATH)."""
    dbt_project.prepare_if_dev()
    if dbt_project.manifest_path.exists():
        return
    settings.export_environment()
    subprocess.run(
        [settings.dbt_executable(), "parse", "--quiet", "--project-dir", str(dbt_project.project_dir),
         "--profiles-dir", str(dbt_project.profiles_dir)],
        check=True,
        cwd=dbt_project.project_dir,
    )
