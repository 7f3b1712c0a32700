-- 支出功能分类科目 as printed, versioned by fiscal year (the national list changes yearly).
with printed as (
    select
        tables.fiscal_year,
        rows.row_code as code,
        rows.row_label as name,
        rows.code_level as level
    from {{ ref('stg_budget__rows') }} as rows
    inner join {{ ref('stg_budget__tables') }} as tables using (table_id)
    where rows.code_kind = 'function_subject' and tables.fiscal_year is not null
),

subjects as (
    select
        fiscal_year,
        code,
        mode(name) as name,
        any_value(level) as level,
        case length(code) when 7 then left(code, 5) when 5 then left(code, 3) end as parent_code
    from printed
    group by fiscal_year, code
)

select
    cast(fiscal_year as varchar) || ':' || code as function_subject_key,
    fiscal_year,
    code,
    name,
    level,
    parent_code,
    case when parent_code is not null then cast(fiscal_year as varchar) || ':' || parent_code end as parent_key
from subjects
