"""The nightly bookkeeping tells the truth, and one user's failure never stops another's: the
in-process runner `kith serve` uses on SQLite (the same task functions the queue workers run),
on both engines."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import msgspec

from api.db.tables import Circle, Contact, ImportRun
from api.jobs.inprocess import InProcessRunner
from api.services import nightly
from api.services.health import nightly_status
from api.services.sources import create_source
from api.services.users import find_user
from api.settings import Settings
from api.store import import_runs
from api.store import nightly_runs as store
from tests.api.test_imports import JANE_VCF
from tests.conftest import make_user

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def _roots(settings: Settings, folder: Path) -> Settings:
    """The sources live under the test's folder: the operator allows it (KITH_SOURCE_ROOTS)."""
    return replace(settings, source_roots=(folder,))


async def _user_with_folder(email: str, folder: Path) -> int:
    user = await make_user(email)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "contacts.vcf").write_bytes(JANE_VCF.read_bytes())
    await create_source(user.id, "folder", str(folder))
    return int(user.id)


async def test_a_user_with_bad_data_fails_alone_with_the_reason_and_every_other_user_runs(
    clean_db, tmp_path: Path
):
    first = await _user_with_folder("a@example.com", tmp_path / "a")
    bad = await _user_with_folder("b@example.com", tmp_path / "b")
    last = await _user_with_folder("c@example.com", tmp_path / "c")
    runner = InProcessRunner(_roots(clean_db, tmp_path), lambda: NOW)
    await runner.run(bad)  # a first run imports; then the data goes bad
    circle = await Circle.select(Circle.id).where(Circle.user == bad).first().run()
    assert circle is not None
    bad_data = {Contact.cadence_override_days: -3, Contact.circle: circle["id"]}
    await Contact.update(bad_data).where(Contact.user == bad).run()  # past the API's checks
    await runner.run(bad, force=True)
    outcomes = {o.user_id: o for o in await runner.tick()}
    assert outcomes[first].status == "ok", outcomes[first].error
    assert outcomes[last].status == "ok", outcomes[last].error
    assert bad not in outcomes or outcomes[bad].status == "failed"
    runs = await store.failed_nightly_since(bad, NOW - dt.timedelta(days=1))
    assert runs and runs[-1].error, "the failure is recorded on the user's run, with why"
    assert await store.running_nightly() == [], "no run is left running"
    status = await nightly_status(NOW, bad)
    assert status["alert"] and "failed" in str(status["alert"])
    assert (await nightly_status(NOW, first))["alert"] is None


async def test_the_tick_skips_a_user_who_ran_today_and_a_forced_run_runs_again(
    clean_db, tmp_path: Path
):
    user_id = await _user_with_folder("a@example.com", tmp_path / "a")
    runner = InProcessRunner(_roots(clean_db, tmp_path), lambda: NOW)
    assert [o.status for o in await runner.tick()] == ["ok"]
    assert await runner.tick() == [], "ran today: the tick leaves the user alone"
    assert (await runner.run(user_id, force=True)).status == "ok", "kith nightly always runs"
    reports = await import_runs.list_runs(user_id, 10)
    assert len(reports) == 2, "the forced run read the folder again"
    news = sorted(r.counts.get("new", 0) for r in reports)
    assert news[0] == 0 and news[1] > 0, "the people were imported once"


async def test_a_run_left_running_past_its_deadline_is_reported_interrupted_and_retried(
    clean_db, tmp_path: Path
):
    user_id = await _user_with_folder("a@example.com", tmp_path / "a")
    started = NOW - dt.timedelta(hours=2)
    await store.start_nightly(user_id, started)  # its process was killed
    await import_runs.start_run(user_id, None, "upload.vcf", "upload.vcf", started)
    status = await nightly_status(NOW, user_id)
    assert "interrupted" in str(status["alert"])
    assert status["interrupted_last_day"] == 1
    rows = await ImportRun.select(ImportRun.status, ImportRun.error).run()
    assert [r["status"] for r in rows] == ["interrupted"], "the stale import is closed on read"
    outcomes = await InProcessRunner(_roots(clean_db, tmp_path), lambda: NOW).tick()
    assert [(o.user_id, o.status) for o in outcomes] == [(user_id, "ok")], "and it is retried"


async def test_a_run_still_inside_its_deadline_is_not_run_twice(clean_db, tmp_path: Path):
    user_id = await _user_with_folder("a@example.com", tmp_path / "a")
    await store.start_nightly(user_id, NOW - dt.timedelta(minutes=10))
    assert await nightly.due_user_ids(NOW) == []


async def test_a_run_dated_in_the_future_does_not_suppress_todays_and_is_reported(
    clean_db, tmp_path: Path
):
    user_id = await _user_with_folder("a@example.com", tmp_path / "a")
    future = dt.datetime(2027, 6, 1, 12, tzinfo=dt.UTC)
    run_id = await store.start_nightly(user_id, future)
    await store.finish_nightly(run_id, "ok", future, {})
    assert await nightly.due_user_ids(NOW) == [user_id]
    outcomes = await InProcessRunner(_roots(clean_db, tmp_path), lambda: NOW).tick()
    assert [o.status for o in outcomes] == ["ok"]
    status = await nightly_status(NOW, user_id)
    assert status["last_run"] == NOW.isoformat(), "the real run, not the future one"
    assert "future" in str(status["alert"])


async def test_ran_today_is_the_users_own_day_not_utcs(clean_db, tmp_path: Path):
    await _user_with_folder("a@example.com", tmp_path / "a")
    user = await find_user("a@example.com")
    # 23:30 UTC on the 20th is already the 21st in Auckland (UTC+13 in November).
    kiwi = msgspec.structs.replace(user, timezone="Pacific/Auckland")
    start, end = nightly.local_day(kiwi, dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC))
    assert start == dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(hours=24)
