"""Kith's configuration: the only module that reads environment variables."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "sqlite:///data/kith.sqlite3"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the defaults a new user gets from `make run`."""

    database_url: str = DEFAULT_DATABASE_URL
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    default_region: str = "US"
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_bytes: int = 20 * 1024 * 1024
    # Uploads up to this size import inside the request (201 and the report); larger ones are
    # stored under the data folder and imported by a job (202 and the ImportRun to poll).
    import_inline_max_bytes: int = 2 * 1024 * 1024
    login_attempts_per_window: int = 5  # failed sign-ins per email within the window
    login_window_seconds: int = 300
    imports_per_hour: int = 60  # uploads per user per hour
    # Who runs the nightly job: "auto" = `kith serve` in-process on SQLite, `kith worker` on
    # PostgreSQL; "1" = `kith serve` also on PostgreSQL (one embedded queue worker, race-free);
    # "0" = neither (cron runs `kith nightly`, or only `kith worker` processes).
    run_scheduler: str = "auto"
    nightly_tick_seconds: int = 300  # how often due users are enqueued (at most 5 minutes)
    pg_pool_max: int = 10
    # Peers whose X-Forwarded-For/-Proto `kith serve` believes (uvicorn's forwarded_allow_ips):
    # the client address the sign-in throttle counts. Empty: believe no one.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    # Folders the nightly folder sources may read; empty means `<data_dir>/drop/<user id>/`.
    source_roots: tuple[Path, ...] = ()
    # Hosts ("host" or "host:port") outbound requests may reach on internal addresses or plain http.
    source_allow_hosts: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        database_url = env.get("KITH_DATABASE_URL", DEFAULT_DATABASE_URL)
        data_dir = Path(env.get("KITH_DATA_DIR", "data"))
        settings = cls(
            database_url=database_url,
            base_url=env.get("KITH_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            secret_key=env.get("KITH_SECRET_KEY", ""),
            default_region=env.get("KITH_DEFAULT_REGION", "US").upper(),
            data_dir=data_dir,
            host=env.get("KITH_HOST", "127.0.0.1"),
            port=int(env.get("KITH_PORT", "8000")),
            max_upload_bytes=int(env.get("KITH_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
            import_inline_max_bytes=int(
                env.get("KITH_IMPORT_INLINE_MAX_BYTES", str(2 * 1024 * 1024))
            ),
            login_attempts_per_window=int(env.get("KITH_LOGIN_ATTEMPTS", "5")),
            login_window_seconds=int(env.get("KITH_LOGIN_WINDOW_SECONDS", "300")),
            imports_per_hour=int(env.get("KITH_IMPORTS_PER_HOUR", "60")),
            run_scheduler=_scheduler_mode(env.get("KITH_RUN_SCHEDULER", "auto")),
            nightly_tick_seconds=min(300, max(1, int(env.get("KITH_NIGHTLY_TICK_SECONDS", "300")))),
            pg_pool_max=int(env.get("KITH_PG_POOL_MAX", "10")),
            forwarded_allow_ips=",".join(
                h.strip()
                for h in env.get("KITH_FORWARDED_ALLOW_IPS", "127.0.0.1,::1").split(",")
                if h.strip()
            ),
            source_roots=tuple(
                Path(p) for p in env.get("KITH_SOURCE_ROOTS", "").split(os.pathsep) if p
            ),
            source_allow_hosts=tuple(
                h.strip().lower()
                for h in env.get("KITH_SOURCE_ALLOW_HOSTS", "").split(",")
                if h.strip()
            ),
        )
        return settings

    @property
    def serve_runs_nightly(self) -> bool:
        """Whether `kith serve` runs the nightly job: in-process on SQLite unless turned off; on
        PostgreSQL only when asked ("1"), as a queue worker, so it never races the others."""
        if self.run_scheduler == "0":
            return False
        return self.engine == "sqlite" or self.run_scheduler == "1"

    @property
    def engine(self) -> str:
        return (
            "postgres"
            if self.database_url.startswith(("postgres://", "postgresql://"))
            else "sqlite"
        )

    @property
    def sqlite_path(self) -> Path:
        """`sqlite:///rel/path` is relative to the working directory, `sqlite:////abs` absolute."""
        if self.engine != "sqlite":
            raise ValueError("not a SQLite database URL")
        if not self.database_url.startswith("sqlite:///"):
            raise ValueError(f"unsupported database URL {self.database_url!r}")
        return Path(self.database_url[len("sqlite:///") :])

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    def with_secret(self) -> Settings:
        """A missing secret key is generated once and kept under the data folder, never hard-coded."""
        if self.secret_key:
            return self
        return replace(self, secret_key=shared_secret(self.data_dir / "secret_key"))

    def folder_roots(self, user_id: int) -> list[Path]:
        """Where a user's folder sources may point: never another user's files."""
        if self.source_roots:
            return [p.expanduser().resolve() for p in self.source_roots]
        return [(self.data_dir / "drop" / str(user_id)).resolve()]

    def redacted_database_url(self) -> str:
        parts = urlsplit(self.database_url)
        if parts.password:
            return self.database_url.replace(f":{parts.password}@", ":***@")
        return self.database_url


def env_password(environ: Mapping[str, str] | None = None) -> str | None:
    """`kith user add` takes the password from KITH_PASSWORD when set (scripts), else prompts."""
    env = os.environ if environ is None else environ
    return env.get("KITH_PASSWORD") or None


def env_source_password(environ: Mapping[str, str] | None = None) -> str | None:
    """`kith source add` takes a CardDAV/CalDAV password from KITH_SOURCE_PASSWORD (scripts)."""
    env = os.environ if environ is None else environ
    return env.get("KITH_SOURCE_PASSWORD") or None


def shared_secret(path: Path) -> str:
    """The key in `path`, created on first use (the secret key; the first-run setup code). Several processes may start at once on a fresh
    data folder (`kith serve --workers 4`): each writes a candidate to its own temporary file and
    `os.link`s it into place, which fails with FileExistsError for all but the first; the losers
    read the winner's key. The link makes the file appear complete (an O_EXCL create would let a
    loser read it while the winner is still writing)."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: its key is the key
            os.link(candidate, path)
    finally:
        candidate.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise ValueError(
            f"{path} is empty: delete it to generate a new key, or set KITH_SECRET_KEY"
        )
    return key


def _scheduler_mode(value: str) -> str:
    value = value.strip().lower()
    if value in {"0", "false", "no", "off"}:
        return "0"
    if value in {"1", "true", "yes", "on"}:
        return "1"
    return "auto"
