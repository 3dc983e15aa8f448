"""Rows to contacts: each layout's quirks, and bad rows as issues while the rest imports."""

from __future__ import annotations

import pytest

from pipeline.formats.csv.google import labels
from pipeline.formats.csv.parse import parse_csv
from pipeline.formats.csv.values import split_multi
from pipeline.models import ContactRecord, ParseResult

LINKEDIN = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
GOOGLE = (
    "First Name,Last Name,Organization Name,Birthday,Labels,E-mail 1 - Label,E-mail 1 - Value,"
    "E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value\n"
)


def _parse(text: str, region: str | None = "US") -> ParseResult:
    return parse_csv(text.encode(), region=region)


def _only(text: str, region: str | None = "US") -> ContactRecord:
    result = _parse(text, region)
    assert result.issues == []
    [contact] = result.contacts
    return contact


def test_whole_row_quoted_linkedin_row_with_doubled_inner_quotes_is_recovered() -> None:
    row = '"Ada,Lovelace,https://www.linkedin.com/in/ada,,""Engines, Ltd."",Analyst,05 Oct 2020"\n'
    contact = _only(LINKEDIN + row)
    assert (contact.full_name, contact.organization, contact.title) == (
        "Ada Lovelace",
        "Engines, Ltd.",
        "Analyst",
    )
    assert contact.connected_on == "2020-10-05"
    assert contact.urls == ["https://www.linkedin.com/in/ada"]


def test_whole_row_quoted_linkedin_row_with_bare_inner_quotes_is_recovered_and_flagged() -> None:
    row = '"Ada,Lovelace,https://www.linkedin.com/in/ada,,"Engines, Ltd.",Analyst,05 Oct 2020"\n'
    plain = "Bob,Babbage,https://www.linkedin.com/in/bob,,Engines,Designer,06 Oct 2020\n"
    result = _parse(LINKEDIN + row + plain)
    ada, bob = result.contacts
    assert (ada.organization, ada.title, ada.connected_on) == (
        "Engines, Ltd.",
        "Analyst",
        "2020-10-05",
    )
    assert (bob.full_name, bob.line) == ("Bob Babbage", 3)
    assert [i.line for i in result.issues] == [2]


def test_whole_row_quoted_row_without_inner_quotes_is_recovered_silently() -> None:
    contact = _only(LINKEDIN + '"Ada,Lovelace,,ada@example.org,Engines,Analyst,05 Oct 2020"\n')
    assert (contact.full_name, contact.emails) == ("Ada Lovelace", ["ada@example.org"])


def test_linkedin_row_withheld_by_linkedin_is_skipped_with_an_issue() -> None:
    result = _parse(LINKEDIN + ",,,,,,05 Oct 2020\nAda,Lovelace,,,,,06 Oct 2020\n")
    assert [c.full_name for c in result.contacts] == ["Ada Lovelace"]
    assert [(i.line, i.message) for i in result.issues] == [
        (2, "LinkedIn withheld this connection's name; skipped")
    ]


def test_linkedin_row_without_a_name_is_called_by_its_profile_not_its_employer() -> None:
    contact = _only(LINKEDIN + ",,https://www.linkedin.com/in/x,,Acme,CEO,05 Oct 2020\n")
    assert (contact.full_name, contact.organization) == ("https://www.linkedin.com/in/x", "Acme")


def test_linkedin_member_urn_in_the_email_column_is_not_an_email() -> None:
    header = "First Name,Last Name,Email Address,Company,Position,Connected On\n"
    contact = _only(header + 'Yash,Example,urn:li:member:123,,,"8/18/18, 12:37 AM"\n')
    assert (contact.emails, contact.connected_on) == ([], "2018-08-18")


def test_linkedin_connected_on_that_is_no_date_is_reported_and_left_empty() -> None:
    result = _parse(LINKEDIN + "Ada,Lovelace,,,,,someday\n")
    assert result.contacts[0].connected_on is None
    assert result.issues[0].message == "Connected On 'someday' is not a date; left empty"


def test_triple_colon_separates_values_inside_one_google_cell() -> None:
    assert split_multi("a@x.org ::: b@y.org :::c@z.org") == ["a@x.org", "b@y.org", "c@z.org"]
    row = "Ada,Lovelace,,,,Work,a@x.org ::: B@Y.org,,,Work,+1 202 555 0100 ::: +1 202 555 0101\n"
    contact = _only(GOOGLE + row)
    assert contact.emails == ["a@x.org", "b@y.org"]
    assert contact.phones == ["+12025550100", "+12025550101"]


def test_google_primary_email_marked_with_a_star_label_comes_first() -> None:
    contact = _only(GOOGLE + "Ada,Lovelace,,,,Home,home@x.org,* Work,work@x.org,,\n")
    assert contact.emails == ["work@x.org", "home@x.org"]


def test_google_system_labels_lose_the_star_and_my_contacts_is_dropped() -> None:
    assert labels("* myContacts ::: Work ::: * starred") == ["Work", "Starred"]
    assert labels("* My Contacts ::: Test") == ["Test"]
    assert labels("* other") == ["Other contacts"]
    assert labels("") == []


def test_google_birthday_without_a_year_stays_month_day() -> None:
    assert _only(GOOGLE + "Ada,,,--12-10,,,,,,,\n").birthday == "--12-10"


def test_a_phone_only_row_imports_named_by_its_number() -> None:
    contact = _only(GOOGLE + ",,,,,,,,,Mobile,(202) 555-0100\n")
    assert (contact.full_name, contact.phones) == ("+12025550100", ["+12025550100"])


def test_an_email_only_row_imports_named_by_its_address() -> None:
    contact = _only("Name,E-mail Address\n,Someone@Example.org\n")
    assert contact.full_name == "someone@example.org"


def test_a_row_that_names_nobody_is_an_issue_and_the_rest_imports() -> None:
    result = _parse("Name,E-mail Address,Notes\n,,just a note\nAda,ada@example.org,\n")
    assert [c.full_name for c in result.contacts] == ["Ada"]
    assert [(i.line, i.message) for i in result.issues] == [
        (2, "no name, organization, email or phone; skipped")
    ]


def test_an_unreadable_email_is_reported_and_the_contact_still_imports() -> None:
    result = _parse("Name,E-mail Address,E-mail 2 Address\nAda,ada@@example,ada@example.org\n")
    assert result.contacts[0].emails == ["ada@example.org"]
    assert [(i.line, i.message) for i in result.issues] == [
        (2, "'ada@@example' is not an email address; left out")
    ]


def test_an_unreadable_birthday_is_reported_and_left_empty() -> None:
    result = _parse("Name,E-mail Address,Birthday\nAda,ada@example.org,2/30/1990\n")
    assert result.contacts[0].birthday is None
    assert result.issues[0].message == "Birthday '2/30/1990' is not a date; left empty"


def test_outlook_empty_date_markers_mean_no_birthday() -> None:
    header = "First Name,Last Name,E-mail Address,Birthday,Anniversary\n"
    result = _parse(header + "Ada,L,a@x.org,0/0/00,0/0/00\nBob,B,b@x.org,1/1/4501,\n")
    assert [c.birthday for c in result.contacts] == [None, None]
    assert result.issues == []


def test_a_day_above_twelve_anywhere_in_the_file_makes_every_date_day_first() -> None:
    header = "First Name,E-mail Address,Birthday\n"
    result = _parse(header + "Ada,a@x.org,03/04/1990\nBob,b@x.org,20/01/1991\n", region="US")
    assert [c.birthday for c in result.contacts] == ["1990-04-03", "1991-01-20"]


@pytest.mark.parametrize(("region", "birthday"), [("US", "1990-03-04"), ("GB", "1990-04-03")])
def test_ambiguous_numeric_dates_follow_the_region(region: str, birthday: str) -> None:
    contact = _only("First Name,E-mail Address,Birthday\nAda,a@x.org,03/04/1990\n", region)
    assert contact.birthday == birthday


def test_phones_become_e164_in_the_given_region_and_stay_as_written_otherwise() -> None:
    text = "Name,Mobile Phone,Business Phone\nAda,030 1234567,+44 20 7946 0000\n"
    assert _only(text, region="DE").phones == ["+49301234567", "+442079460000"]
    assert _only(text, region=None).phones == ["030 1234567", "+442079460000"]


def test_outlook_title_column_is_a_courtesy_title_not_a_job() -> None:
    header = "Title,First Name,Last Name,Job Title,E-mail Address\n"
    contact = _only(header + "Dr.,Ada,Lovelace,Analyst,a@x.org\n")
    assert (contact.full_name, contact.title) == ("Ada Lovelace", "Analyst")


def test_generic_title_column_is_the_job_unless_it_is_a_courtesy_title() -> None:
    result = _parse("Name,Email,Title\nAda,a@x.org,Analyst\nBob,b@x.org,Mr.\n")
    assert [c.title for c in result.contacts] == ["Analyst", None]


def test_outlook_categories_split_at_semicolons_into_groups() -> None:
    contact = _only("Name,E-mail Address,Categories\nAda,a@x.org,Customers;VIP; Friends\n")
    assert contact.groups == ["Customers", "VIP", "Friends"]


def test_thunderbird_birth_year_month_and_day_columns_make_one_birthday() -> None:
    header = "First Name,Last Name,Display Name,Primary Email,Birth Year,Birth Month,Birth Day\n"
    result = _parse(header + "Ada,L,,a@x.org,1815,12,10\nBob,B,,b@x.org,,7,4\n")
    assert result.format == "thunderbird-csv"
    assert [c.birthday for c in result.contacts] == ["1815-12-10", "--07-04"]
    assert [c.full_name for c in result.contacts] == ["Ada L", "Bob B"]


def test_single_label_domains_are_kept_as_addresses() -> None:
    assert _only("Name,Email\nAda,Ada@Mailhost\n").emails == ["ada@mailhost"]


def test_display_name_with_address_in_angle_brackets_gives_the_address() -> None:
    assert _only("Name,Email\nAda,Ada Lovelace <Ada@Example.org>\n").emails == ["ada@example.org"]


def test_japanese_names_are_written_family_name_first() -> None:
    contact = _only("First Name,Last Name,Phone 1 - Value\n太郎,山田,090-0000-1111\n")
    assert (contact.full_name, contact.given_name, contact.family_name) == (
        "山田 太郎",
        "太郎",
        "山田",
    )


def test_duplicate_emails_and_phones_in_one_row_are_kept_once() -> None:
    text = "Name,E-mail Address,E-mail 2 Address,Mobile Phone,Home Phone\n"
    contact = _only(text + "Ada,a@x.org,A@X.org,(202) 555-0100,202-555-0100\n")
    assert (contact.emails, contact.phones) == (["a@x.org"], ["+12025550100"])


def test_several_addresses_in_one_hand_made_cell_are_split() -> None:
    contact = _only('Name,Email\nAda,"a@x.org; B@y.org, Ada L <c@z.org>"\n')
    assert contact.emails == ["a@x.org", "b@y.org", "c@z.org"]


def test_photo_url_columns_are_not_the_contacts_websites() -> None:
    contact = _only("Name,Email,Photo URL,Website\nAda,a@x.org,https://img/1.jpg,https://ada.org\n")
    assert contact.urls == ["https://ada.org"]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/in/example",
        "https://linkedin.com/in/Example/",
        "http://de.linkedin.com/in/example?trk=foo",
        "www.linkedin.com/in/example#about",
    ],
)
def test_every_spelling_of_a_linkedin_profile_gives_one_source_uid(url: str) -> None:
    contact = _only(LINKEDIN + f"Ada,Lovelace,{url},,,,05 Oct 2020\n")
    assert contact.source_uid == "https://www.linkedin.com/in/example"
    assert contact.urls == [url]


def test_outlook_com_export_reads_names_job_company_and_birthday() -> None:
    header = (
        "First Name,Middle Name,Last Name,Title,Suffix,Nickname,Given Yomi,Surname Yomi,"
        "E-mail Address,E-mail 2 Address,E-mail 3 Address,Home Phone,Home Phone 2,Business Phone,"
        "Business Phone 2,Mobile Phone,Car Phone,Other Phone,Primary Phone,Pager,Business Fax,"
        "Home Fax,Other Fax,Company Main Phone,Callback,Radio Phone,Telex,TTY/TDD Phone,IMAddress,"
        "Job Title,Department,Company,Office Location,Manager's Name,Assistant's Name,"
        "Assistant's Phone,Company Yomi,Business Street,Business City,Business State,"
        "Business Postal Code,Business Country/Region,Web Page,Birthday,Anniversary,Notes\n"
    )
    cells = [""] * 46
    cells[0:6] = ["Ada", "", "Lovelace", "Ms.", "", "Countess"]
    cells[8], cells[15], cells[28] = "ADA@example.org", "(202) 555-0100", "ada@im.example"
    cells[29], cells[31], cells[42], cells[43] = (
        "Analyst",
        "Engines",
        "https://ada.org",
        "12/10/1815",
    )
    result = _parse(header + ",".join(cells) + "\n")
    assert result.format == "outlook-csv"
    [contact] = result.contacts
    assert (contact.full_name, contact.nickname, contact.title, contact.organization) == (
        "Ada Lovelace",
        "Countess",
        "Analyst",
        "Engines",
    )
    assert (contact.emails, contact.phones) == (["ada@example.org"], ["+12025550100"])
    assert (contact.birthday, contact.urls) == ("1815-12-10", ["https://ada.org"])


def test_a_renamed_connection_date_column_still_reads_as_linkedin() -> None:
    result = _parse(
        "First Name,Last Name,Company,Connection Date\nAda,Lovelace,Engines,2020-10-05\n"
    )
    assert (result.format, result.contacts[0].connected_on) == ("linkedin-csv", "2020-10-05")


def test_german_outlook_export_in_cp1252_with_dotted_dates_reads() -> None:
    header = (
        '"Anrede";"Vorname";"Weitere Vornamen";"Nachname";"Firma";"Position";"Geburtstag";'
        '"E-Mail-Adresse";"E-Mail-Typ";"E-Mail: Angezeigter Name";"Mobiltelefon";"Notizen"\r\n'
    )
    row = (
        '"Herr";"Jürgen";"";"Müller";"Beispiel GmbH";"Leiter";"12.03.1975";"jm@example.de";'
        '"SMTP";"Jürgen Müller (jm@example.de)";"0171 1234567";"Grüße"\r\n'
    )
    [contact] = parse_csv((header + row).encode("cp1252"), region="DE").contacts
    assert (contact.full_name, contact.organization, contact.title) == (
        "Jürgen Müller",
        "Beispiel GmbH",
        "Leiter",
    )
    assert (contact.birthday, contact.emails, contact.phones) == (
        "1975-03-12",
        ["jm@example.de"],
        ["+491711234567"],
    )
