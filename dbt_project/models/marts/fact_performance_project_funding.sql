{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- One row per funding line (项目资金来源) of a project's 项目支出绩效目标表, in yuan.
-- The lines are printed as a list with 合计 and 其中 sub-lines: `source` keeps the printed
-- words, so sums must pick the lines they mean.
select
    funding.table_id || ':f' || cast(funding.ordinal as varchar) as performance_funding_key,
    funding.document_id,
    documents.phase,
    documents.loaded_at as document_loaded_at,
    funding.table_id as performance_project_key,
    funding.ordinal,
    funding.source,
    funding.amount_text as printed_text,
    cast(funding.amount * projects.yuan_per_unit as decimal(18, 2)) as amount_yuan,
    projects.printed_unit
from {{ source('raw', 'performance_project_funding') }} as funding
inner join {{ source('raw', 'performance_projects') }} as projects using (table_id)
inner join {{ ref('dim_document') }} as documents on funding.document_id = documents.document_id
where {{ only_documents_to_build('funding.document_id') }}
