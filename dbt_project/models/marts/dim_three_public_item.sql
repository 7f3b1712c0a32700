-- The “三公” items and 机关运行经费.
select three_public_item_code, name_zh, name_en, is_three_public
from {{ ref('three_public_items') }}
