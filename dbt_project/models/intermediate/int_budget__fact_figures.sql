{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- The printed numbers that are facts: a leaf row (int_budget__leaf_rows) in a leaf
-- column, with the column's meaning (expenditure type, fund source, 三公 item) from
-- the column_meanings seed: the first pattern, by priority, that matches the path.
-- A table built per document, like the marts: matching every figure's column path
-- against the seeds' patterns is the costly step, and a load pays it for its own
-- documents only (as a view, every mart reading it matched the whole warehouse).
with figures as (
    select * from {{ ref('int_budget__figures') }}
    where {{ only_documents_to_build() }}
),

meanings as (
    select
        figures.table_id,
        figures.row_index,
        figures.col_index,
        meanings.role,
        meanings.expenditure_type_code,
        meanings.fund_source_code,
        meanings.is_carryover,
        meanings.three_public_item_code
    from figures
    inner join {{ ref('column_meanings') }} as meanings
        on figures.table_kind = meanings.table_kind
        and regexp_matches(figures.column_path, meanings.path_pattern)
    qualify row_number() over (
        partition by figures.table_id, figures.row_index, figures.col_index order by meanings.priority
    ) = 1
),

-- what the amount measures (budget, or a 决算's initial / adjusted budget or outturn)
bases as (
    select figures.table_id, figures.row_index, figures.col_index, bases.amount_basis
    from figures
    inner join {{ ref('amount_bases') }} as bases
        on figures.phase = bases.phase
        and regexp_matches(figures.column_path, bases.path_pattern)
    qualify row_number() over (
        partition by figures.table_id, figures.row_index, figures.col_index order by bases.priority
    ) = 1
)

select
    figures.*,
    table_facts.fact,
    table_facts.cut,
    table_facts.fund_scope_code,
    meanings.expenditure_type_code,
    meanings.fund_source_code,
    coalesce(meanings.is_carryover, false) as is_carryover,
    meanings.three_public_item_code,
    bases.amount_basis
from figures
inner join meanings using (table_id, row_index, col_index)
inner join bases using (table_id, row_index, col_index)
inner join {{ ref('table_kind_facts') }} as table_facts on figures.table_kind = table_facts.table_kind
left join {{ ref('int_budget__leaf_rows') }} as leaves
    on figures.table_id = leaves.table_id
    and figures.row_index = leaves.row_index
    and figures.part = leaves.part
where meanings.role = 'leaf'
    and not figures.is_total
    -- this budget year's amounts only: not 2025年执行数 or 增减 columns, nor a 2025年 row
    and figures.column_period = 'current'
    and figures.row_period = 'current'
    and figures.value_kind = 'amount'
    -- the one-row 三公 table has no codes: its single row is the fact row
    and (leaves.table_id is not null or table_facts.fact = 'three_public')
