{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- One row per project that has its own 项目支出绩效目标表 (表12-x): its header fields.
select
    projects.table_id as performance_project_key,
    projects.document_id,
    documents.loaded_at as document_loaded_at,
    projects.table_label,
    projects.project_name,
    projects.project_codes,
    projects.competent_department,
    projects.executing_unit,
    projects.project_attribute,
    projects.expenditure_category,
    projects.start_year,
    projects.end_year,
    projects.total_budget_text,
    cast(projects.total_budget * projects.yuan_per_unit as decimal(18, 2)) as total_budget_yuan,
    projects.current_budget_text,
    cast(projects.current_budget * projects.yuan_per_unit as decimal(18, 2)) as current_budget_yuan,
    projects.printed_unit,
    projects.budget_change,
    projects.main_content
from {{ source('raw', 'performance_projects') }} as projects
inner join {{ ref('dim_document') }} as documents using (document_id)
where {{ only_documents_to_build('projects.document_id') }}
