-- Rows that are facts: coded rows with no printed child in the same table (a 项, or a
-- 款 printed without 项 …; a 单位 under its 部门), and 二级 projects; of subjects printed
-- by name alone, with the hierarchy shown by indentation, those not followed by a
-- deeper-indented row. Parents and totals are what the identities verify, never facts.
with rows as (
    select table_id, row_index, part, row_code, code_kind, code_level, indent_level
    from {{ ref('stg_budget__rows') }}
    where code_level is not null and not is_total
),

coded as (
    select * from rows where row_code is not null
),

named as (
    select
        *,
        lead(indent_level) over (partition by table_id, part order by row_index) as next_indent
    from rows
    where row_code is null
)

select
    parent.table_id,
    parent.row_index,
    parent.part,
    parent.row_code,
    parent.code_kind,
    parent.code_level
from coded as parent
where
    case
        when parent.code_kind = 'project' then parent.code_level = '二级'
        else not exists (
            select 1
            from coded as child
            where child.table_id = parent.table_id
                and child.part = parent.part
                and length(child.row_code) > length(parent.row_code)
                and starts_with(child.row_code, parent.row_code)
        )
    end

union all

select table_id, row_index, part, row_code, code_kind, code_level
from named
where next_indent is null or next_indent <= indent_level
