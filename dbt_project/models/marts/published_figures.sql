{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- Every number as printed, one row each, traceable to its page and cell.
select
    figure_key,
    document_id,
    document_loaded_at,
    table_id,
    table_kind,
    table_label,
    table_title,
    page,
    row_index,
    col_index,
    part,
    row_code,
    code_kind,
    code_level,
    row_label,
    indent_level,
    is_total,
    column_path,
    column_leaf,
    printed_text,
    printed_unit,
    amount_yuan,
    x0,
    y0,
    x1,
    y1
from {{ ref('int_budget__figures') }}
where {{ only_documents_to_build() }}
