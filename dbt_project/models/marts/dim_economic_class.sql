-- 部门预算支出经济分类科目 (301 工资福利支出, 30101 基本工资 …) as printed.
with printed as (
    select rows.row_code as code, rows.row_label as name, rows.code_level as level
    from {{ ref('stg_budget__rows') }} as rows
    where rows.code_kind = 'economic_class'
)

select
    code as economic_class_code,
    mode(name) as name,
    any_value(level) as level,
    case when length(code) = 5 then left(code, 3) end as parent_code
from printed
group by code
