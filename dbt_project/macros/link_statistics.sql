{#-
  The 2×2 link statistics (DOMAIN.md, "health-economy condition and the link to trust failure"), in portable SQL.

  `counts` names a relation with one row per table (its `keys`: the period, by default) and the four cells:
      a = failing trusts in failing economies      b = failing trusts in other economies
      c = other trusts in failing economies        d = other trusts in other economies
  Gives, per table: relative risk (of a trust failing, failing economy vs other) and odds ratio with 95%
  confidence intervals (Katz and Woolf; a 0.5 continuity correction on every cell when any cell is zero), Fisher's
  exact two-sided p-value (the tables with the same margins no more likely than the one observed, as SciPy sums
  them), and the share of failing trusts that sit in failing economies. Checked against SciPy in tests/models.
  A table with an empty row or column (no trust classified; none failing, or all; no economy failing, or all) says
  nothing about a link: `estimable` is false and the ratios and their intervals are NULL, as SciPy's are NaN, not
  the 1 the correction alone would give (which would read as "no link" where nothing was measured).
-#}
{% macro link_statistics(counts, keys=['period']) %}
{%- set z = var('link_ci_z') -%}
with counts as (
    select
        {{ _link_keys(keys) }}, a, b, c, d,
        a + b + c + d as n,
        a + b as failing_trusts,
        a + c as trusts_in_failing_economies,
        a + b > 0 and c + d > 0 and a + c > 0 and b + d > 0 as estimable,
        -- a double, not a decimal literal: Spark would carry decimals (six places) through every ratio below
        case when a = 0 or b = 0 or c = 0 or d = 0 then cast(0.5 as double) else cast(0 as double) end as correction
    from {{ counts }}
),

numbers as (
    {{ numbers_from_zero(var('link_max_table_total')) }}
),

log_factorials as (
    select
        k,
        sum(case when k = 0 then 0.0 else ln(k) end)
            over (order by k rows between unbounded preceding and current row) as log_factorial
    from numbers
),

-- every table with the observed margins, by its top-left cell x, with its hypergeometric log-probability
same_margins as (
    select
        {{ _link_keys(keys, 'counts') }},
        x.k as x,
        lf_r.log_factorial + lf_nr.log_factorial + lf_c.log_factorial + lf_nc.log_factorial - lf_n.log_factorial
            - lf_x.log_factorial - lf_rx.log_factorial - lf_cx.log_factorial - lf_rest.log_factorial as log_p
    from counts
    inner join numbers as x
        on x.k between greatest(0, counts.failing_trusts + counts.trusts_in_failing_economies - counts.n)
                   and least(counts.failing_trusts, counts.trusts_in_failing_economies)
    inner join log_factorials as lf_r on lf_r.k = counts.failing_trusts
    inner join log_factorials as lf_nr on lf_nr.k = counts.n - counts.failing_trusts
    inner join log_factorials as lf_c on lf_c.k = counts.trusts_in_failing_economies
    inner join log_factorials as lf_nc on lf_nc.k = counts.n - counts.trusts_in_failing_economies
    inner join log_factorials as lf_n on lf_n.k = counts.n
    inner join log_factorials as lf_x on lf_x.k = x.k
    inner join log_factorials as lf_rx on lf_rx.k = counts.failing_trusts - x.k
    inner join log_factorials as lf_cx on lf_cx.k = counts.trusts_in_failing_economies - x.k
    inner join log_factorials as lf_rest
        on lf_rest.k = counts.n - counts.failing_trusts - counts.trusts_in_failing_economies + x.k
),

fisher_terms as (
    select
        {{ _link_keys(keys, 'tables') }},
        tables.x,
        case when tables.log_p <= observed.log_p + ln(1 + 1e-7) then exp(tables.log_p) else 0 end as term
    from same_margins as tables
    inner join counts on {{ _link_on(keys, 'counts', 'tables') }}
    inner join same_margins as observed on {{ _link_on(keys, 'observed', 'tables') }} and observed.x = counts.a
),

-- summed in the order of x (a running sum; the terms are never negative, so its last value is the total): a sum
-- of doubles in whatever order the rows came would differ in its last digits from run to run
fisher_running as (
    select
        {{ _link_keys(keys) }},
        sum(term) over (partition by {{ _link_keys(keys) }} order by x rows between unbounded preceding and current row) as running
    from fisher_terms
),

fisher as (
    select {{ _link_keys(keys) }}, least(1.0, max(running)) as fisher_p
    from fisher_running
    group by {{ _link_keys(keys) }}
),

-- an empty row or column: no ratio (NULL cells make every estimate below NULL)
corrected as (
    select
        {{ _link_keys(keys) }}, a, b, c, d, estimable,
        case when estimable then a + correction end as ca, case when estimable then b + correction end as cb,
        case when estimable then c + correction end as cc, case when estimable then d + correction end as cd
    from counts
),

estimates as (
    select
        {{ _link_keys(keys) }}, a, b, c, d, estimable,
        (ca / (ca + cc)) / (cb / (cb + cd)) as relative_risk,
        sqrt(1.0 / ca - 1.0 / (ca + cc) + 1.0 / cb - 1.0 / (cb + cd)) as log_rr_se,
        (ca * cd) / (cb * cc) as odds_ratio,
        sqrt(1.0 / ca + 1.0 / cb + 1.0 / cc + 1.0 / cd) as log_or_se
    from corrected
)

select
    {{ _link_keys(keys, 'estimates') }},
    estimates.a as n_failing_in_failing,
    estimates.b as n_failing_in_other,
    estimates.c as n_ok_in_failing,
    estimates.d as n_ok_in_other,
    estimates.estimable,
    estimates.relative_risk,
    exp(ln(estimates.relative_risk) - {{ z }} * estimates.log_rr_se) as rr_ci_low,
    exp(ln(estimates.relative_risk) + {{ z }} * estimates.log_rr_se) as rr_ci_high,
    estimates.odds_ratio,
    exp(ln(estimates.odds_ratio) - {{ z }} * estimates.log_or_se) as or_ci_low,
    exp(ln(estimates.odds_ratio) + {{ z }} * estimates.log_or_se) as or_ci_high,
    fisher.fisher_p,
    case when estimates.a + estimates.b > 0
         then cast(estimates.a as double) / (estimates.a + estimates.b) end as share_failing_in_failing_economies
from estimates
inner join fisher on {{ _link_on(keys, 'fisher', 'estimates') }}
{% endmacro %}

{#- The key columns of a link table (`relation.` before each where given), and two relations joined on them. -#}
{% macro _link_keys(keys, relation=none) -%}
{%- for key in keys %}{{ relation ~ '.' if relation }}{{ key }}{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}

{% macro _link_on(keys, left, right) -%}
{%- for key in keys %}{{ left }}.{{ key }} = {{ right }}.{{ key }}{{ ' and ' if not loop.last }}{% endfor -%}
{%- endmacro %}


{#- 0, 1, …, n as column k, from digits (portable: no generate_series, which engines spell differently). -#}
{% macro numbers_from_zero(n) %}
select ones.d + 10 * tens.d + 100 * hundreds.d + 1000 * thousands.d as k
from {{ _digits() }} as ones
cross join {{ _digits() }} as tens
cross join {{ _digits() }} as hundreds
cross join {{ _digits() }} as thousands
where ones.d + 10 * tens.d + 100 * hundreds.d + 1000 * thousands.d <= {{ n }}
{% endmacro %}

{% macro _digits() %}
(select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
 union all select 5 union all select 6 union all select 7 union all select 8 union all select 9)
{% endmacro %}
