{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- “三公”经费 by item (因公出国（境）费, 公务用车购置费, 公务用车运行费, 公务接待费) and
-- 机关运行经费 where printed; amounts in yuan whatever the printed unit (usually 万元).
select
    figure_key,
    document_id,
    document_loaded_at,
    table_id,
    three_public_item_code,
    fiscal_year,
    phase,
    amount_basis,
    amount_yuan,
    printed_text,
    printed_unit,
    page
from {{ ref('int_budget__fact_figures') }}
where fact = 'three_public' and {{ only_documents_to_build() }}
