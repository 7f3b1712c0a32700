{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- Projects (项目支出情况表): each 二级 project under its 一级 project, executing unit,
-- amount by fund source, this year's appropriation or carried over (上年结转).
with project_rows as (
    select
        table_id,
        row_index,
        row_code,
        row_label,
        code_level,
        last_value(case when code_level = '一级' then row_code end ignore nulls)
            over (partition by table_id order by row_index rows unbounded preceding) as parent_project_code,
        last_value(case when code_level = '一级' then row_label end ignore nulls)
            over (partition by table_id order by row_index rows unbounded preceding) as parent_project_name
    from {{ ref('stg_budget__rows') }}
    where code_kind = 'project'
),

executing_units as (
    select table_id, row_index, trim(printed_text) as unit_name
    from {{ ref('stg_budget__cells') }}
    where table_kind = 'projects' and column_leaf = '项目单位'
)

select
    figures.figure_key,
    figures.document_id,
    figures.document_loaded_at,
    figures.table_id,
    figures.row_code as project_code,
    figures.row_label as project_name,
    project_rows.parent_project_code,
    project_rows.parent_project_name,
    figures.department || '/' || nullif(executing_units.unit_name, '') as budget_unit_key,
    figures.fund_source_code,
    figures.is_carryover,
    figures.fiscal_year,
    figures.phase,
    figures.amount_basis,
    figures.amount_yuan,
    figures.printed_text,
    figures.printed_unit,
    figures.page
from {{ ref('int_budget__fact_figures') }} as figures
inner join project_rows using (table_id, row_index)
left join executing_units using (table_id, row_index)
where figures.fact = 'project' and {{ only_documents_to_build('figures.document_id') }}
