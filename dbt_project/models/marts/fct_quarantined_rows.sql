-- The quarantine as one table: every row a parser refused — not dropped — with its feed, release, file, row number,
-- column, rule, value and reason. Rows of the in-year finance returns carry restricted data and are marked so.
select
    feed_folder,
    table_name,
    partition_key,
    source_sha256,
    file,
    source_row,
    column_name,
    rule,
    cell_value,
    reason,
    record,
    case when feed_folder = 'finance' and table_name = 'monthly_returns' then 'restricted' else 'public' end as access
from {{ ref('stg_quality__quarantine') }}
where table_name is not null and table_name <> ''
