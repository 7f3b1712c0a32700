{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- One row per printed target value of a performance indicator (绩效指标): the indicator's
-- hierarchy, the period the value is for, the value as printed and, where it is one
-- quantity, its comparator, number and unit.
select
    targets.table_id || ':' || cast(targets.indicator_ordinal as varchar) || ':' || targets.period
        as performance_target_key,
    targets.table_id || ':' || cast(targets.indicator_ordinal as varchar) as performance_indicator_key,
    indicators.document_id,
    documents.phase,
    documents.loaded_at as document_loaded_at,
    targets.table_id,
    tables.label as table_label,
    tables.kind as table_kind,
    -- a 项目支出绩效目标表's targets belong to its project; 表11's to the department as a whole
    projects.table_id as performance_project_key,
    indicators.indicator_ordinal,
    indicators.page,
    indicators.goal_type,
    indicators.goal_name,
    indicators.level1,
    indicators.level2,
    indicators.level3,
    indicators.basis,
    targets.period,
    targets.target_year,
    targets.printed_text,
    targets.comparator,
    targets.number,
    targets.number_high,
    targets.unit
from {{ source('raw', 'performance_targets') }} as targets
inner join {{ source('raw', 'performance_indicators') }} as indicators
    on targets.table_id = indicators.table_id and targets.indicator_ordinal = indicators.indicator_ordinal
inner join {{ source('raw', 'tables') }} as tables on targets.table_id = tables.table_id
inner join {{ ref('dim_document') }} as documents on indicators.document_id = documents.document_id
left join {{ source('raw', 'performance_projects') }} as projects on targets.table_id = projects.table_id
where {{ only_documents_to_build('indicators.document_id') }}
