"""Driving the Dagster assets from Python: the one code path behind the CLI and tests.

A load registers each PDF as a partition (its content hash), then
1. stages the partitions (extraction to Parquet) in up to `workers` processes at once,
   or on the Celery workers of CNBUDGET_CELERY_BROKER (ingest/staging.py),
2. applies them to the raw layer one at a time, in file order (DuckDB has one writer),
   each as soon as it is staged, while the workers extract the next ones,
3. builds the dbt models (and runs their tests), then materializes dq/identity_results
   and dq/narrative_results, whose asset checks report the identities and the
   narrative checks.
Every step is a Dagster run in the local instance, so the UI shows what the CLI did.
"""

from __future__ import annotations

import contextlib
import importlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from dagster import AssetSelection, DagsterInstance, materialize

from cnbudget import settings
from cnbudget.ingest.landing import document_id_of, pdf_files
from cnbudget.ingest.staging import StageJob, StagingPool
from cnbudget.runs import QUIET_LOGS, local_instance, run_failure

@dataclass
class FileOutcome:
    path: Path
    document_id: str | None
    status: str  # loaded | unchanged | refused
    error: str = ""
    reason: str = ""  # the refusal's kind (raw.load_errors.error_kind)
    version: int | None = None
    notes: list[str] = field(default_factory=list)  # damage found and repaired on the way (a cache entry)

    @property
    def loaded(self) -> bool:
        return self.status != "refused"


@dataclass
class LoadOutcome:
    files: list[FileOutcome] = field(default_factory=list)
    transform_ok: bool = True
    transform_error: str = ""
    check_results: dict[str, bool] = field(default_factory=dict)  # check name -> passed
    unchanged_since: str = ""  # nothing loaded: when the standing models and checks were built
    # Loaded documents cnbudget failed to check (an exception in its identities or
    # narrative checks): source_file, document_id, stage, message; the others were checked.
    unchecked: list[dict] = field(default_factory=list)

    @property
    def refused(self) -> list[FileOutcome]:
        return [f for f in self.files if not f.loaded]


class Progress(Protocol):
    """What a load reports while it runs (the CLI draws progress bars from it)."""

    def begin(self, paths: list[Path]) -> None: ...
    def staged(self, path: Path, ok: bool) -> None: ...
    def loaded(self, path: Path, ok: bool) -> None: ...
    def transforming(self) -> None: ...


class _Silent:
    def begin(self, paths): ...
    def staged(self, path, ok): ...
    def loaded(self, path, ok): ...
    def transforming(self): ...


def _apply_staged(file: FileOutcome, resources: dict, instance: DagsterInstance, quiet: bool) -> bool:
    """Apply one staged document to the raw layer (a Dagster run of raw/budget_document); record how."""
    from cnbudget.ingest.assets import SOURCE_PATH_TAG, raw_budget_document, staged_budget_document

    result = materialize(
        [staged_budget_document, raw_budget_document],
        selection=AssetSelection.assets(raw_budget_document),
        partition_key=file.document_id,
        resources=resources,
        instance=instance,
        raise_on_error=False,
        run_config=QUIET_LOGS if quiet else None,
        tags={"cnbudget/source_file": file.path.name, SOURCE_PATH_TAG: str(file.path.resolve())},
    )
    if result.success:
        metadata = result.get_asset_materialization_events()[0].materialization.metadata
        file.status, file.version = metadata["status"].value, metadata["version"].value
        file.notes.extend(metadata["notes"].value)
    else:
        file.status = "refused"
        file.error, file.reason = run_failure(result)
    return result.success


def load(
    paths: list[Path],
    warehouse: Path | None = None,
    instance: DagsterInstance | None = None,
    quiet: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> LoadOutcome:
    """Load PDFs (files or folders) through the Dagster assets; `quiet` keeps Dagster's
    and dbt's console output out of the way (it stays in the Dagster instance)."""
    # Worker processes inherit the environment at their start: settle it first, and
    # create the Dagster instance's storage before they open it.
    settings.export_environment(warehouse)
    instance = instance or local_instance()
    files = pdf_files(paths)
    workers = min(workers or settings.workers(), max(1, len(files)))
    with StagingPool(workers, quiet) as pool:  # its workers start importing while we do
        from cnbudget.ingest.assets import budget_documents
        from cnbudget.resources import build_resources

        if workers > 1:  # the transform's imports (dbt's manifest, GX) while the workers extract
            for module in ("cnbudget.transform.assets", "cnbudget.quality.assets", "great_expectations"):
                importlib.import_module(module)
        resources = build_resources()
        progress = progress or _Silent()
        outcome = LoadOutcome()
        progress.begin(files)

        pending: list[FileOutcome] = []
        for path in files:
            if not path.is_file():
                outcome.files.append(FileOutcome(path, None, "refused", f"{path}: no such file", "missing_file"))
                progress.staged(path, False)
                progress.loaded(path, False)
                continue
            document_id = document_id_of(path)
            instance.add_dynamic_partitions(budget_documents.name, [document_id])
            pending.append(FileOutcome(path, document_id, "staged"))
        outcome.files.extend(pending)

        # 1. Extraction, in parallel: it never touches DuckDB. 2. Loading, one at a time.
        jobs = [StageJob(f.path.resolve(), f.document_id) for f in pending]
        for index, staged in pool.staged_in_order(jobs, instance):
            file = pending[index]
            progress.staged(file.path, staged.ok)
            file.notes.extend(staged.notes)
            if not staged.ok:
                file.status, file.error, file.reason = "refused", staged.error, staged.reason
                progress.loaded(file.path, False)
                continue
            progress.loaded(file.path, _apply_staged(file, resources, instance, quiet))

    # 3. The models with their dbt tests, then the identities and the narrative checks,
    # once for the whole batch. dbt's tests guard the transformation only, so a document
    # that is itself inconsistent builds, and the identities report it.
    built = _standing_build(warehouse or settings.warehouse_path())
    if built and not any(f.status == "loaded" for f in outcome.files):
        outcome.unchanged_since = built  # no document is new: the models and checks stand
    elif any(f.loaded for f in outcome.files):
        progress.transforming()
        transform(outcome, resources, instance, quiet)
    return outcome


def transform(outcome: LoadOutcome, resources: dict, instance: DagsterInstance, quiet: bool) -> None:
    """The models with their dbt tests, then the identities and the narrative checks, for
    the whole batch; what they found goes into `outcome`."""
    from cnbudget.ingest.assets import raw_budget_document, staged_budget_document
    from cnbudget.quality.assets import dq_verdicts, identity_checks, narrative_checks
    from cnbudget.transform.assets import budget_dbt_models

    # dbt's own progress lines go to stdout; quiet keeps them out of the CLI's report.
    with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
        result = materialize(
            [staged_budget_document, raw_budget_document, budget_dbt_models, dq_verdicts, identity_checks,
             narrative_checks],
            selection=AssetSelection.assets(budget_dbt_models, dq_verdicts)
            | AssetSelection.checks(identity_checks, narrative_checks),
            resources=resources,
            instance=instance,
            raise_on_error=False,
            run_config=QUIET_LOGS if quiet else None,
        )
    outcome.transform_ok = result.success
    outcome.transform_error = "" if result.success else run_failure(result)[0]
    outcome.check_results = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    for event in result.get_asset_materialization_events():
        unchecked = event.materialization.metadata.get("internal_errors")
        outcome.unchecked.extend(unchecked.value if unchecked else [])


def _standing_build(warehouse: Path) -> str:
    """When the warehouse's models and identity verdicts were last built, if they still
    describe its raw layer, catalogues and dbt project as they are now; else ''. By
    content, never by file times: parsing the project again (`dagster dev` does) changes
    nothing the marts were built from."""
    import duckdb

    from cnbudget.quality.catalogue import load_catalogue
    from cnbudget.quality.narrative_results import NARRATIVE
    from cnbudget.quality.results import IDENTITIES
    from cnbudget.transform.assets import built_project
    from cnbudget.transform.project import project_sha256

    if not warehouse.exists() or built_project(warehouse) != project_sha256():
        return ""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as conn:
            catalogue = load_catalogue()
            if any(chain.stale_reason(conn, catalogue) for chain in (IDENTITIES, NARRATIVE)):
                return ""
            (validated_at,) = conn.execute("select validated_at from dq.identity_validation").fetchone()
    except duckdb.Error:  # held by a writer, or not a warehouse yet: build
        return ""
    return f"{validated_at:%Y-%m-%d %H:%M:%S} UTC"
