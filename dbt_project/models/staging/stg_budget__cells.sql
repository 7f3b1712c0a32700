-- Every printed body cell with its table's context, amounts converted to yuan.
with cells as (
    select * from {{ source('raw', 'cells') }}
),

tables as (
    select * from {{ source('raw', 'tables') }}
),

columns as (
    select * from {{ source('raw', 'columns') }}
)

select
    cells.document_id,
    cells.table_id,
    tables.kind as table_kind,
    tables.label as table_label,
    tables.title as table_title,
    cells.row_index,
    cells.col_index,
    columns.column_path,
    -- the header's last level: 合计 / 基本支出 / 人员经费 …
    string_split(columns.column_path, '/')[-1] as column_leaf,
    columns.is_label as is_label_column,
    coalesce(columns.value_kind, case when columns.is_label then 'label' else 'amount' end) as value_kind,
    coalesce(columns.period, 'current') as column_period,
    columns.part,
    cells.page,
    cells.x0,
    cells.y0,
    cells.x1,
    cells.y1,
    cells.text as printed_text,
    tables.printed_unit,
    cells.printed_number,
    cast(cells.printed_number * tables.yuan_per_unit as decimal(18, 2)) as amount_yuan
from cells
inner join tables using (table_id)
inner join columns
    on cells.table_id = columns.table_id
    and cells.col_index = columns.col_index
