""" "Run now" and large uploads are queued jobs on both engines: 202 with the ImportRun to poll,
one waiting "run now" per source, an upload imported once from its stored file, failures on the
run with their reason; on PostgreSQL a real `kith worker` process takes them."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from api import db
from api.app import create_app
from api.db.tables import ImportRun
from api.jobs.background import AlreadyQueued
from api.jobs.inprocess import InProcessJobs, InProcessRunner
from api.services import background
from api.services.users import find_user
from api.store import nightly_runs
from tests.api.queue_harness import KITH, ROOT, vcards
from tests.conftest import make_user, new_client, sign_in
from tests.jobs import accepted, poll, run_jobs, run_now

CARDS = 200
INLINE_MAX = 4096  # 200 cards are about 27 kB: queued; the demo files stay inline


@pytest.fixture
def app(clean_db: Any, clock: Any) -> Any:
    settings = replace(clean_db, import_inline_max_bytes=INLINE_MAX)
    return create_app(settings, clock, migrate_on_start=False, start_scheduler=False)


@contextlib.asynccontextmanager
async def held(app: Any, user_id: int) -> AsyncIterator[None]:
    """Jobs of this user wait meanwhile: in-process they queue on the user's lock (the nightly
    run's); on PostgreSQL no worker runs until `run_jobs`."""
    jobs = app.state.jobs
    if isinstance(jobs, InProcessJobs):
        async with jobs.runner.lock(user_id):
            yield
    else:
        yield


async def _folder_source(alice: Any, settings: Any, cards: int = CARDS) -> tuple[int, int]:
    user = await find_user("alice@example.com")
    assert user is not None
    folder = settings.folder_roots(user.id)[0]
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "contacts.vcf"  # the data folder outlives a test; the ids come back
    if cards:
        export.write_bytes(vcards(0, cards))
    else:
        export.unlink(missing_ok=True)
    r = await alice.post("/api/sources", json={"kind": "folder", "location": str(folder)})
    assert r.status_code == 201, r.text
    return user.id, r.json()["id"]


async def _runs_of(alice: Any) -> list[dict[str, Any]]:
    r = await alice.get("/api/imports")
    assert r.status_code == 200
    runs: list[dict[str, Any]] = r.json()
    return runs


async def _total(alice: Any) -> int:
    return int((await alice.get("/api/contacts", params={"limit": 1})).json()["total"])


def _upload(raw: bytes, name: str = "big.vcf") -> dict[str, Any]:
    return {"files": {"file": (name, raw, "text/vcard")}, "data": {"format": "auto"}}


async def test_run_now_answers_202_with_the_queued_run_and_polling_it_ends_with_the_report(
    alice: Any, app: Any
) -> None:
    _, source_id = await _folder_source(alice, app.state.settings)
    report = await run_now(alice, source_id)
    assert report["status"] == "ok", report
    assert report["counts"]["new"] == CARDS and report["filename"] == "contacts.vcf"
    assert await _total(alice) == CARDS
    assert [r["id"] for r in await _runs_of(alice)] == [report["id"]], "one run, the queued one"


async def test_a_second_run_now_while_one_is_queued_answers_with_the_queued_one(
    alice: Any, app: Any
) -> None:
    user_id, source_id = await _folder_source(alice, app.state.settings)
    async with held(app, user_id):
        first = await alice.post(f"/api/sources/{source_id}/run")
        assert first.status_code == 202, first.text
        assert first.json()["status"] == "queued"
        second = await alice.post(f"/api/sources/{source_id}/run")
        assert second.status_code == 202, "no cooldown for the run that is still waiting"
        assert second.json()["id"] == first.json()["id"]
        assert second.headers["location"] == f"/api/imports/{first.json()['id']}"
        with pytest.raises(AlreadyQueued):  # the queue's own queueing lock says the same
            await app.state.jobs.run_source(user_id, source_id, first.json()["id"])
    await run_jobs(app)
    report = await poll(alice, first.json()["id"])
    assert report["status"] == "ok" and report["counts"]["new"] == CARDS
    assert len(await _runs_of(alice)) == 1
    assert await _total(alice) == CARDS
    again = await alice.post(f"/api/sources/{source_id}/run")
    assert again.status_code == 429, "once it ran, the once-a-minute cooldown applies"


async def test_a_large_upload_is_stored_queued_and_imported_exactly_once(
    alice: Any, app: Any
) -> None:
    user_id = (await find_user("alice@example.com")).id  # type: ignore[union-attr]
    raw = vcards(0, CARDS)
    assert len(raw) > INLINE_MAX
    async with held(app, user_id):
        r = await alice.post("/api/imports", **_upload(raw))
        assert r.status_code == 202, r.text
        run_id = r.json()["id"]
        stored = background.upload_path(app.state.settings, run_id)
        assert stored.read_bytes() == raw, "the upload waits under the data folder"
    await run_jobs(app)
    report = await poll(alice, run_id)
    assert report["status"] == "ok" and report["counts"]["new"] == CARDS, report
    assert not stored.exists(), "deleted once its job ended"
    assert await _total(alice) == CARDS
    assert [x["id"] for x in await _runs_of(alice)] == [run_id]
    small = await alice.post("/api/imports", **_upload(vcards(1, 3), "small.vcf"))
    assert small.status_code == 201 and small.json()["counts"]["new"] == 3, "inline as before"


async def test_an_upload_job_retried_after_its_worker_died_finishes_the_same_run_once(
    alice: Any, app: Any, clock: Any
) -> None:
    raw = vcards(0, CARDS)
    report = await accepted(alice, await alice.post("/api/imports", **_upload(raw)))
    assert report["counts"]["new"] == CARDS
    # The worker died after the import committed, before the job ended: the run still says
    # "running", the stored file is still there, and the queue retries the job.
    await ImportRun.update({ImportRun.status: "running"}).where(ImportRun.id == report["id"]).run()
    stored = background.upload_path(app.state.settings, report["id"])
    stored.write_bytes(raw)
    user_id = (await find_user("alice@example.com")).id  # type: ignore[union-attr]
    settings = app.state.settings
    retried = await background.upload_job(
        user_id, report["id"], "big.vcf", "auto", clock(), settings
    )
    assert retried is not None and retried.id == report["id"]
    assert retried.status == "ok" and retried.counts["new"] == 0
    assert retried.counts["unchanged"] == CARDS, "the data was there: nothing imported twice"
    assert not stored.exists()
    again = await background.upload_job(user_id, report["id"], "big.vcf", "auto", clock(), settings)
    assert again is None, "a job whose run is finished does nothing"
    assert await _total(alice) == CARDS
    assert len(await _runs_of(alice)) == 1


async def test_a_failed_job_finishes_its_run_as_failed_with_the_reason(
    alice: Any, app: Any, clock: Any
) -> None:
    _, source_id = await _folder_source(alice, app.state.settings, cards=0)
    empty = await run_now(alice, source_id)
    assert empty["status"] == "failed" and "no .vcf, .csv or .ics export" in empty["error"]

    garbage = b"\x00\xff" * INLINE_MAX
    bad = await accepted(alice, await alice.post("/api/imports", **_upload(garbage, "x.vcf")))
    assert bad["status"] == "failed" and bad["error"], bad
    assert not background.upload_path(app.state.settings, bad["id"]).exists()

    user_id = (await find_user("alice@example.com")).id  # type: ignore[union-attr]
    async with held(app, user_id):
        r = await alice.post("/api/imports", **_upload(vcards(0, CARDS)))
        background.upload_path(app.state.settings, r.json()["id"]).unlink()  # the disk lost it
    gone = await accepted(alice, r)
    assert gone["status"] == "failed" and "upload it again" in gone["error"], gone
    assert await _total(alice) == 0, "nothing of the failed imports was stored"


async def test_an_in_process_queue_resumes_at_start_up_the_jobs_its_stopped_process_lost(
    alice: Any, app: Any, clock: Any
) -> None:
    settings = app.state.settings
    user = await find_user("alice@example.com")
    assert user is not None
    _, source_id = await _folder_source(alice, settings)
    # What a `kith serve` killed with jobs in hand leaves: a queued "run now", a queued upload
    # and an upload it was importing, with their stored files; nothing runs them any more.
    waiting = await background.queue_source_run(user, source_id, clock())
    queued = await background.queue_upload(
        user, vcards(1, CARDS), "one.vcf", "vcard", clock(), settings
    )
    busy = await background.queue_upload(
        user, vcards(2, CARDS), "two.vcf", "auto", clock(), settings
    )
    await ImportRun.update({ImportRun.status: "running"}).where(ImportRun.id == busy.id).run()
    jobs = InProcessJobs(InProcessRunner(settings, clock))
    assert await jobs.resume() == 3
    await jobs.idle()
    for run_id in (waiting.id, queued.id, busy.id):
        report = await poll(alice, run_id)
        assert report["status"] == "ok" and report["counts"]["new"] == CARDS, report
        assert not background.upload_path(settings, run_id).exists()
    assert await _total(alice) == 3 * CARDS
    assert len(await _runs_of(alice)) == 3, "each job finished its own run, no second one"
    assert await jobs.resume() == 0, "nothing is left to resume"


# -- a real worker process on PostgreSQL ---------------------------------------------------


async def test_postgres_a_kith_worker_process_runs_a_queued_run_now_and_a_large_upload(
    clean_db: Any, clock: Any, tmp_path: Path
) -> None:
    if db.engine_name() != "postgres":
        pytest.skip("the queue's workers are PostgreSQL's; SQLite runs jobs in-process")
    settings = replace(clean_db, import_inline_max_bytes=INLINE_MAX)
    app = create_app(settings, clock, migrate_on_start=False, start_scheduler=False)
    user = await make_user("alice@example.com")
    # Her nightly run is done for today (in real time, the worker's clock): its tick leaves her
    # alone, so the only jobs are the two below.
    now = dt.datetime.now(dt.UTC)
    run = await nightly_runs.start_nightly(user.id, now)
    await nightly_runs.finish_nightly(run, "ok", now, {}, None)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KITH_")},
        "KITH_DATABASE_URL": settings.database_url,
        "KITH_DATA_DIR": str(settings.data_dir),
        "KITH_SECRET_KEY": settings.secret_key,
        "PYTHONPATH": str(ROOT),
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen([str(KITH), "worker"], env=env, cwd=tmp_path, stderr=log)
    try:
        async with new_client(app) as alice:
            assert (await sign_in(alice, "alice@example.com")).status_code == 200
            _, source_id = await _folder_source(alice, settings)
            r = await alice.post(f"/api/sources/{source_id}/run")
            assert r.status_code == 202, r.text
            ran = await poll(alice, r.json()["id"], tries=600, pause=0.2)
            assert ran["status"] == "ok" and ran["counts"]["new"] == CARDS, ran
            r = await alice.post("/api/imports", **_upload(vcards(1, CARDS), "other.vcf"))
            assert r.status_code == 202, r.text
            done = await poll(alice, r.json()["id"], tries=600, pause=0.2)
            assert done["status"] == "ok" and done["counts"]["new"] == CARDS, done
            assert await _total(alice) == 2 * CARDS
            assert len(await _runs_of(alice)) == 2
            # The run reads ok from the import's commit (its ImportRun is finished in the same
            # transaction); the job deletes the stored file once it ends, moments later.
            stored = background.upload_path(settings, done["id"])
            for _ in range(300):
                if not stored.exists():
                    break
                await asyncio.sleep(0.2)
            assert not stored.exists()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()


async def test_a_large_upload_is_imported_in_batches_and_uploading_it_again_reads_no_card(
    alice: Any, app: Any, clock: Any, monkeypatch: pytest.MonkeyPatch, cards_read: list[int]
) -> None:
    monkeypatch.setattr("api.services.imports.BATCH_CARDS", 50)  # 200 cards: four batches
    user = await find_user("alice@example.com")
    assert user is not None
    settings = app.state.settings
    raw = vcards(0, CARDS)
    counts = []
    for _ in range(2):
        queued = await background.queue_upload(user, raw, "big.vcf", "auto", clock(), settings)
        cards_read.clear()
        report = await background.upload_job(
            user.id, queued.id, "big.vcf", "auto", clock(), settings
        )
        assert report is not None and report.status == "ok", report
        counts.append((report.counts["new"], report.counts["unchanged"], len(cards_read)))
    assert counts == [(CARDS, 0, CARDS), (0, CARDS, 0)], "the second upload's cards are known"
