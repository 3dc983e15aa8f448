"""Every failure of `kith` is one line on stderr and exit 1, never a traceback (DESIGN.md 7)."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from api.cli import main
from api.cli.common import UserError, run_command
from api.errors import NotFound, ServiceError
from tests.cli.conftest import Kith


def fails_with(exc: BaseException) -> Callable[[], int]:
    def handler() -> int:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (UserError("the passwords differ"), "kith: the passwords differ"),
        (
            ServiceError("an account for a@b.c already exists"),
            "kith: an account for a@b.c already exists",
        ),
        (NotFound("no such user"), "kith: no such user"),
        (RuntimeError("boom"), "kith: nightly failed: RuntimeError: boom"),
        (
            OSError("connection refused\n  at host\n"),
            "kith: nightly failed: OSError: connection refused at host",
        ),
    ],
    ids=["user-error", "service-error", "not-found", "unexpected", "multi-line"],
)
def test_a_failure_becomes_exactly_one_line_on_stderr_and_exit_1(
    capsys: pytest.CaptureFixture[str], exc: Exception, line: str
):
    assert run_command("nightly", fails_with(exc)) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == line + "\n"


def test_an_interrupted_command_says_so_and_exits_130(capsys: pytest.CaptureFixture[str]):
    assert run_command("import", fails_with(KeyboardInterrupt())) == 130
    assert capsys.readouterr().err == "kith: interrupted\n"


def test_an_unknown_account_says_how_to_create_it(kith: Kith):
    done = kith("log", "--user", "ghost@example.com", "--contact", "x", "--kind", "coffee", code=1)
    assert done.err == (
        "kith: no account for ghost@example.com; create it with: kith user add ghost@example.com\n"
    )


def test_a_weak_password_is_refused_in_one_line(kith: Kith, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KITH_PASSWORD", "short")
    done = kith("user", "add", "a@example.com", code=1)
    assert "at least 10 characters" in done.err and len(done.err.splitlines()) == 1


def test_without_a_password_or_a_terminal_user_add_says_what_to_set(
    kith: Kith, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("KITH_PASSWORD")
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # not a terminal
    done = kith("user", "add", "a@example.com", code=1)
    assert done.err == (
        "kith: set KITH_PASSWORD or run in a terminal to be asked for the password\n"
    )


# Piccolo warns before the driver's error is raised; the error itself is what is asserted.
@pytest.mark.filterwarnings("ignore:.*Unable to connect to database")
def test_a_database_that_cannot_be_reached_is_one_line_naming_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("KITH_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kith: migrate failed: ") and len(err.splitlines()) == 1


def test_the_module_entry_point_runs_the_same_command_line(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "api", "import", str(tmp_path / "none.vcf"), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"kith: {tmp_path / 'none.vcf'}: no such file\n"


@pytest.mark.parametrize(
    ("option", "line"),
    [
        (
            ("--timezone", "Mars/Olympus"),
            "kith: --timezone 'Mars/Olympus' is not a known time zone (an IANA name such as "
            "Europe/Paris or UTC)",
        ),
        (
            ("--region", "XX"),
            "kith: --region 'XX' is not a country code (ISO 3166 alpha-2, such as US, GB or DE)",
        ),
    ],
    ids=["timezone", "region"],
)
def test_a_new_account_in_a_zone_or_region_that_does_not_exist_is_one_line_and_exit_1(
    kith: Kith, option: tuple[str, str], line: str
):
    done = kith("user", "add", "me@example.com", *option, code=1)
    assert (done.out, done.err) == ("", line + "\n")
    assert "created account me@example.com" in kith("user", "add", "me@example.com").out
