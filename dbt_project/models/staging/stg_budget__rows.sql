-- One logical row per printed body row (two for a side-by-side table): code, level, label.
select
    table_id,
    row_index,
    part,
    page,
    code as row_code,
    code_kind,
    code_level,
    other_code,
    other_code_kind,
    label as row_label,
    indent_level,
    is_total,
    coalesce(period, 'current') as row_period
from {{ source('raw', 'rows') }}
