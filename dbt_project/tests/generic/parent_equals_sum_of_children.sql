{#-
    Every coded row equals the sum of its direct children (the longest codes that
    extend it within the same group), within a tolerance per child: e.g. a 类 row and
    its 款 rows of one table column. Returns the parents that do not add up.
    arguments:
      code_column: the hierarchical code (201 / 20105 / 2010507)
      amount_column: the amount
      group_by: columns that delimit one hierarchy (table, column …)
      tolerance_per_child: SQL expression of the allowed difference per child (e.g. half
        a printed unit), evaluated on the parent row; 0 for exact
-#}
{% test parent_equals_sum_of_children(model, code_column, amount_column, group_by, tolerance_per_child='0') %}
with coded as (
    select
        {{ group_by | join(', ') }},
        {{ code_column }} as code,
        {{ amount_column }} as amount,
        {{ tolerance_per_child }} as tolerance
    from {{ model }}
    where {{ code_column }} is not null
),

children as (
    select
        {% for column in group_by %}parent.{{ column }}, {% endfor %}
        parent.code,
        parent.amount,
        parent.tolerance,
        child.amount as child_amount
    from coded as parent
    inner join coded as child
        on {% for column in group_by %}parent.{{ column }} = child.{{ column }} and {% endfor %}
        length(child.code) > length(parent.code)
        and starts_with(child.code, parent.code)
    where not exists (
        select 1 from coded as middle
        where {% for column in group_by %}middle.{{ column }} = parent.{{ column }} and {% endfor %}
            length(middle.code) > length(parent.code)
            and length(middle.code) < length(child.code)
            and starts_with(child.code, middle.code)
            and starts_with(middle.code, parent.code)
    )
)

select
    {{ group_by | join(', ') }},
    code,
    any_value(amount) as printed,
    sum(child_amount) as sum_of_children,
    count(*) as children
from children
group by {{ group_by | join(', ') }}, code
having abs(any_value(amount) - sum(child_amount)) > count(*) * any_value(tolerance)
{% endtest %}
