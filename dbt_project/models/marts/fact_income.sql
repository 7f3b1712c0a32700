{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- Income by source (本年收入 or 上年结转结余), by budget unit or function subject as the
-- template prints it (收入总表 rows are units in one family, subjects in another).
select
    figure_key,
    document_id,
    document_loaded_at,
    table_id,
    fund_source_code,
    is_carryover,
    case when code_kind = 'function_subject' then cast(fiscal_year as varchar) || ':' || row_code end
        as function_subject_key,
    case when code_kind = 'budget_unit' then department || '/' || row_label end as budget_unit_key,
    fiscal_year,
    phase,
    amount_basis,
    amount_yuan,
    printed_text,
    printed_unit,
    page
from {{ ref('int_budget__fact_figures') }}
where fact = 'income' and {{ only_documents_to_build() }}
