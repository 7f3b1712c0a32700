"""Quality domain: the identity catalogue (expectations/identities.yml) validated with
Great Expectations and surfaced as Dagster asset checks."""
