-- Where money comes from (一般公共预算, 事业收入 …), and the scopes a table covers.
select fund_source_code, name_zh, name_en, fund_group
from {{ ref('fund_sources') }}
