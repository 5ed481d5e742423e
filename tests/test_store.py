"""Tests of orgaccess.formats.store: the activity store equals reading every file.

The reference in every differential test is
:func:`orgaccess.formats.activity.read_activity` over the same files into
``ActivityIndex(until=T)``: what a report reading every file sees.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from _store_data import (
    ACCOUNTS,
    REAL,
    T0,
    content,
    entries,
    expected_index,
    random_logs,
    record,
    write_log,
    write_rows,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from orgaccess.engine.report import ReportOptions, build_report
from orgaccess.errors import ActivityHorizonError, StoreBusyError, StoreError
from orgaccess.formats.snapshot import example_organization
from orgaccess.formats.store import SCHEMA_VERSION, ActivityStore
from orgaccess.model.events import from_micros, to_micros

REAL_FILES = sorted(REAL.glob("*.json"))


def ingest(store_path: Path, paths: list[Path], **kwargs: object) -> object:
    with ActivityStore.open(store_path, create=True) as store:
        return store.ingest(paths, **kwargs)  # type: ignore[arg-type]


def store_index(store_path: Path, until: datetime | None) -> object:
    with ActivityStore.open(store_path, readonly=True) as store:
        return store.index(until)


# --------------------------------------------------------------------------- exactness


def creation_times(paths: list[Path]) -> list[datetime]:
    """Every attempt time, a microsecond either side, day boundaries, and before everything."""
    index = expected_index(paths, None)
    times: set[datetime] = set()
    with tempfile.TemporaryDirectory() as d:
        probe = Path(d) / "probe.db"
        with ActivityStore.open(probe, create=True) as store:
            store.ingest(paths)
            rows = store._db.execute("SELECT min_us, max_us FROM contrib").fetchall()
    for low, high in rows:
        for micros in (low, high):
            for delta in (-1, 0, 1):
                times.add(from_micros(micros + delta))
            day = micros - micros % 86_400_000_000
            times.add(from_micros(day))
            times.add(from_micros(day - 1))
    if index.latest_micros is not None:
        times.add(from_micros(index.latest_micros + 10**9))
    times.add(datetime(2000, 1, 1, tzinfo=UTC))
    return sorted(times)


def test_generated_logs_give_the_same_index_at_every_creation_time(tmp_path: Path) -> None:
    """Every T around every attempt and day boundary: the same entries as reading every file."""
    paths = random_logs(tmp_path / "logs", seed=7)
    paths.append(
        write_rows(
            tmp_path / "logs" / "rows.csv",
            [
                (ACCOUNTS[0], "s3", "us-east-1", T0 + timedelta(days=1, hours=5)),
                (ACCOUNTS[0], "s3", "eu-west-1", T0 + timedelta(days=2, hours=1)),
                (ACCOUNTS[1], "iam", "us-east-1", T0 + timedelta(hours=30)),
            ],
        )
    )
    db = tmp_path / "a.db"
    assert ingest(db, paths).rows.counted == 3  # type: ignore[attr-defined]
    times = creation_times(paths)
    assert len(times) > 100
    for when in times:
        assert entries(store_index(db, when)) == entries(expected_index(paths, when)), when


def test_real_logs_give_the_same_index_at_every_creation_time(tmp_path: Path) -> None:
    """The real corpus (tests/data/cloudtrail/real): same entries at every probed time."""
    db = tmp_path / "a.db"
    result = ingest(db, REAL_FILES)
    assert result.files_new == len(REAL_FILES)  # type: ignore[attr-defined]
    times = creation_times(REAL_FILES)
    for when in times[:: max(1, len(times) // 150)] + times[-3:]:
        assert entries(store_index(db, when)) == entries(expected_index(REAL_FILES, when)), when


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    offset=st.integers(-3600, 5 * 86400),
    split=st.integers(1, 11),
)
def test_any_creation_time_and_any_ingest_split_match_reading_every_file(
    seed: int, offset: int, split: int
) -> None:
    """Ingested in two runs or one, a store answers any creation time as the files do."""
    with tempfile.TemporaryDirectory() as d:
        paths = random_logs(Path(d) / "logs", seed=seed)
        db = Path(d) / "a.db"
        ingest(db, paths[:split])
        ingest(db, paths)
        when = T0 + timedelta(seconds=offset)
        assert entries(store_index(db, when)) == entries(expected_index(paths, when))
        with ActivityStore.open(db, readonly=True) as store:
            load = store.load(when)
        ref = expected_index(paths, when)
        assert load.after_until == ref.after_until


def test_reports_from_the_store_equal_reports_from_the_files(tmp_path: Path) -> None:
    """build_report over store.index(T) equals build_report over the files, T inside a file."""
    paths = random_logs(tmp_path / "logs", seed=3, files=20, records=40)
    db = tmp_path / "a.db"
    ingest(db, paths)
    org = example_organization()
    options = ReportOptions(tracking_days=1)
    times = creation_times(paths)
    for when in times[:: max(1, len(times) // 40)]:
        for entity in ("o-exampleorg1/r-ex12", "o-exampleorg1/r-ex12/ou-ex12-workloads"):
            mine = build_report(org, store_index(db, when), entity, created=when, options=options)
            ref = build_report(
                org, expected_index(paths, when), entity, created=when, options=options
            )
            assert mine == ref


def test_a_creation_time_inside_a_file_reads_only_that_file_again(tmp_path: Path) -> None:
    early = write_log(
        tmp_path / "a.json", [record(ACCOUNTS[0], "s3.amazonaws.com", "us-east-1", T0)]
    )
    span = write_log(
        tmp_path / "b.json",
        [
            record(ACCOUNTS[0], "s3.amazonaws.com", "eu-west-1", T0 + timedelta(minutes=1)),
            record(ACCOUNTS[0], "s3.amazonaws.com", "us-west-2", T0 + timedelta(minutes=5)),
        ],
    )
    db = tmp_path / "a.db"
    ingest(db, [early, span])
    with ActivityStore.open(db, readonly=True) as store:
        inside = store.load(T0 + timedelta(minutes=2))
        after = store.load(T0 + timedelta(minutes=6))
    assert inside.files_reread == (str(span),)
    assert inside.index.get(ACCOUNTS[0], "s3").region == "eu-west-1"  # type: ignore[union-attr]
    assert inside.after_until == 1
    assert after.files_reread == ()
    assert after.index.get(ACCOUNTS[0], "s3").region == "us-west-2"  # type: ignore[union-attr]


def test_a_creation_time_inside_a_file_that_changed_is_an_error_not_a_guess(
    tmp_path: Path,
) -> None:
    path = write_log(
        tmp_path / "b.json",
        [
            record(ACCOUNTS[0], "s3.amazonaws.com", "eu-west-1", T0),
            record(ACCOUNTS[0], "s3.amazonaws.com", "us-west-2", T0 + timedelta(minutes=5)),
        ],
    )
    db = tmp_path / "a.db"
    ingest(db, [path])
    write_log(path, [record(ACCOUNTS[1], "ec2.amazonaws.com", "eu-west-1", T0)])
    with ActivityStore.open(db, readonly=True) as store:
        with pytest.raises(ActivityHorizonError, match=r"b\.json.*changed"):
            store.index(T0 + timedelta(minutes=1))
        assert store.index(T0 + timedelta(minutes=5)).get(ACCOUNTS[0], "s3") is not None
    path.unlink()
    with ActivityStore.open(db, readonly=True) as store, pytest.raises(ActivityHorizonError):
        store.index(T0 + timedelta(minutes=1))


def test_rows_on_several_days_keep_each_day(tmp_path: Path) -> None:
    """An aggregated-rows file with one pair on two days answers a time between them."""
    path = write_rows(
        tmp_path / "r.csv",
        [
            (ACCOUNTS[0], "s3", "us-east-1", T0),
            (ACCOUNTS[0], "s3", "eu-west-1", T0 + timedelta(days=3)),
        ],
    )
    db = tmp_path / "a.db"
    ingest(db, [path])
    between = store_index(db, T0 + timedelta(days=1))
    assert between.get(ACCOUNTS[0], "s3").region == "us-east-1"  # type: ignore[attr-defined]
    assert entries(between) == entries(expected_index([path], T0 + timedelta(days=1)))


# --------------------------------------------------------------------------- reruns


def test_a_rerun_reads_nothing_and_says_how_many_it_skipped(tmp_path: Path) -> None:
    paths = random_logs(tmp_path / "logs", seed=1)
    db = tmp_path / "a.db"
    first = ingest(db, [tmp_path / "logs"])
    before = content(db)
    again = ingest(db, [tmp_path / "logs"])
    assert first.files_new == len(paths)  # type: ignore[attr-defined]
    assert again.files_read == 0  # type: ignore[attr-defined]
    assert again.files_unchanged == len(paths)  # type: ignore[attr-defined]
    assert again.cloudtrail.records_read == 0  # type: ignore[attr-defined]
    assert content(db) == before


def test_a_new_file_is_the_only_one_read(tmp_path: Path) -> None:
    paths = random_logs(tmp_path / "logs", seed=2)
    db = tmp_path / "a.db"
    ingest(db, [tmp_path / "logs"])
    extra = write_log(
        tmp_path / "logs" / "zz.json", [record(ACCOUNTS[2], "sts.amazonaws.com", "us-east-1", T0)]
    )
    result = ingest(db, [tmp_path / "logs"])
    assert result.files_new == 1  # type: ignore[attr-defined]
    assert result.files_unchanged == len(paths)  # type: ignore[attr-defined]
    fresh = tmp_path / "fresh.db"
    ingest(fresh, [*paths, extra])
    assert content(db) == content(fresh)


def test_a_changed_file_replaces_its_contribution_exactly(tmp_path: Path) -> None:
    """Same path, other content: the old records are gone, the new counted once."""
    paths = random_logs(tmp_path / "logs", seed=4)
    db = tmp_path / "a.db"
    ingest(db, [tmp_path / "logs"])
    # the later attempt of this file disappears: an earlier one must show again
    write_log(paths[0], [record(ACCOUNTS[3], "lambda.amazonaws.com", "us-west-2", T0)])
    os.utime(paths[0], ns=(1, 1))
    result = ingest(db, [tmp_path / "logs"])
    assert [(c.path, c.reason) for c in result.changed] == [(str(paths[0]), "content")]  # type: ignore[attr-defined]
    assert result.files_unchanged == len(paths) - 1  # type: ignore[attr-defined]
    fresh = tmp_path / "fresh.db"
    ingest(fresh, paths)
    assert content(db) == content(fresh)
    for when in creation_times(paths)[::7]:
        assert entries(store_index(db, when)) == entries(expected_index(paths, when))


def test_same_size_and_mtime_is_trusted_unless_verify(tmp_path: Path) -> None:
    path = write_log(
        tmp_path / "a.json", [record(ACCOUNTS[0], "s3.amazonaws.com", "us-east-1", T0)]
    )
    db = tmp_path / "a.db"
    ingest(db, [path])
    stat = path.stat()
    path.write_text(path.read_text().replace(ACCOUNTS[0], ACCOUNTS[1]))  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert ingest(db, [path]).files_read == 0  # type: ignore[attr-defined]
    verified = ingest(db, [path], verify=True)
    assert [c.reason for c in verified.changed] == ["content"]  # type: ignore[attr-defined]
    assert store_index(db, None).get(ACCOUNTS[1], "s3") is not None  # type: ignore[attr-defined]
    assert store_index(db, None).get(ACCOUNTS[0], "s3") is None  # type: ignore[attr-defined]


def test_a_touched_file_with_the_same_content_is_not_read_again(tmp_path: Path) -> None:
    path = write_log(
        tmp_path / "a.json", [record(ACCOUNTS[0], "s3.amazonaws.com", "us-east-1", T0)]
    )
    db = tmp_path / "a.db"
    ingest(db, [path])
    os.utime(path, ns=(10**18, 10**18))
    result = ingest(db, [path])
    assert result.files_read == 0  # type: ignore[attr-defined]
    assert result.files_unchanged == 1  # type: ignore[attr-defined]


def test_other_reading_options_read_a_file_again(tmp_path: Path) -> None:
    path = write_log(
        tmp_path / "a.json", [record(ACCOUNTS[0], "s3.amazonaws.com", "us-east-1", T0)]
    )
    db = tmp_path / "a.db"
    ingest(db, [path], known_namespaces=["ec2"])
    assert len(store_index(db, None)) == 0  # type: ignore[arg-type]
    result = ingest(db, [path], known_namespaces=["s3"])
    assert [c.reason for c in result.changed] == ["options"]  # type: ignore[attr-defined]
    assert len(store_index(db, None)) == 1  # type: ignore[arg-type]


def test_ingest_summaries_add_up_to_reading_every_file(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    result = ingest(db, REAL_FILES)
    ref = expected_index(REAL_FILES, None)
    assert result.cloudtrail.counted == ref.events_folded  # type: ignore[attr-defined]
    summary = result.cloudtrail  # type: ignore[attr-defined]
    assert summary.counted + sum(summary.skipped.values()) == summary.records_read


# --------------------------------------------------------------------------- not a store


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: p.write_text("hello\n"), id="text"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(
            lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.commit(),
            id="another-sqlite-db",
        ),
    ],
)
def test_a_file_that_is_not_a_store_is_an_error_and_left_as_it_is(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.db"
    make(path)
    before = path.read_bytes()
    for readonly in (True, False):
        with pytest.raises(StoreError, match="not an orgaccess activity store"):
            ActivityStore.open(path, create=True, readonly=readonly)
    assert path.read_bytes() == before


def test_a_store_of_another_schema_version_is_an_error_and_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    ingest(path, [])
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}.*0.1.0"):
        ActivityStore.open(path, create=True)
    assert path.read_bytes() == before


def test_a_missing_store_is_made_only_when_asked(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such activity store"):
        ActivityStore.open(tmp_path / "none.db")
    assert not (tmp_path / "none.db").exists()


def test_a_writer_that_holds_the_lock_makes_another_wait_then_fail_clearly(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    ingest(path, [])
    log = write_log(tmp_path / "a.json", [record(ACCOUNTS[0], "s3.amazonaws.com", "us-east-1", T0)])
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with (
            ActivityStore.open(path, busy_timeout=0.2) as store,
            pytest.raises(StoreBusyError, match=r"busy.*another orgaccess ingest"),
        ):
            store.ingest([log])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert ingest(path, [log]).files_new == 1  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- prune


def test_prune_keeps_every_report_whose_period_starts_after_the_date(tmp_path: Path) -> None:
    paths = random_logs(tmp_path / "logs", seed=5, days=6)
    db = tmp_path / "a.db"
    ingest(db, paths)
    cut = T0 + timedelta(days=3)
    with ActivityStore.open(db) as store:
        result = store.prune(cut)
        assert result.buckets_dropped > 0
        with pytest.raises(StoreError, match="pruned"):
            store.check_window(cut - timedelta(seconds=1))
        store.check_window(cut)
    org = example_organization()
    for when in creation_times(paths)[::5]:
        if when < cut:
            continue
        days = (when - cut).days
        options = ReportOptions(tracking_days=days)
        mine = build_report(
            org, store_index(db, when), "o-exampleorg1/r-ex12", created=when, options=options
        )
        ref = build_report(
            org, expected_index(paths, when), "o-exampleorg1/r-ex12", created=when, options=options
        )
        assert mine == ref
    # the pruned files stay recorded: a rerun reads nothing and brings nothing back
    again = ingest(db, paths)
    assert again.files_read == 0  # type: ignore[attr-defined]
    with ActivityStore.open(db, readonly=True) as store:
        low = store._db.execute("SELECT min(max_us) FROM bucket").fetchone()[0]
        assert low >= to_micros(cut)
        assert store.info().pruned_before == cut


def test_info_counts_files_records_accounts_and_services(tmp_path: Path) -> None:
    paths = random_logs(tmp_path / "logs", seed=6)
    db = tmp_path / "a.db"
    ingest(db, paths)
    ref = expected_index(paths, None)
    with ActivityStore.open(db, readonly=True) as store:
        info = store.info()
    assert info.files == len(paths)
    assert info.accounts == tuple(sorted(str(a) for a in ref.accounts))
    assert info.services == tuple(sorted({n for (_a, n), _l in ref.items()}))
    assert info.latest == from_micros(ref.latest_micros)  # type: ignore[arg-type]
    records = sum(len(json.loads(p.read_text())["Records"]) for p in paths)
    assert info.records_read == records
    wal = Path(f"{db}-wal")
    assert info.size_bytes == os.path.getsize(db) + (wal.stat().st_size if wal.exists() else 0)
