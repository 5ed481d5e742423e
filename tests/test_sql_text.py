"""``orgaccess sql`` and :func:`orgaccess.formats.sql.aggregation_sql` (issue 15 item 4)."""

from __future__ import annotations

import io

import pytest

from orgaccess.cli.main import main
from orgaccess.errors import ConfigurationError
from orgaccess.formats.sql import DIALECTS, aggregation_sql


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_command_prints_the_query_of_the_dialect(dialect: str) -> None:
    code, out, err = cli("sql", "--dialect", dialect, "--table", "db.trail")
    assert code == 0
    assert err == ""
    assert out == aggregation_sql(dialect, table="db.trail")
    assert "FROM db.trail\n" in out
    # the columns the row reader takes by name
    for column in ("AS account_id", "AS event_source", "AS region", "AS last_attempt"):
        assert column in out


def test_each_dialect_states_every_rule() -> None:
    athena, spark = aggregation_sql("athena"), aggregation_sql("spark")
    for text in (athena, spark):
        for rule in (
            "'AwsServiceEvent', 'AwsCloudTrailInsight'",
            "NOT IN ('', 'AWSService')",
            "'^[0-9]{12}$'",
            "'ConsoleLogin'",
            "= 'Failure'",
            "GROUP BY 1, 2, 3",
        ):
            assert rule in text
    assert "SET spark.sql.session.timeZone = UTC;" in spark
    assert "from_iso8601_timestamp" in athena


def test_a_bad_dialect_or_table_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="dialect"):
        aggregation_sql("mysql")
    with pytest.raises(ConfigurationError, match="table"):
        aggregation_sql("athena", table="x; DROP TABLE y")
    code, _, err = cli("sql", "--dialect", "mysql")
    assert code == 2
    assert "--dialect" in err
