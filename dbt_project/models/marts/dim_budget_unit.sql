-- Departments and their budget units: from the by-unit tables (with printed unit codes
-- such as 301001), the units executing projects, and each document's department.
with from_rows as (
    select
        tables.department,
        rows.row_label as unit_name,
        rows.row_code as unit_code,
        rows.code_level as level
    from {{ ref('stg_budget__rows') }} as rows
    inner join {{ ref('stg_budget__tables') }} as tables using (table_id)
    where rows.code_kind = 'budget_unit'
),

from_projects as (
    select tables.department, trim(cells.printed_text) as unit_name, null as unit_code, '单位' as level
    from {{ ref('stg_budget__cells') }} as cells
    inner join {{ ref('stg_budget__tables') }} as tables using (table_id)
    where cells.table_kind = 'projects' and cells.column_leaf = '项目单位' and trim(cells.printed_text) <> ''
),

from_documents as (
    select department, department as unit_name, null as unit_code, '部门' as level
    from {{ source('raw', 'documents') }}
    where department is not null and department <> ''
),

units as (
    select * from from_rows
    union all
    select * from from_projects
    union all
    select * from from_documents
)

select
    department || '/' || unit_name as budget_unit_key,
    department,
    unit_name,
    max(unit_code) as unit_code,
    -- 部门 when any source prints it as the department itself
    case when bool_or(level = '部门' or unit_name = department) then '部门' else '单位' end as level
from units
group by department, unit_name
