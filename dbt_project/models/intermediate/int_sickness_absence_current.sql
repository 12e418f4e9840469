-- Sickness absence per organisation and month as known now: the latest release's figure for each.
with current_versions as (
    {{ known_as_of(ref('stg_workforce__sickness_absence'), ['org_code', 'month_end']) }}
)

select * from current_versions
