"""The aggregation SQL: an archive of CloudTrail too large for one machine, in Athena or Spark.

:func:`aggregation_sql` returns a query that reduces CloudTrail records to one
row per (account, event source, region) with the latest attempt, the rows
:func:`~orgaccess.formats.rows.read_aggregated_rows` reads (``orgaccess
report --events rows.csv``). It applies the reader's rules for which records
count (semantics section 4; :mod:`orgaccess.formats.cloudtrail`), in SQL:

* no service or Insights events (``eventType`` ``AwsServiceEvent``,
  ``AwsCloudTrailInsight``): no principal made them;
* a ``userIdentity`` with a non-empty ``type`` other than ``AWSService``
  (calls AWS services make themselves do not count, internal calls without
  a type are no principal's);
* a 12-digit ``userIdentity.accountId`` (anonymous and federated records
  without an account are not authenticated principals);
* not a failed console sign-in (``eventName = 'ConsoleLogin'`` with
  ``responseElements.ConsoleLogin = 'Failure'``);
* a non-blank ``eventSource`` and ``awsRegion`` and a readable ``eventTime``.

The event source is emitted as it is (``event_source``) and mapped to an
IAM namespace by the row reader, with the same table as CloudTrail files, so
unknown sources and ``signin`` are skipped there as ``UNKNOWN_SERVICE``.
Times come out in UTC; the reader takes the latest per (account, namespace),
the smallest region at the same instant.

Dialects: ``athena`` (Athena engine 3 / Trino) over the CloudTrail table of
``docs/howto/athena.md`` (columns as AWS documents them: lower-case names,
``useridentity`` a struct, ``responseelements`` the JSON text), and
``spark`` (Spark SQL) over a view with the same columns, read with
``responseElements`` as a string; it sets the session time zone to UTC.

>>> print(aggregation_sql("athena", table="trail").splitlines()[0])
-- orgaccess: latest attempt per (account, event source, region), Athena / Trino
"""

from __future__ import annotations

import re
from typing import Final, Literal

from ..errors import ConfigurationError

__all__ = ["DIALECTS", "Dialect", "aggregation_sql"]

Dialect = Literal["athena", "spark"]
#: The dialects :func:`aggregation_sql` writes.
DIALECTS: Final = ("athena", "spark")

_ATHENA: Final = """\
-- orgaccess: latest attempt per (account, event source, region), Athena / Trino
-- Save the result as CSV and read it with: orgaccess report --events result.csv ...
SELECT
  useridentity.accountid AS account_id,
  eventsource AS event_source,
  awsregion AS region,
  to_iso8601(max(try(from_iso8601_timestamp(eventtime)))) AS last_attempt
FROM {table}
WHERE coalesce(eventtype, '') NOT IN ('AwsServiceEvent', 'AwsCloudTrailInsight')
  AND useridentity IS NOT NULL
  AND coalesce(useridentity.type, '') NOT IN ('', 'AWSService')
  AND regexp_like(useridentity.accountid, '^[0-9]{{12}}$')
  AND NOT (
    coalesce(eventname, '') = 'ConsoleLogin'
    AND coalesce(json_extract_scalar(responseelements, '$.ConsoleLogin'), '') = 'Failure'
  )
  AND trim(coalesce(eventsource, '')) <> ''
  AND trim(coalesce(awsregion, '')) <> ''
  AND try(from_iso8601_timestamp(eventtime)) IS NOT NULL
GROUP BY 1, 2, 3
"""

_SPARK: Final = """\
-- orgaccess: latest attempt per (account, event source, region), Spark SQL
-- Save the result as CSV and read it with: orgaccess report --events result.csv ...
SET spark.sql.session.timeZone = UTC;
SELECT
  userIdentity.accountId AS account_id,
  eventSource AS event_source,
  awsRegion AS region,
  date_format(max(to_timestamp(eventTime)), "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX") AS last_attempt
FROM {table}
WHERE coalesce(eventType, '') NOT IN ('AwsServiceEvent', 'AwsCloudTrailInsight')
  AND userIdentity IS NOT NULL
  AND coalesce(userIdentity.type, '') NOT IN ('', 'AWSService')
  AND userIdentity.accountId RLIKE '^[0-9]{{12}}$'
  AND NOT (
    coalesce(eventName, '') = 'ConsoleLogin'
    AND coalesce(get_json_object(responseElements, '$.ConsoleLogin'), '') = 'Failure'
  )
  AND trim(coalesce(eventSource, '')) <> ''
  AND trim(coalesce(awsRegion, '')) <> ''
  AND to_timestamp(eventTime) IS NOT NULL
GROUP BY 1, 2, 3
"""

_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}")


def aggregation_sql(dialect: str, *, table: str = "cloudtrail_logs") -> str:
    """The aggregation query in ``dialect`` (``athena`` or ``spark``) over ``table``.

    ``table`` is a plain (optionally qualified) name: ``db.cloudtrail_logs``.
    """
    if dialect not in DIALECTS:
        raise ConfigurationError(
            f"dialect must be one of {', '.join(DIALECTS)}, got {dialect!r:.40}"
        )
    if not isinstance(table, str) or _TABLE.fullmatch(table) is None:
        raise ConfigurationError(
            f"table must be a name such as cloudtrail_logs or db.cloudtrail_logs, got {table!r:.60}"
        )
    template = _ATHENA if dialect == "athena" else _SPARK
    return template.format(table=table)
