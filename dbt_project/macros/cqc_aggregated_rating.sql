{#-
  CQC ratings principles (DOMAIN.md), as an aggregate over the underlying ratings of a group (the five key questions
  of a location, or a key question across a trust's locations). Key questions weigh equally; non-ratings
  ("Inspected but not rated", …) are not ratings and are not counted; callers leave inherited ratings out.
    two or more Inadequate                        → Inadequate
    one Inadequate, or two or more RI             → Requires improvement
    enough Outstanding and the rest Good          → Outstanding   (at least 2 for up to 8 ratings; beyond 8, a
                                                                    configured share — our reading, see vars)
    otherwise (no Inadequate, at most one RI)     → Good
  Every threshold is a var of dbt_project.yml (methodology v1), never a number here.
-#}
{% macro cqc_aggregated_rating(rating) %}
{%- set inadequate = "sum(case when " ~ rating ~ " = 'Inadequate' then 1 else 0 end)" -%}
{%- set ri = "sum(case when " ~ rating ~ " = 'Requires improvement' then 1 else 0 end)" -%}
{%- set outstanding = "sum(case when " ~ rating ~ " = 'Outstanding' then 1 else 0 end)" -%}
{%- set rated = "sum(case when " ~ rating ~ " in ('Outstanding', 'Good', 'Requires improvement', 'Inadequate') then 1 else 0 end)" -%}
case
    when {{ rated }} = 0 then 'No published rating'
    when {{ inadequate }} >= {{ var('cqc_inadequate_count_for_inadequate') }} then 'Inadequate'
    when {{ inadequate }} >= 1 or {{ ri }} >= {{ var('cqc_ri_count_for_ri') }} then 'Requires improvement'
    when {{ ri }} = 0
         and {{ outstanding }} >= case
             when {{ rated }} <= {{ var('cqc_outstanding_small_set_max') }}
                 then least({{ var('cqc_outstanding_count_min') }}, {{ rated }})
             else ceil({{ var('cqc_outstanding_share_large_set') }} * {{ rated }})
         end
        then 'Outstanding'
    else 'Good'
end
{%- endmacro %}
