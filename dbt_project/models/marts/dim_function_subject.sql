-- 支出功能分类科目 as printed, versioned by fiscal year (the national list changes yearly).
-- Only printed codes are members (a subject printed by name alone has no code to key it).
-- A code whose parent no document of that year prints keeps its row, with parent_key
-- null and parent_printed false: the identities report it, the build does not fail.
with printed as (
    select fiscal_year, code, name, level
    from {{ ref('int_budget__dimension_members') }}
    where member_kind = 'function_subject' and code is not null and fiscal_year is not null
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
    cast(subjects.fiscal_year as varchar) || ':' || subjects.code as function_subject_key,
    subjects.fiscal_year,
    subjects.code,
    subjects.name,
    subjects.level,
    subjects.parent_code,
    case when parents.code is not null then cast(subjects.fiscal_year as varchar) || ':' || parents.code end
        as parent_key,
    subjects.parent_code is null or parents.code is not null as parent_printed
from subjects
left join subjects as parents
    on parents.fiscal_year = subjects.fiscal_year
    and parents.code = subjects.parent_code
