-- Every printed number with its row (code, level, label) and its table's context.
select
    cells.table_id || ':' || cast(cells.row_index as varchar) || ':' || cast(cells.col_index as varchar)
        as figure_key,
    cells.document_id,
    cells.table_id,
    cells.table_kind,
    cells.table_label,
    cells.table_title,
    tables.fiscal_year,
    tables.department,
    tables.document_kind,
    tables.document_phase as phase,
    tables.document_loaded_at,
    cells.page,
    cells.row_index,
    cells.col_index,
    cells.part,
    rows.row_code,
    rows.code_kind,
    rows.code_level,
    rows.row_label,
    rows.indent_level,
    coalesce(rows.is_total, false) as is_total,
    coalesce(rows.row_period, 'current') as row_period,
    cells.column_period,
    cells.value_kind,
    cells.column_path,
    cells.column_leaf,
    cells.printed_text,
    cells.printed_unit,
    cells.amount_yuan,
    cells.x0,
    cells.y0,
    cells.x1,
    cells.y1
from {{ ref('stg_budget__cells') }} as cells
inner join {{ ref('stg_budget__tables') }} as tables using (table_id)
left join {{ ref('stg_budget__rows') }} as rows
    on cells.table_id = rows.table_id
    and cells.row_index = rows.row_index
    and cells.part = rows.part
where cells.amount_yuan is not null
