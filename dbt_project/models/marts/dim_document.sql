-- One row per loaded budget document.
select
    document_id,
    source_file,
    sha256,
    department,
    -- a 单位预算 is one budget unit's own budget; a 部门预算 covers the department's units
    case when kind = '单位预算' then department end as budget_unit,
    kind,
    fiscal_year,
    page_count,
    loaded_at
from {{ source('raw', 'documents') }}
