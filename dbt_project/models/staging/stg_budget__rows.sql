-- One row per printed body row: its code (split 类/款/项 columns joined) and its label.
with label_cells as (
    select *
    from {{ ref('stg_budget__cells') }}
    where is_label_column
),

rows as (
    select
        table_id,
        row_index,
        min(page) as page,
        string_agg(
            case
                when regexp_matches(column_leaf, '(编码|代码|^类$|^款$|^项$)')
                    then trim(replace(printed_text, '　', ''))
            end,
            '' order by col_index
        ) as row_code,
        arg_min(printed_text, col_index)
            filter (where regexp_matches(column_leaf, '(名称|^项目$)')) as printed_label
    from label_cells
    group by table_id, row_index
)

select
    table_id,
    row_index,
    page,
    nullif(row_code, '') as row_code,
    trim(replace(printed_label, '　', ' ')) as row_label,
    -- hierarchy printed as leading full-width spaces
    length(printed_label) - length(ltrim(printed_label, '　')) as indent_level
from rows
