-- 部门预算支出经济分类科目 (301 工资福利支出, 30101 基本工资 …) as printed. Only printed codes
-- are members; a 款 whose 类 no document prints keeps its row with parent_printed false.
with printed as (
    select code, name, level
    from {{ ref('int_budget__dimension_members') }}
    where member_kind = 'economic_class' and code is not null
),

classes as (
    select
        code,
        mode(name) as name,
        any_value(level) as level,
        case length(code) when 7 then left(code, 5) when 5 then left(code, 3) end as parent_code
    from printed
    group by code
)

select
    classes.code as economic_class_code,
    classes.name,
    classes.level,
    parents.code as parent_code,
    classes.parent_code is null or parents.code is not null as parent_printed
from classes
left join classes as parents on parents.code = classes.parent_code
