"""`kith nightly` is the catch-up command: every user's run is its own, each gets one line, and
one user's broken source or broken data never stops the users after them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from api.cli.common import load_settings, run_db
from tests.cli.conftest import Kith

ROOT = Path(__file__).resolve().parents[2]
VCF = ROOT / "tests" / "data" / "import" / "iphone-3.0-jane-in-both-exports.vcf"


async def _break(email_source: str, email_data: str) -> None:
    """An unreachable source for one user; for another, data the API would refuse, written
    straight into the database."""
    from api.db.tables import Circle, Contact
    from api.services.sources import create_source
    from api.services.users import find_user

    user = await find_user(email_source)
    await create_source(user.id, "url", "http://127.0.0.1:1/contacts.vcf")
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
