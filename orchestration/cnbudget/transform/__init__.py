"""Transform domain: the dbt project (staging -> marts) as Dagster assets."""
