-- No fact row is a parent (a row with printed children in its table) or a total row:
-- those are what the identities verify. Returns the offending figures.
with fact_keys as (
    select figure_key from {{ ref('fact_expenditure') }}
    union all
    select figure_key from {{ ref('fact_income') }}
    union all
    select figure_key from {{ ref('fact_project_expenditure') }}
),

figures as (
    select * from {{ ref('published_figures') }}
)

select figures.*
from fact_keys
inner join figures using (figure_key)
where figures.is_total
    or exists (
        select 1 from figures as child
        where child.table_id = figures.table_id
            and child.part = figures.part
            and child.code_kind = figures.code_kind
            and child.code_kind <> 'project'
            and length(child.row_code) > length(figures.row_code)
            and starts_with(child.row_code, figures.row_code)
    )
    or (figures.code_kind = 'project' and figures.code_level <> '二级')
