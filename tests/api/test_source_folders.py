"""Folder sources read only files that really are in the user's own folder (issue 12)."""

from __future__ import annotations

import os
import shutil

import pytest

from api.services.nightly import run_user
from api.services.sources import SourceError, newest_export
from api.services.users import find_user
from tests.api.test_imports import JANE_CSV


async def test_a_link_in_a_drop_folder_to_another_users_export_is_not_imported(
    alice, bob, clean_db, clock
):
    """data/drop/2/export.csv -> data/drop/1/contacts.csv, as a sync tool may create."""
    ann, ben = await find_user("alice@example.com"), await find_user("bob@example.com")
    ann_drop, ben_drop = clean_db.folder_roots(ann.id)[0], clean_db.folder_roots(ben.id)[0]
    for drop in (ann_drop, ben_drop):  # the data folder outlives a test; user ids repeat
        shutil.rmtree(drop, ignore_errors=True)
        drop.mkdir(parents=True)
    shutil.copy(JANE_CSV, ann_drop / "contacts.csv")
    (ben_drop / "export.csv").symlink_to(ann_drop / "contacts.csv")
    r = await bob.post("/api/sources", json={"kind": "folder", "location": str(ben_drop)})
    assert r.status_code == 201, r.text

    result = await run_user(ben, clock(), clean_db)
    assert result["status"] == "failed"
    assert (await bob.get("/api/contacts")).json()["items"] == []
    source = (await bob.get("/api/sources")).json()[0]
    assert source["last_status"] == "failed" and "no .vcf" in source["last_error"]


def test_the_newest_export_skips_links_even_to_files_in_the_same_folder(tmp_path):
    (tmp_path / "old.vcf").write_text("BEGIN:VCARD\r\nEND:VCARD\r\n")
    os.utime(tmp_path / "old.vcf", (1_000_000, 1_000_000))
    (tmp_path / "zz-link.vcf").symlink_to(tmp_path / "old.vcf")  # would win the tie
    assert newest_export(tmp_path) == tmp_path / "old.vcf"


def test_the_newest_export_refuses_files_that_resolve_outside_the_roots(tmp_path):
    folder, elsewhere = tmp_path / "drop", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "a.csv").write_text("full_name\nA\n")
    assert newest_export(folder, [folder]) == folder / "a.csv"
    with pytest.raises(SourceError):
        newest_export(folder, [elsewhere])
