"""`kith nightly` is the catch-up command: every user's run is its own, each gets one line, and
one user's broken source or broken data never stops the users after them."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from pathlib import Path

import httpx

from api.cli.common import load_settings, run_db
from tests.cli.conftest import PASSWORD, Kith
from tests.cli.test_serve import KITH, free_port

ROOT = Path(__file__).resolve().parents[2]
VCF = ROOT / "tests" / "data" / "import" / "iphone-3.0-jane-in-both-exports.vcf"


async def _break(email_source: str, email_data: str) -> None:
    """An unreachable source for one user; for another, data the API would refuse, written
    straight into the database."""
    from api.db.tables import Circle, Contact
    from api.services.users import find_user
    from api.store.sources import insert_source

    user = await find_user(email_source)
    url = "http://127.0.0.1:1/contacts.vcf"  # nothing listens on port 1
    await insert_source(user.id, "url", url, "auto", url)
    other = await find_user(email_data)
    circle = await Circle.select(Circle.id).where(Circle.user == other.id).first().run()
    assert circle is not None
    bad = {Contact.cadence_override_days: -3, Contact.circle: circle["id"]}
    await Contact.update(bad).where(Contact.user == other.id).run()


def test_nightly_prints_every_users_line_and_exits_1_when_any_failed(kith: Kith):
    kith.monkeypatch.setenv("KITH_SOURCE_ALLOW_HOSTS", "127.0.0.1:1")
    for email in ("a@example.com", "b@example.com", "c@example.com", "d@example.com"):
        kith("user", "add", email)
    kith("import", str(VCF), "--user", "c@example.com")
    run_db(load_settings(), lambda: _break("b@example.com", "c@example.com"))
    done = kith("nightly", "--today", dt.datetime.now(dt.UTC).date().isoformat(), code=1)
    lines = done.out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
    ], "one line per user, the ones after a failure too"
    assert lines[0].startswith("a@example.com: ok: ")
    assert lines[1].startswith("b@example.com: failed: source ")
    assert lines[2].startswith("c@example.com: failed: ")
    assert lines[3].startswith("d@example.com: ok: ")


def test_nightly_refuses_a_day_after_tomorrow_in_one_line(kith: Kith):
    kith("user", "add", "a@example.com")
    later = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
    done = kith("nightly", "--today", later, code=1)
    assert done.err.count("\n") == 1 and "after tomorrow" in done.err
    assert done.out == ""


async def _due_with_a_folder(email: str, data_dir: Path) -> None:
    """The account's nightly hour is midnight (due now) and its drop folder holds an export."""
    from api.db.tables import User
    from api.services.sources import create_source
    from api.services.users import find_user

    user = await find_user(email)
    folder = data_dir / "drop" / str(user.id)
    folder.mkdir(parents=True)
    (folder / "contacts.vcf").write_bytes(VCF.read_bytes())
    await create_source(user.id, "folder", str(folder))
    await User.update({User.nightly_hour: 0}).where(User.id == user.id).run()


async def _runs() -> list[str]:
    from api.db.tables import NightlyRun

    return [str(r["status"]) for r in await NightlyRun.select(NightlyRun.status).run()]


def test_serve_runs_the_nightly_job_in_process_on_sqlite_and_leaves_it_to_workers_on_postgres(
    kith: Kith,
):
    kith("user", "add", "a@example.com")
    settings = load_settings()
    run_db(settings, lambda: _due_with_a_folder("a@example.com", settings.data_dir))
    port = free_port()
    env = {
        **os.environ,
        "KITH_RUN_SCHEDULER": "auto",
        "KITH_NIGHTLY_TICK_SECONDS": "1",
        "KITH_PORT": str(port),
    }
    log = kith.folder / "serve.log"
    with (
        log.open("wb") as out,
        subprocess.Popen([KITH, "serve"], env=env, stdout=out, stderr=out) as proc,
    ):
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 90
            runs: list[str] = []
            while time.monotonic() < deadline:
                runs = run_db(settings, _runs, migrate=False)
                if (runs and "running" not in runs) or proc.poll() is not None:
                    break
                time.sleep(0.5)
            # The queue is shown to a signed-in caller (a stranger's /health is liveness only).
            with httpx.Client(base_url=base, timeout=10) as web:
                login = {"email": "a@example.com", "password": PASSWORD}
                assert web.post("/api/auth/login", json=login).status_code == 200
                health = web.get("/health").json()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    if kith.engine == "sqlite":
        assert runs == ["ok"], log.read_text()
        assert health["nightly"]["queue"] == {"engine": "in-process"}
    else:
        assert runs == [], "on PostgreSQL the app processes run no nightly loop of their own"
        assert health["nightly"]["queue"]["engine"] == "procrastinate"


def test_worker_and_jobs_say_in_one_line_that_the_queue_needs_postgresql(kith: Kith):
    if kith.engine == "postgres":
        assert kith("jobs").out.startswith("queued 0, running 0, stalled 0")
        return
    for command in ("worker", "jobs"):
        done = kith(command, code=1)
        assert done.err.count("\n") == 1 and "needs PostgreSQL" in done.err
