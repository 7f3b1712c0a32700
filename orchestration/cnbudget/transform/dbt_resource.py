"""The dbt resource of cnbudget's loads."""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version

from dagster_dbt import DbtCliResource
from packaging.version import Version


class DbtBuildResource(DbtCliResource):
    """dagster-dbt's DbtCliResource without two start-up costs of every `dbt build` that
    cnbudget does not use (together some 4 s of a one-document load):
    - it asks the dbt executable its version by starting it (`dbt --version`, a dbt
      process of its own); the executable is the one installed with this dbt-core
      (settings.dbt_executable), so the package's version is the executable's;
    - it opens dbt's adapter in this process, which it needs only to fetch row counts or
      column metadata, and cnbudget fetches neither."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None
