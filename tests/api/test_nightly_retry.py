"""A nightly job retried after its worker died keeps one ImportRun per source for the night, on
both engines: the dead attempt's rows are written here as a SIGKILL leaves them, then the task
function runs again as Procrastinate's retry runs it (the same job id, the next attempt).
The real-process SIGKILL scenario is tests/api/test_job_queue_postgres.py."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from api.db.tables import Contact, ImportRun, NightlyRun
from api.services import nightly
from api.services.imports import import_file
from api.services.sources import create_source, run_source
from api.services.users import UserInfo
from api.settings import Settings
from api.store import import_runs
from api.store import nightly_runs as store
from tests.api.queue_harness import vcards
from tests.conftest import make_user

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
CARDS = 20
JOB = 41  # the Procrastinate job both attempts belong to


async def _user(settings: Settings, folder: Path) -> tuple[Settings, UserInfo, int]:
    user = await make_user("a@example.com")
    folder.mkdir(parents=True)
    (folder / "contacts.vcf").write_bytes(vcards(0, CARDS))
    source = await create_source(user.id, "folder", str(folder))
    return replace(settings, source_roots=(folder,)), user, source.id


async def _runs(user_id: int) -> list[dict[str, object]]:
    return list(
        await ImportRun.select().where(ImportRun.user == user_id).order_by(ImportRun.id).run()
    )


async def _contacts(user_id: int) -> int:
    return int(await Contact.count().where(Contact.user == user_id).run())


async def _retry(settings: Settings, user: UserInfo) -> nightly.Outcome:
    return await nightly.nightly_job(user.id, NOW, settings, job_id=JOB, attempt=1)


@pytest.mark.parametrize("died", ["after the import committed", "after the source was recorded"])
async def test_a_retry_after_the_worker_died_past_the_imports_commit_records_0_new_not_a_second_import(
    clean_db, tmp_path: Path, died: str
):
    settings, user, source_id = await _user(clean_db, tmp_path / "drop")
    dead = await store.start_nightly(user.id, NOW, job_id=JOB, attempt=0)
    if died == "after the import committed":  # the source's fingerprint was never recorded
        raw = (tmp_path / "drop" / "contacts.vcf").read_bytes()
        await import_file(
            user,
            raw,
            filename="contacts.vcf",
            now=NOW,
            import_source_id=source_id,
            nightly_run=dead,
        )
    else:
        await run_source(user, source_id, NOW, [tmp_path], nightly_run=dead)
    # SIGKILL here: the NightlyRun is "running", the import and its finished ImportRun committed.
    outcome = await _retry(settings, user)
    assert outcome.status == "ok", outcome.error
    [source] = outcome.sources
    assert source["counts"]["new"] == 0, "the retry records the night's import as 0 new"
    runs = await _runs(user.id)
    assert [(r["status"], r["id"]) for r in runs] == [("ok", source["import_run"])]
    assert '"new":20' in str(runs[0]["counts"]), "the one import run is the one that imported"
    assert await _contacts(user.id) == CARDS
    nights = await NightlyRun.select().order_by(NightlyRun.id).run()
    assert [(n["status"], n["attempt"]) for n in nights] == [("failed", 0), ("ok", 1)]
    assert "interrupted" in str(nights[0]["error"]), "the dead attempt says what happened to it"


async def test_a_retry_after_the_worker_died_mid_import_takes_over_its_unfinished_import_run(
    clean_db, tmp_path: Path
):
    settings, user, source_id = await _user(clean_db, tmp_path / "drop")
    dead = await store.start_nightly(user.id, NOW, job_id=JOB, attempt=0)
    unfinished = await import_runs.start_run(
        user.id, source_id, "contacts.vcf", "contacts.vcf", NOW, nightly_run=dead
    )
    # SIGKILL here: the import's transaction never committed; its ImportRun is "running".
    outcome = await _retry(settings, user)
    assert outcome.status == "ok", outcome.error
    runs = await _runs(user.id)
    assert [(r["id"], r["status"]) for r in runs] == [(unfinished, "ok")], "one row, taken over"
    assert '"new":20' in str(runs[0]["counts"])
    assert runs[0]["error"] is None and runs[0]["finished_at"] is not None
    assert await _contacts(user.id) == CARDS


async def test_a_retry_after_a_failed_attempt_runs_only_what_that_attempt_did_not_finish(
    clean_db, tmp_path: Path
):
    settings, user, done_source = await _user(clean_db, tmp_path / "drop")
    other = tmp_path / "drop" / "other"
    other.mkdir()
    (other / "more.vcf").write_bytes(vcards(1, 5))
    failing = await create_source(user.id, "folder", str(other))
    (other / "more.vcf").rename(other / "more.txt")  # the first attempt finds no export there
    first = await nightly.nightly_job(user.id, NOW, settings, job_id=JOB, attempt=0)
    assert first.status == "failed" and "no .vcf" in str(first.error)
    (other / "more.txt").rename(other / "more.vcf")
    second = await _retry(settings, user)
    assert second.status == "ok", second.error
    by_source: dict[int, list[str]] = {}
    for run in await _runs(user.id):
        by_source.setdefault(int(run["import_source"]), []).append(str(run["status"]))
    assert by_source == {done_source: ["ok"], failing.id: ["failed", "ok"]}
    assert await _contacts(user.id) == CARDS + 5


async def test_kith_nightly_by_hand_after_a_dead_attempt_runs_everything_and_leaves_nothing_running(
    clean_db, tmp_path: Path
):
    settings, user, source_id = await _user(clean_db, tmp_path / "drop")
    dead = await store.start_nightly(user.id, NOW, job_id=JOB, attempt=0)
    await import_runs.start_run(
        user.id, source_id, "contacts.vcf", "contacts.vcf", NOW, nightly_run=dead
    )
    outcome = await nightly.nightly_job(user.id, NOW, settings, force=True)
    assert outcome.status == "ok", outcome.error
    assert await _contacts(user.id) == CARDS
    statuses = [r["status"] for r in await _runs(user.id)]
    assert statuses.count("ok") == 1, statuses
    if clean_db.database_url.startswith("postgres"):
        # It holds the user's run lock: whatever of this user is still "running" is dead.
        assert statuses == ["interrupted", "ok"], statuses
    # The next attempt of the dead job finds the user done for the day.
    assert (await _retry(settings, user)).status == "skipped"
    assert await store.running_nightly() == []
    assert "running" not in [r["status"] for r in await _runs(user.id)]


async def test_kith_nightly_by_hand_beside_a_workers_run_of_the_same_user_imports_each_person_once(
    clean_db, tmp_path: Path
):
    settings, user, _ = await _user(clean_db, tmp_path / "drop")
    job, by_hand = await asyncio.gather(
        nightly.nightly_job(user.id, NOW, settings, job_id=JOB, attempt=0),
        nightly.nightly_job(user.id, NOW, settings, force=True),
    )
    assert by_hand.status == "ok", by_hand.error
    # The job is the periodic one: when the run by hand came first, the user ran today.
    assert job.status in {"ok", "skipped"}, job.error
    assert await _contacts(user.id) == CARDS, "no person imported twice"
    runs = await _runs(user.id)
    assert sorted(str(r["counts"]).count('"new":20') for r in runs)[-1:] == [1], runs
    assert sum(str(r["counts"]).count('"new":20') for r in runs) == 1, runs
    assert "running" not in [r["status"] for r in runs]
    assert await store.running_nightly() == []
    if clean_db.database_url.startswith("postgres"):
        # One user's whole run at a time across processes: the later run found the source
        # recorded (skipped), never the same file planned again beside the first (ok, 0 new).
        assert [r["status"] for r in runs] in (["ok"], ["ok", "skipped"]), runs
