"""Configuration tells the truth: every Settings field comes from one documented variable, nothing
is created on disk at import, and the generated secret key survives a crowd of fresh processes."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import re
import subprocess
import sys
from pathlib import Path

from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

# One non-default value per variable; the field it must land in.
NON_DEFAULTS = {
    "KITH_DATABASE_URL": ("database_url", "postgresql://u:p@127.0.0.1/other"),
    "KITH_BASE_URL": ("base_url", "https://kith.example.org"),
    "KITH_SECRET_KEY": ("secret_key", "from-the-environment"),
    "KITH_DEFAULT_REGION": ("default_region", "FR"),
    "KITH_DATA_DIR": ("data_dir", "/srv/kith-data"),
    "KITH_HOST": ("host", "0.0.0.0"),
    "KITH_PORT": ("port", "9000"),
    "KITH_MAX_UPLOAD_BYTES": ("max_upload_bytes", "1024"),
    "KITH_IMPORT_INLINE_MAX_BYTES": ("import_inline_max_bytes", "4096"),
    "KITH_LOGIN_ATTEMPTS": ("login_attempts_per_window", "9"),
    "KITH_LOGIN_WINDOW_SECONDS": ("login_window_seconds", "60"),
    "KITH_IMPORTS_PER_HOUR": ("imports_per_hour", "7"),
    "KITH_RUN_SCHEDULER": ("run_scheduler", "0"),
    "KITH_NIGHTLY_TICK_SECONDS": ("nightly_tick_seconds", "30"),
    "KITH_SOURCE_ROOTS": ("source_roots", "/a:/b"),
    "KITH_PG_POOL_MAX": ("pg_pool_max", "3"),
    "KITH_SOURCE_ALLOW_HOSTS": ("source_allow_hosts", "dav.lan:5232,files.lan"),
    "KITH_FORWARDED_ALLOW_IPS": ("forwarded_allow_ips", "10.0.0.2"),
}


def test_every_settings_field_is_read_from_its_own_environment_variable() -> None:
    defaults = Settings()
    configured = Settings.from_env({name: value for name, (_, value) in NON_DEFAULTS.items()})
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert {field for field, _ in NON_DEFAULTS.values()} == fields, "a field without a variable"
    unchanged = [f for f in fields if getattr(configured, f) == getattr(defaults, f)]
    assert unchanged == [], f"set in the environment but not read: {unchanged}"


def test_the_readme_documents_exactly_the_variables_settings_reads() -> None:
    source = (ROOT / "api" / "settings.py").read_text()
    read = set(re.findall(r'env\.get\("(KITH_[A-Z_]+)"', source))
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `KITH_")]
    documented = {
        name for row in rows for name in re.findall(r"`(KITH_[A-Z_]+)`", row.split("|")[1])
    }
    assert read - {"KITH_PASSWORD", "KITH_SOURCE_PASSWORD"} == documented
    assert set(NON_DEFAULTS) == documented


def test_importing_the_piccolo_configuration_creates_nothing_on_disk(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_")}
    env["PYTHONPATH"] = str(ROOT)
    code = "import api.db.piccolo_conf, api.db, api.app"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True)
    assert list(tmp_path.iterdir()) == [], "an import wrote to the working directory"


def _key_in(data_dir: str, start: multiprocessing.synchronize.Barrier) -> str:
    start.wait()
    return Settings(data_dir=Path(data_dir)).with_secret().secret_key


def test_processes_starting_together_on_a_fresh_data_folder_agree_on_one_secret_key(
    tmp_path: Path,
) -> None:
    workers = 6
    context = multiprocessing.get_context("spawn")
    start = context.Manager().Barrier(workers)
    with context.Pool(workers) as pool:
        keys = pool.starmap(_key_in, [(str(tmp_path / "fresh"), start)] * workers)
    on_disk = (tmp_path / "fresh" / "secret_key").read_text().strip()
    assert set(keys) == {on_disk}
    assert [p.name for p in (tmp_path / "fresh").iterdir()] == ["secret_key"], "no leftovers"
