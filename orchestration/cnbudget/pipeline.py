"""Driving the Dagster assets from Python: the one code path behind the CLI and tests.

A load registers each PDF as a partition (its content hash), materializes the raw
assets for it, then builds the dbt models, then dq/identity_results, whose asset checks
report the identities.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetSelection, DagsterInstance, materialize

from cnbudget import settings
from cnbudget.ingest.landing import document_id_of, pdf_files

DAGSTER_YAML = """\
# Dagster's local instance for cnbudget (runs, event logs, partitions) in this folder.
telemetry:
  enabled: false
"""


@dataclass
class FileOutcome:
    path: Path
    document_id: str | None
    loaded: bool
    error: str = ""


@dataclass
class LoadOutcome:
    files: list[FileOutcome] = field(default_factory=list)
    transform_ok: bool = True
    transform_error: str = ""
    check_results: dict[str, bool] = field(default_factory=dict)  # check name -> passed

    @property
    def refused(self) -> list[FileOutcome]:
        return [f for f in self.files if not f.loaded]


def local_instance() -> DagsterInstance:
    """Dagster's local instance in DAGSTER_HOME (default: .dagster beside the project),
    the same one `dagster dev` shows, so CLI runs appear in the UI."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(settings.REPO_ROOT / ".dagster")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return DagsterInstance.get()


def _failure_message(result) -> str:
    for event in result.get_step_failure_events():
        data = event.step_failure_data
        if data.user_failure_data and data.user_failure_data.description:
            return data.user_failure_data.description
        if data.error:
            return data.error.message.strip().splitlines()[-1]
    return "the run failed"


_QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def load(
    paths: list[Path],
    warehouse: Path | None = None,
    instance: DagsterInstance | None = None,
    quiet: bool = False,
) -> LoadOutcome:
    """Load PDFs (files or folders) through the Dagster assets; `quiet` keeps Dagster's
    and dbt's console output out of the way (it stays in the Dagster instance)."""
    from cnbudget.definitions import build_resources
    from cnbudget.ingest.assets import budget_documents, raw_budget_document
    from cnbudget.quality.checks import PUBLISHED_FIGURES, identity_checks, identity_results
    from cnbudget.transform.assets import budget_dbt_models

    settings.export_environment(warehouse)
    instance = instance or local_instance()
    resources = build_resources()
    outcome = LoadOutcome()
    for path in pdf_files(paths):
        if not path.exists():
            outcome.files.append(FileOutcome(path, None, False, f"{path}: no such file"))
            continue
        document_id = document_id_of(path)
        instance.add_dynamic_partitions(budget_documents.name, [document_id])
        result = materialize(
            [raw_budget_document],
            partition_key=document_id,
            run_config={
                "ops": {"raw_budget_document": {"config": {"path": str(path.resolve())}}},
                **(_QUIET_LOGS if quiet else {}),
            },
            resources=resources,
            instance=instance,
            raise_on_error=False,
            tags={"cnbudget/source_file": path.name},
        )
        error = "" if result.success else _failure_message(result)
        outcome.files.append(FileOutcome(path, document_id, result.success, error))

    if any(f.loaded for f in outcome.files):
        # dbt's own progress lines go to stdout; quiet keeps them out of the CLI's report.
        with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
            result = materialize(
                [raw_budget_document, budget_dbt_models],
                selection=AssetSelection.assets(budget_dbt_models),
                resources=resources,
                instance=instance,
                raise_on_error=False,
                run_config=_QUIET_LOGS if quiet else None,
            )
        outcome.transform_ok = result.success
        outcome.transform_error = "" if result.success else _failure_message(result)
        outcome.check_results = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
        # The identities, in a run of their own: a failing dbt test fails the dbt step,
        # and an inconsistent publication is exactly what the identities must report.
        if any(e.asset_key == PUBLISHED_FIGURES for e in result.get_asset_materialization_events()):
            identities = materialize(
                [budget_dbt_models, identity_results, identity_checks],
                selection=AssetSelection.assets(identity_results) | AssetSelection.checks(identity_checks),
                resources=resources,
                instance=instance,
                raise_on_error=False,
                run_config=_QUIET_LOGS if quiet else None,
            )
            outcome.check_results |= {e.check_name: e.passed for e in identities.get_asset_check_evaluations()}
            if not identities.success:
                outcome.transform_ok = False
                outcome.transform_error = outcome.transform_error or _failure_message(identities)
    return outcome
