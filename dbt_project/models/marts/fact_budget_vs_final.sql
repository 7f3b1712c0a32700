-- Budget against actual, from the 决算 (final accounts): per function subject 类 and
-- economic class 类 (the 一般公共预算财政拨款 tables) and per “三公” item, the 决算's own
-- 年初预算数 (initial) and 调整预算数 / 全年预算数 (adjusted) beside its 决算数 (final),
-- each null where the 决算 prints no such column; and, where a 预算 of the same
-- department and year is loaded too, that budget's own figure for the same line.
with final_documents as (
    select document_id, department, fiscal_year
    from {{ ref('dim_document') }}
    where phase = 'final'
),

expenditure_lines as (
    select
        facts.document_id,
        facts.phase,
        case facts.cut when 'function_subject' then 'function_class' else 'economic_class' end as comparison,
        facts.fund_scope_code,
        -- the 类 a leaf row belongs to: its code's first three digits
        left(coalesce(split_part(facts.function_subject_key, ':', 2), facts.economic_class_code), 3) as line_code,
        facts.amount_basis,
        facts.amount_yuan
    from {{ ref('fact_expenditure') }} as facts
    where facts.cut in ('function_subject', 'economic_class') and facts.fund_scope_code = 'general_budget'
),

three_public_lines as (
    select
        document_id,
        phase,
        'three_public' as comparison,
        'general_budget' as fund_scope_code,
        three_public_item_code as line_code,
        amount_basis,
        amount_yuan
    from {{ ref('fact_three_public') }}
),

lines as (
    select * from expenditure_lines where line_code is not null
    union all
    select * from three_public_lines
),

by_basis as (
    select
        lines.document_id,
        lines.comparison,
        lines.fund_scope_code,
        lines.line_code,
        sum(lines.amount_yuan) filter (where lines.amount_basis = 'initial_budget') as initial_budget_yuan,
        sum(lines.amount_yuan) filter (where lines.amount_basis = 'adjusted_budget') as adjusted_budget_yuan,
        sum(lines.amount_yuan) filter (where lines.amount_basis = 'final') as final_yuan,
        sum(lines.amount_yuan) filter (where lines.amount_basis = 'budget') as budget_yuan
    from lines
    group by all
),

-- the current version of each separately published 预算, by department and year
budgets as (
    select document_id, department, fiscal_year
    from {{ ref('dim_document') }}
    where phase = 'budget' and is_current
),

published_budget as (
    select budgets.department, budgets.fiscal_year, budgets.document_id as budget_document_id,
           by_basis.comparison, by_basis.fund_scope_code, by_basis.line_code, by_basis.budget_yuan
    from by_basis
    inner join budgets using (document_id)
)

select
    final_documents.document_id || ':' || finals.comparison || ':' || finals.fund_scope_code || ':' || finals.line_code
        as budget_vs_final_key,
    final_documents.document_id,
    final_documents.department,
    final_documents.fiscal_year,
    finals.comparison,
    finals.fund_scope_code,
    finals.line_code,
    cast(finals.initial_budget_yuan as decimal(18, 2)) as initial_budget_yuan,
    cast(finals.adjusted_budget_yuan as decimal(18, 2)) as adjusted_budget_yuan,
    cast(finals.final_yuan as decimal(18, 2)) as final_yuan,
    cast(finals.final_yuan - coalesce(finals.adjusted_budget_yuan, finals.initial_budget_yuan) as decimal(18, 2))
        as final_minus_budget_yuan,
    published_budget.budget_document_id,
    cast(published_budget.budget_yuan as decimal(18, 2)) as published_budget_yuan
from by_basis as finals
inner join final_documents using (document_id)
left join published_budget
    on final_documents.department = published_budget.department
    and final_documents.fiscal_year = published_budget.fiscal_year
    and finals.comparison = published_budget.comparison
    and finals.fund_scope_code = published_budget.fund_scope_code
    and finals.line_code = published_budget.line_code
