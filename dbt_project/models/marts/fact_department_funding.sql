{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- 表11's 部门总体资金情况: the department's funds by 收入构成 and 支出构成 line, for the
-- budget year (当年金额, with its 占比) and the two years before, as the form prints them.
-- One row per printed value; amounts in yuan, shares in percent.
select
    funding.table_id || ':' || cast(funding.line as varchar) || ':' || funding.column_name
        as department_funding_key,
    funding.document_id,
    documents.phase,
    documents.loaded_at as document_loaded_at,
    funding.table_id,
    funding.composition,
    funding.line,
    funding.item,
    regexp_replace(funding.item, '\s', '', 'g') in ('合计', '总计') as is_total,
    funding.column_name,
    funding.fiscal_year,
    case when funding.column_name = '占比' then 'share_percent' else 'amount' end as measure,
    case when funding.column_name <> '占比'
        then cast(funding.printed_number * tables.yuan_per_unit as decimal(18, 2)) end as amount_yuan,
    case when funding.column_name = '占比' then cast(funding.printed_number as decimal(9, 4)) end as share_percent,
    funding.printed_text,
    case when funding.column_name = '占比' then '%' else tables.printed_unit end as printed_unit,
    funding.page
from {{ source('raw', 'performance_overall_funding') }} as funding
inner join {{ source('raw', 'tables') }} as tables using (table_id)
inner join {{ ref('dim_document') }} as documents on funding.document_id = documents.document_id
where {{ only_documents_to_build('funding.document_id') }}
