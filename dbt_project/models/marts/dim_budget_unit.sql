-- Departments and their budget units: from the by-unit tables (with printed unit codes
-- such as 301001), the units executing projects, and each document's department.
select
    department || '/' || name as budget_unit_key,
    department,
    name as unit_name,
    max(code) as unit_code,
    -- 部门 when any source prints it as the department itself
    case when bool_or(level = '部门' or name = department) then '部门' else '单位' end as level
from {{ ref('int_budget__dimension_members') }}
where member_kind = 'budget_unit'
group by department, name
