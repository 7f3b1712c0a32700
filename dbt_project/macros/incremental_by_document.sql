{#- The marts of per-document rows build incrementally: a build adds the documents whose
    load a mart does not hold yet (new, or re-extracted: the same id, a later loaded_at)
    and replaces their rows, so its cost follows the documents a load changed. Each row
    keeps the load it came from (document_loaded_at). A change to the dbt project makes
    the next load rebuild every mart (transform/assets.py passes --full-refresh). -#}

{% macro documents_to_build() %}
    select documents.document_id
    from {{ ref('dim_document') }} as documents
    where not exists (
        select 1 from {{ this }} as built
        where built.document_id = documents.document_id and built.document_loaded_at = documents.loaded_at
    )
{% endmacro %}

{#- The model's filter: every document on a full build, else those to build. -#}
{% macro only_documents_to_build(column='document_id') %}
    {%- if is_incremental() %}{{ column }} in ({{ documents_to_build() }}){% else %}true{% endif -%}
{% endmacro %}

{#- The pre-hook: the rows of the documents to build go first (a re-extracted document
    may no longer print a table), and those of documents no longer in the warehouse.
    Killed between delete and insert, the next build finds the document missing and
    builds it. -#}
{% macro delete_documents_to_build() %}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where document_id in ({{ documents_to_build() }})
        or document_id not in (select document_id from {{ ref('dim_document') }})
    {%- endif -%}
{% endmacro %}
