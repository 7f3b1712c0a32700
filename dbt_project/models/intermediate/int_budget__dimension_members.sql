{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- Every printing of a member of the shared dimensions (a function subject, an economic
-- class, a budget unit), one row each, built per document: the dimensions group these
-- rows across the warehouse instead of scanning every document's rows and cells.
with tables as (
    select table_id, document_id, document_loaded_at, fiscal_year, department
    from {{ ref('stg_budget__tables') }}
    where {{ only_documents_to_build() }}
),

coded_rows as (
    select
        tables.document_id,
        tables.document_loaded_at,
        rows.code_kind as member_kind,
        tables.fiscal_year,
        tables.department,
        rows.row_code as code,
        rows.row_label as name,
        rows.code_level as level
    from {{ ref('stg_budget__rows') }} as rows
    inner join tables using (table_id)
    where rows.code_kind in ('function_subject', 'economic_class', 'budget_unit')
),

project_units as (
    select
        tables.document_id,
        tables.document_loaded_at,
        'budget_unit' as member_kind,
        tables.fiscal_year,
        tables.department,
        null as code,
        trim(cells.printed_text) as name,
        '单位' as level
    from {{ ref('stg_budget__cells') }} as cells
    inner join tables using (table_id)
    where cells.table_kind = 'projects' and cells.column_leaf = '项目单位' and trim(cells.printed_text) <> ''
),

departments as (
    select
        document_id,
        loaded_at as document_loaded_at,
        'budget_unit' as member_kind,
        fiscal_year,
        department,
        null as code,
        department as name,
        '部门' as level
    from {{ ref('dim_document') }}
    where department is not null and department <> '' and {{ only_documents_to_build() }}
)

select * from coded_rows
union all
select * from project_units
union all
select * from departments
