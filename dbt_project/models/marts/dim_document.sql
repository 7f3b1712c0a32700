-- One row per loaded budget document.
select
    document_id,
    source_file,
    sha256,
    department,
    -- a 单位预算 (单位决算) is one budget unit's own; a 部门预算 (部门决算) covers the department's units
    case when kind in ('单位预算', '单位决算') then department end as budget_unit,
    kind,
    -- budget (预算) or final (决算, the final accounts published a year and a half later)
    phase,
    fiscal_year,
    version,
    -- a corrected file for the same department, year and kind is a new version: analysts
    -- usually want the current one; earlier ones stay for history
    is_current,
    page_count,
    loaded_at
from {{ source('raw', 'documents') }}
