"""Real exports through the real parsers: a Google CSV and an iPhone vCard share one person."""

from __future__ import annotations

from pathlib import Path

from pipeline.formats.dispatch import parse_export
from pipeline.identity.match import ExistingContact, ImportPlan, apply_plan, plan_import
from pipeline.identity.merge import str_list
from pipeline.models import ContactRecord

DATA = Path(__file__).parents[1] / "data" / "match"
GOOGLE_CSV = DATA / "google-csv-2024-labeled-constructed.csv"  # corpus copy: 5 rows, no UIDs
IPHONE_VCF = DATA / "iphone-3.0-grace-hopper-shares-google-address.vcf"  # Grace + Ada
GOOGLE, PHONE = "file:google-csv:contacts.csv", "file:vcard:iphone.vcf"


def records(path: Path) -> list[ContactRecord]:
    return parse_export(path.read_bytes(), region="US").contacts


def run(
    path: Path, source: str, state: list[ExistingContact]
) -> tuple[ImportPlan, list[ExistingContact]]:
    plan = plan_import(records(path), state, source=source, full_export=True)
    next_id = max((c.id for c in state), default=0) + 1
    return plan, apply_plan(state, plan, next_id=next_id)


def test_grace_in_the_google_csv_and_the_iphone_vcard_ends_as_one_contact() -> None:
    google_plan, state = run(GOOGLE_CSV, GOOGLE, [])
    assert google_plan.counts["new"] == 5

    phone_plan, state = run(IPHONE_VCF, PHONE, state)

    assert (phone_plan.counts["new"], phone_plan.counts["updated"]) == (1, 1)
    assert phone_plan.matches[0].via == "email"
    graces = [c for c in state if c.fields["full_name"] == "Grace Hopper"]
    assert len(graces) == 1
    grace = graces[0]
    assert "grace@example.org" in grace.emails
    assert "+12025550143" in grace.phones
    assert "https://grace.example.net" in str_list(grace.fields, "urls")
    assert grace.fields["title"] == "Rear Admiral"  # Google created her: its values stay
    assert f"{PHONE}:5A1B0C4E-1D2F-4A3B-9C8D-7E6F5A4B3C2D" in grace.source_uids


def test_importing_both_files_again_in_either_order_changes_nothing() -> None:
    _, state = run(GOOGLE_CSV, GOOGLE, [])
    _, state = run(IPHONE_VCF, PHONE, state)
    for path, source in ((IPHONE_VCF, PHONE), (GOOGLE_CSV, GOOGLE), (IPHONE_VCF, PHONE)):
        plan, state = run(path, source, state)
        assert (plan.counts["new"], plan.counts["updated"], plan.counts["archived"]) == (0, 0, 0)
    assert len(state) == 6
