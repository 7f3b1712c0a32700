"""The narrative checks in Dagster: the dq/narrative_results asset and one asset check per
narrative identity (expectations/identities.yml) on marts/fact_narrative_figure.

As for the table identities (cnbudget.quality.checks): the asset is the only writer (it
matches the stale documents' narrative figures, evaluates every identity on them and
replaces their rows of dq.narrative_matches and dq.narrative_results, under the warehouse
lock); the checks come from the factory both share (check_factory.py).

definitions.py registers both; the load (pipeline.py) materializes them with the
identity results after the models are built.
"""

from __future__ import annotations

from dagster import AssetKey, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from cnbudget.ingest.warehouse import warehouse_lock
from cnbudget.quality.check_factory import Listed, VerdictTable, identity_checks_of
from cnbudget.quality.catalogue import load_catalogue
from cnbudget.quality.narrative import evaluate_narrative
from cnbudget.quality.narrative_results import narrative_stale_reason, narrative_staleness, write_narrative_results
from cnbudget.transform.assets import model_key

NARRATIVE_FIGURES = model_key("marts", "fact_narrative_figure")
PUBLISHED_FIGURES = model_key("marts", "published_figures")
NARRATIVE_RESULTS = AssetKey(["dq", "narrative_results"])
CATALOGUE = load_catalogue().narrative


@asset(
    key=NARRATIVE_RESULTS,
    deps=[NARRATIVE_FIGURES, PUBLISHED_FIGURES],
    group_name="dq",
    description=(
        "Every narrative figure matched to the table figure it names, or listed with the reason it is not "
        "(dq.narrative_matches); every instance of every narrative identity in expectations/identities.yml "
        "(dq.narrative_results)."
    ),
)
def narrative_results(warehouse: DuckDBResource) -> MaterializeResult:
    with warehouse_lock(warehouse.database), warehouse.get_connection() as conn:
        stale = narrative_staleness(conn)  # only their verdicts are judged again; the others stand
        evaluation = evaluate_narrative(conn, CATALOGUE, documents=stale.stale)
        write_narrative_results(conn, evaluation, stale)
        # in the whole warehouse: the documents judged now and those whose verdicts stand
        figures, matched = conn.execute(
            "select count(*), count(*) filter (where matched) from dq.narrative_matches").fetchall()[0]
        (checks_failed,) = conn.execute(
            "select count(*) filter (where not passed) from dq.narrative_results").fetchall()[0]
    summary = evaluation.summary()
    table = "\n".join(
        f"| {r.document_id} | {r.figures} | {r.amounts} | {r.matched} | {r.unmatched} | {r.match_rate:.1%} | "
        f"{r.checks_passed} | {r.checks_failed} |"
        for r in summary.itertuples()
    )
    return MaterializeResult(
        metadata={
            "documents_judged": len(stale.stale),
            "figures": int(figures),
            "matched": int(matched),
            "checks_failed": int(checks_failed),
            # documents cnbudget failed to check (recorded in raw.load_errors); the load exits 2
            "internal_errors": MetadataValue.json([f.as_metadata() for f in evaluation.unchecked]),
            "by_document": MetadataValue.md(
                "| document | figures | amounts | matched | unmatched | match rate | checks passed | failed |\n"
                "|---|---|---|---|---|---|---|---|\n" + table
            ),
        }
    )


narrative_checks = identity_checks_of(
    "narrative_checks", CATALOGUE.identities, NARRATIVE_FIGURES, NARRATIVE_RESULTS,
    VerdictTable(
        "dq.narrative_results", failed="not passed", not_applicable="false",
        listed=(Listed("document_id", "document"), Listed("page", "page"), Listed("stated", "stated"),
                Listed("expected", "expected"), Listed("detail", "detail")),
    ),
    stale_reason=narrative_stale_reason,
    describe=lambda identity, status: identity.description_en,
)
