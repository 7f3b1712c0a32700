"""The checks in Dagster: one asset, dq_verdicts, that runs the one chain (chain.py) and
materializes each chain's verdicts (dq/identity_results, dq/narrative_results), and one
asset check per identity, from the one factory (check_factory.py), on the model it judges.

The asset is the only writer of dq, under the warehouse lock like every writer. It can be
subset: materializing only dq/identity_results judges only the table identities.
"""

# No `from __future__ import annotations`: Dagster reads the context parameter's type.
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset
from dagster_duckdb import DuckDBResource

from cnbudget.ingest.warehouse import warehouse_lock
from cnbudget.quality.catalogue import Identity, load_catalogue
from cnbudget.quality.chain import Chain, ChainRun, judge_stale
from cnbudget.quality.check_factory import Listed, VerdictTable, identity_checks_of
from cnbudget.quality.narrative_results import NARRATIVE
from cnbudget.quality.results import IDENTITIES
from cnbudget.quality.validate import FAILED, NOT_APPLICABLE
from cnbudget.transform.assets import model_key

PUBLISHED_FIGURES = model_key("marts", "published_figures")
NARRATIVE_FIGURES = model_key("marts", "fact_narrative_figure")
IDENTITY_RESULTS = AssetKey(["dq", "identity_results"])
NARRATIVE_RESULTS = AssetKey(["dq", "narrative_results"])
# The catalogue the checks were defined from, so that results and checks agree.
CATALOGUE = load_catalogue()
CHAINS: dict[AssetKey, Chain] = {IDENTITY_RESULTS: IDENTITIES, NARRATIVE_RESULTS: NARRATIVE}


@multi_asset(
    name="dq_verdicts",
    can_subset=True,
    specs=[
        AssetSpec(
            IDENTITY_RESULTS, deps=[PUBLISHED_FIGURES], group_name="dq", skippable=True,
            description=(
                "Every instance of every identity in expectations/identities.yml, judged by Great Expectations: "
                "passed, failed (with both sides, page and cell boxes) or not applicable (with the reason). "
                "A run judges the documents whose verdicts are stale (new, changed, or judged by other rules)."
            ),
        ),
        AssetSpec(
            NARRATIVE_RESULTS, deps=[NARRATIVE_FIGURES, PUBLISHED_FIGURES], group_name="dq", skippable=True,
            description=(
                "Every narrative figure matched to the table figure it names, or listed with the reason it is not "
                "(dq.narrative_matches); every instance of every narrative identity in expectations/identities.yml "
                "(dq.narrative_results), judged with the table identities."
            ),
        ),
    ],
)
def dq_verdicts(context: AssetExecutionContext, warehouse: DuckDBResource):
    selected = [key for key in CHAINS if key in context.selected_asset_keys]
    with warehouse_lock(warehouse.database), warehouse.get_connection() as conn:
        runs = judge_stale(conn, CATALOGUE, [CHAINS[key] for key in selected])
        # in the whole warehouse: the documents judged now and those whose verdicts stand
        totals = {key: conn.execute(f"select * exclude (validated_at, documents, internal_errors) from {CHAINS[key].store.summary_view}").df()
                  for key in selected}
    for key in selected:
        yield MaterializeResult(asset_key=key, metadata=_metadata(runs[CHAINS[key].name], totals[key]))


def _metadata(run: ChainRun, totals) -> dict:
    counts = run.document_counts().reset_index()
    table = "| " + " | ".join(map(str, counts.columns)) + " |\n|" + "---|" * len(counts.columns) + "".join(
        "\n| " + " | ".join(_shown(v) for v in row) + " |" for row in counts.itertuples(index=False))
    return {
        "documents": len(run.staleness.fingerprints),
        "documents_judged": len(run.staleness.stale),  # the others' verdicts stand
        "documents_removed": len(run.staleness.removed),
        **{column: int(totals.at[0, column] or 0) for column in totals.columns},
        # documents cnbudget failed to check (recorded in raw.load_errors); the load exits 2
        "internal_errors": MetadataValue.json([f.as_metadata() for f in run.unchecked]),
        "by_document": MetadataValue.md(table),
    }


def _shown(value) -> str:
    return f"{value:.1%}" if isinstance(value, float) else str(value)


def _amount(yuan) -> str:
    return "" if yuan is None else f"{yuan:,.2f}"


def _describe(identity: Identity, status: str) -> str:
    return identity.description_zh if status != NOT_APPLICABLE else f"Not applicable anywhere: {identity.description_en}"


identity_checks = identity_checks_of(
    "identity_checks", CATALOGUE.table_identities, PUBLISHED_FIGURES, IDENTITY_RESULTS,
    VerdictTable(
        "dq.identity_results", failed=f"status = '{FAILED}'", not_applicable=f"status = '{NOT_APPLICABLE}'",
        listed=(
            Listed("document_id", "document"), Listed("table_name", "table"), Listed("row_name", "row"),
            Listed("column_path", "column"), Listed("page", "page"), Listed("actual_yuan", "printed (yuan)", _amount),
            Listed("comparison", ""), Listed("expected_yuan", "expected (yuan)", _amount),
            Listed("tolerance_yuan", "tolerance", _amount),
        ),
        reason="reason",
    ),
    stale_reason=lambda conn: IDENTITIES.stale_reason(conn, CATALOGUE),
    describe=_describe,
)

narrative_checks = identity_checks_of(
    "narrative_checks", CATALOGUE.narrative.identities, NARRATIVE_FIGURES, NARRATIVE_RESULTS,
    VerdictTable(
        "dq.narrative_results", failed="not passed", not_applicable="false",
        listed=(Listed("document_id", "document"), Listed("page", "page"), Listed("stated", "stated"),
                Listed("expected", "expected"), Listed("detail", "detail")),
    ),
    stale_reason=lambda conn: NARRATIVE.stale_reason(conn, CATALOGUE),
    describe=lambda identity, status: identity.description_en,
)
