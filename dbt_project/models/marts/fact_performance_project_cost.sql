{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- One row per cost line (项目支出明细测算) of a project's 项目支出绩效目标表, in yuan.
select
    costs.table_id || ':c' || cast(costs.ordinal as varchar) as performance_cost_key,
    costs.document_id,
    documents.phase,
    documents.loaded_at as document_loaded_at,
    costs.table_id as performance_project_key,
    costs.ordinal,
    costs.page,
    costs.activity,
    costs.content,
    costs.economic_class,
    costs.amount_text as printed_text,
    cast(costs.amount * projects.yuan_per_unit as decimal(18, 2)) as amount_yuan,
    projects.printed_unit,
    costs.basis,
    costs.note
from {{ source('raw', 'performance_project_costs') }} as costs
inner join {{ source('raw', 'performance_projects') }} as projects using (table_id)
inner join {{ ref('dim_document') }} as documents on costs.document_id = documents.document_id
where {{ only_documents_to_build('costs.document_id') }}
