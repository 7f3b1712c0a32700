"""The one Great Expectations step of every check, table and narrative identities alike:
a suite with one expectation per identity, `excess ≤ 0` on that identity's instances,
validated on a pandas frame (GX on DuckDB through SQLAlchemy is broken). GX's
unexpected rows are the failures."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


class Judged(Protocol):
    """What the suite needs of an identity (both catalogues' identities have it)."""

    id: str
    severity: str  # ERROR / WARN
    description_en: str


@dataclass
class Judgement:
    failing: set[int]  # positions in the judged frame of the instances that fail
    result: object | None  # GX's ExpectationSuiteValidationResult; None when GX did not judge
    failed_identities: frozenset[str] = frozenset()  # whose expectation did not hold

    def succeeded(self, identity_id: str) -> bool:
        """Whether the identity's expectation held (one without instances holds)."""
        return identity_id not in self.failed_identities

    def part(self, start: int, length: int) -> Judgement:
        """The judgement of the instances at positions start … start + length - 1, renumbered
        from 0 (one chain's share of a validation of several)."""
        failing = {i - start for i in self.failing if start <= i < start + length}
        return Judgement(failing, self.result, self.failed_identities)


def judge_by_excess(instances: pd.DataFrame) -> Judgement:
    """The same verdicts without Great Expectations (for tests that study the evaluation
    rather than GX): an instance fails where its excess is positive."""
    excess = instances["excess"].astype("int64").to_numpy()
    failing = {int(i) for i in (excess > 0).nonzero()[0]}
    return Judgement(failing, None, frozenset(instances["identity_id"].to_numpy()[excess > 0]))


def judge_with_gx(instances: pd.DataFrame, identities: Iterable[Judged], suite_name: str) -> Judgement:
    """Validate `instances` (identity_id, excess: an integer, positive where the instance
    fails) against one expectation per identity that has instances."""
    if instances.empty:
        return Judgement(set(), None)
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.metadata_types import FailureSeverity
    from great_expectations.expectations.row_conditions import Column

    frame = pd.DataFrame({"identity_id": instances["identity_id"].to_numpy(),
                          "excess": instances["excess"].astype("int64").to_numpy()})
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(f"{suite_name}_instances")
        .add_dataframe_asset("instances")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(name=suite_name)
    # One expectation per identity with instances to judge: each costs GX a pass over
    # the frame, and one without rows would pass vacuously.
    present = set(frame.identity_id)
    for identity in (i for i in identities if i.id in present):
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeBetween(
                column="excess",
                max_value=0,
                row_condition=Column("identity_id") == identity.id,
                severity=FailureSeverity.CRITICAL if identity.severity == "ERROR" else FailureSeverity.WARNING,
                meta={"identity_id": identity.id},
                description=identity.description_en,
            )
        )
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    for expectation in result.results:
        if expectation.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"Great Expectations could not validate {expectation.expectation_config.meta}: "
                f"{expectation.exception_info.get('exception_message')}"
            )
    # GX reports failing rows by their index in the frame, i.e. their position.
    failing = {i for r in result.results for i in (r.result.get("unexpected_index_list") or [])}
    failed = frozenset(r.expectation_config.meta["identity_id"] for r in result.results if not r.success)
    return Judgement(failing, result, failed)
