-- What money is spent as: 基本支出 (人员经费 / 公用经费), 项目支出, and the other printed types.
select expenditure_type_code, name_zh, name_en, expenditure_group
from {{ ref('expenditure_types') }}
