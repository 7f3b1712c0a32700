{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- Expenditure, leaf rows of every published cut: by function subject (支出总表, 一般公共
-- 预算支出表, 政府性基金 / 国有资本经营 tables), by budget unit (一般公共预算支出表 分单位)
-- and by economic class (基本支出表). Within one document, cut and fund scope the
-- amounts add up to that table's printed total.
select
    figure_key,
    document_id,
    document_loaded_at,
    table_id,
    table_kind as source_table_kind,
    cut,
    fund_scope_code,
    expenditure_type_code,
    case when cut = 'function_subject' then cast(fiscal_year as varchar) || ':' || row_code end
        as function_subject_key,
    case when cut = 'economic_class' then row_code end as economic_class_code,
    case when cut = 'budget_unit' then department || '/' || row_label end as budget_unit_key,
    fiscal_year,
    phase,
    amount_basis,
    amount_yuan,
    printed_text,
    printed_unit,
    page
from {{ ref('int_budget__fact_figures') }}
where fact = 'expenditure' and {{ only_documents_to_build() }}
