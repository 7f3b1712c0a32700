-- Every table instance with its document's context.
select
    tables.table_id,
    tables.document_id,
    tables.ordinal,
    tables.kind as table_kind,
    tables.label as table_label,
    tables.title as table_title,
    coalesce(tables.fiscal_year, documents.fiscal_year) as fiscal_year,
    tables.printed_unit,
    tables.yuan_per_unit,
    tables.unit_source,
    tables.first_page,
    tables.last_page,
    tables.is_empty,
    documents.department,
    documents.kind as document_kind,
    documents.phase as document_phase,
    documents.loaded_at as document_loaded_at
from {{ source('raw', 'tables') }} as tables
inner join {{ source('raw', 'documents') }} as documents using (document_id)
