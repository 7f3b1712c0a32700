{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_documents_to_build() }}",
) }}
-- depends_on: {{ ref('dim_document') }} (the documents to build, on an incremental build)
-- One row per figure quoted in a narrative page: what it says, where, and about what.
-- Whether it agrees with the tables is decided by the narrative checks
-- (expectations/narrative_identities.yml, results in dq.narrative_matches / dq.narrative_results).
select
    figures.narrative_figure_key,
    figures.document_id,
    documents.phase,
    documents.loaded_at as document_loaded_at,
    figures.ordinal,
    figures.page,
    figures.section,
    figures.paragraph,
    figures.sentence,
    figures.printed_text,
    figures.printed_number,
    figures.printed_decimals,
    figures.printed_unit,
    figures.yuan_per_unit,
    figures.amount_yuan,
    figures.role,
    figures.subject,
    figures.subject_kind,
    figures.subject_path,
    figures.fiscal_year,
    figures.compared_year,
    figures.compared_basis,
    figures.direction,
    figures.anchor_figure_key,
    figures.parent_figure_key,
    figures.qualifier
from {{ ref('stg_budget__narrative_figures') }} as figures
inner join {{ ref('dim_document') }} as documents using (document_id)
where {{ only_documents_to_build('figures.document_id') }}
