-- Every figure quoted in a document's narrative, with its amount in yuan where it is money.
select
    document_id || ':n' || cast(ordinal as varchar) as narrative_figure_key,
    document_id,
    ordinal,
    page,
    section,
    paragraph,
    paragraph,
    sentence,
    printed_text,
    printed_number,
    printed_decimals,
    printed_unit,
    yuan_per_unit,
    cast(printed_number * yuan_per_unit as decimal(18, 2)) as amount_yuan,
    role,
    subject,
    subject_kind,
    subject_path,
    fiscal_year,
    compared_year,
    compared_basis,
    direction,
    case when anchor_ordinal is not null then document_id || ':n' || cast(anchor_ordinal as varchar) end
        as anchor_figure_key,
    case when parent_ordinal is not null then document_id || ':n' || cast(parent_ordinal as varchar) end
        as parent_figure_key,
    qualifier
from {{ source('raw', 'narrative_figures') }}
