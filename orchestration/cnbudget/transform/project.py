"""The dbt project, shared by the Dagster assets and the CLI."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from dagster_dbt import DbtProject

from cnbudget import settings

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)


# What the models are made of: dbt's own folders and settings, never its target/ or
# logs/, whose size grows with every build.
PROJECT_FOLDERS = ("models", "macros", "seeds", "tests")
PROJECT_FILES = ("dbt_project.yml", "profiles.yml")


def _project_sources() -> list[Path]:
    root = dbt_project.project_dir
    files = [root / name for name in PROJECT_FILES if (root / name).exists()]
    for folder in PROJECT_FOLDERS:
        files += (p for p in (root / folder).rglob("*") if p.suffix in (".sql", ".yml", ".yaml", ".md", ".csv"))
    return sorted(files)


def project_sha256() -> str:
    """Of every model, macro, seed and setting: marts built by other models are rebuilt."""
    digest = hashlib.sha256()
    for path in _project_sources():
        digest.update(str(path.relative_to(dbt_project.project_dir)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _parsed_project_file() -> Path:
    """The project_sha256 the manifest was parsed from, beside it."""
    return dbt_project.manifest_path.with_name("cnbudget_project.sha256")


def _manifest_is_current() -> bool:
    """By content, not file times (a checkout or a clock can order those either way)."""
    parsed = _parsed_project_file()
    return dbt_project.manifest_path.exists() and parsed.exists() and parsed.read_text() == project_sha256()


def ensure_manifest() -> None:
    """`dagster dev` parses the project itself (prepare_if_dev); the CLI, tests and
    `dagster asset materialize` need a current manifest too, so parse when it is missing
    or was parsed from other models (with this environment's dbt: the venv need not be on PATH)."""
    settings.put_environment_on_path()
    dbt_project.prepare_if_dev()
    if _manifest_is_current():
        return
    settings.export_environment()
    project = project_sha256()
    subprocess.run(
        [settings.dbt_executable(), "parse", "--quiet", "--project-dir", str(dbt_project.project_dir),
         "--profiles-dir", str(dbt_project.profiles_dir)],
        check=True,
        cwd=dbt_project.project_dir,
    )
    _parsed_project_file().write_text(project)
