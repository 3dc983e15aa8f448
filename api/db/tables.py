"""Piccolo tables for Kith's data model (DESIGN.md section 3). Every row belongs to one user."""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Real,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from pipeline.limits import CIRCLE_NAME_MAX, FIELD_MAX, KEY_MAX

# Text lengths come from pipeline.limits, which the API and the importer apply first: a value
# never reaches PostgreSQL's varchar(n) check (SQLite has none), so both engines agree.


class User(Table, tablename="kith_user"):
    id = Serial(primary_key=True)
    email = Varchar(length=320, unique=True)
    password_hash = Text()
    timezone = Varchar(length=64, default="UTC")
    region = Varchar(length=8, default="US")
    per_day_cap = Integer(default=3)
    per_week_cap = Integer(default=12)
    weekday_factors = Text(default="[1,1,1,1,1,0.5,0]")  # JSON list Mon..Sun
    alarm_hour = Integer(null=True, default=9)
    nightly_hour = Integer(default=3)
    own_emails = Text(default="[]")  # JSON list: the user's addresses, never counted as contacts
    created_at = Timestamptz(default=TimestamptzNow())


class Circle(Table):
    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=CIRCLE_NAME_MAX)
    cadence_days = Integer(default=90)
    kin = Boolean(default=False)
    tier = Integer(default=2)
    slack = Real(default=2.0)
    position = Integer(default=0)


class Contact(Table):
    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    full_name = Varchar(length=FIELD_MAX["full_name"], default="")
    given_name = Varchar(length=FIELD_MAX["given_name"], null=True, default=None)
    family_name = Varchar(length=FIELD_MAX["family_name"], null=True, default=None)
    nickname = Varchar(length=FIELD_MAX["nickname"], null=True, default=None)
    organization = Varchar(length=FIELD_MAX["organization"], null=True, default=None)
    title = Varchar(length=FIELD_MAX["title"], null=True, default=None)
    birthday = Varchar(length=10, null=True, default=None)  # YYYY-MM-DD or --MM-DD
    note = Text(null=True, default=None)
    emails = Text(default="[]")  # JSON lists for display; lookups go through ContactKey
    phones = Text(default="[]")
    urls = Text(default="[]")
    groups = Text(default="[]")
    photo = Bytea(null=True, default=None)  # small JPEG thumbnail
    circle = ForeignKey(references=Circle, on_delete=OnDelete.set_null, null=True, index=True)
    cadence_override_days = Integer(null=True, default=None)
    kin = Boolean(default=False)
    archived = Boolean(default=False, index=True)
    edited_fields = Text(default="[]")  # JSON list of fields the user changed in Kith
    source = Varchar(length=200, null=True, default=None)
    # Derived by the one code path that records interactions (services.interactions):
    score = Real(default=0.0)
    health = Integer(default=0)
    due_on = Date(null=True, default=None)
    last_at = Timestamptz(null=True, default=None)
    last_kind = Varchar(length=32, null=True, default=None)
    not_before = Date(null=True, default=None)
    # What the last full scoring left for the nightly run (pipeline.strength.incremental), JSON:
    score_state = Text(null=True, default=None)
    entered_on = Date(null=True, default=None)  # when a triaged import may first be scheduled
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ContactKey(Table):
    """How re-imports find the same person: kind is source-uid, email or phone."""

    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    contact = ForeignKey(references=Contact, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16)
    value = Varchar(length=KEY_MAX)


class ImportCard(Table, tablename="import_card"):
    """Each card of a source as its last import saw it, and the contact as that import left it:
    a re-import skips matching and writing a card whose content and contact both still match."""

    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    # A deleted contact takes its rows along; a merged or edited one no longer matches `state`.
    contact = ForeignKey(references=Contact, on_delete=OnDelete.cascade, index=True)
    source = Varchar(length=200)
    uid = Varchar(length=KEY_MAX)  # the card's namespaced uid key
    card = Varchar(length=32)  # digest of the parsed record
    state = Varchar(length=32)  # digest of the contact's imported columns after that import
    # A large file's card recognised by its bytes is not even read (pipeline.identity.unchanged).
    body = Varchar(length=32, null=True, default=None)  # digest of its bytes
    given = Integer(default=0)
    version = Varchar(length=8, default="")


class Interaction(Table):
    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    contact = ForeignKey(references=Contact, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=32)
    at = Timestamptz()
    direction = Varchar(length=8, null=True, default=None)
    note = Text(null=True, default=None)
    source = Varchar(length=32, default="manual")
    dedup_key = Varchar(length=200, null=True, default=None)
    attendee_count = Integer(null=True, default=None)
    until = Date(null=True, default=None)  # a snooze's end day
    created_at = Timestamptz(default=TimestamptzNow())


class FollowUp(Table):
    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    contact = ForeignKey(references=Contact, on_delete=OnDelete.cascade, index=True)
    interaction = ForeignKey(references=Interaction, on_delete=OnDelete.cascade, null=True)
    what = Text()
    due_on = Date()
    done = Boolean(default=False)
    done_at = Timestamptz(null=True, default=None)
    changed_at = Timestamptz(default=TimestamptzNow())


class Reminder(Table):
    """The published plan: one row per contact with a placed reconnect day."""

    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    contact = ForeignKey(references=Contact, on_delete=OnDelete.cascade, index=True)
    day = Date()
    uid = Varchar(length=200)
    sequence = Integer(default=0)
    state = Varchar(length=16, default="planned")  # planned | done | skipped | snoozed
    changed_at = Timestamptz(default=TimestamptzNow())


class DayLog(Table):
    """A contact's credited days as its last full scoring found them (pipeline.strength.daylog),
    so that logging one more interaction rescores it without reading its history. Derived
    data, one row per contact: apart from the contact row because the nightly read of every
    contact has no use for it."""

    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    contact = ForeignKey(references=Contact, on_delete=OnDelete.cascade, unique=True)
    data = Bytea()  # msgpack of pipeline.strength.daylog.DayLog (api/store/scoring.py)


class FeedToken(Table):
    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    salt = Varchar(length=64, default="")  # the token is HMAC(secret key, salt); never stored
    created_at = Timestamptz(default=TimestamptzNow())
    last_fetched_at = Timestamptz(null=True, default=None)
    last_user_agent = Varchar(length=300, null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class ImportSource(Table):
    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=8)  # folder | url | carddav | caldav
    location = Text()
    format = Varchar(length=32, default="auto")
    label = Varchar(length=200, default="")
    full_export = Boolean(default=True)
    etag = Varchar(length=300, null=True, default=None)
    last_modified = Varchar(length=100, null=True, default=None)
    last_fingerprint = Varchar(length=64, null=True, default=None)
    last_run_at = Timestamptz(null=True, default=None)
    last_status = Varchar(length=16, null=True, default=None)
    last_error = Text(null=True, default=None)
    # CardDAV/CalDAV: the account, its password sealed by api/secrets_box.py, and the JSON list
    # of the collections to sync ({"href", "name", "sync"}).
    username = Varchar(length=300, null=True, default=None)
    secret = Text(null=True, default=None)
    collections = Text(default="[]")


class SyncState(Table):
    """What the last successful sync of one DAV collection left (RFC 6578 token, ETags)."""

    id = Serial(primary_key=True)
    import_source = ForeignKey(references=ImportSource, on_delete=OnDelete.cascade, index=True)
    collection = Text()
    sync_token = Text(null=True, default=None)
    etags = Text(default="{}")  # JSON: href -> [etag, uid of the card or event]


class ImportRun(Table):
    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    import_source = ForeignKey(references=ImportSource, on_delete=OnDelete.set_null, null=True)
    source = Varchar(length=300, default="")
    filename = Varchar(length=500, default="")
    format = Varchar(length=32, null=True, default=None)
    status = Varchar(length=16, default="running")  # running | ok | failed | skipped | interrupted
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    counts = Text(default="{}")
    issues = Text(default="[]")
    error = Text(null=True, default=None)
    # The NightlyRun (one attempt of a user's nightly job) that ran this source: a retry of the
    # job takes over its unfinished row or reuses its finished one instead of adding a second.
    nightly_run = Integer(null=True, default=None)


class MergeSuggestion(Table):
    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    contact_a = ForeignKey(references=Contact, on_delete=OnDelete.cascade)
    contact_b = ForeignKey(references=Contact, on_delete=OnDelete.cascade)
    score = Integer(default=0)
    reason = Varchar(length=200, default="")
    state = Varchar(length=16, default="open")  # open | dismissed | merged
    undo = Text(null=True, default=None)  # JSON snapshot to undo a merge
    changed_at = Timestamptz(default=TimestamptzNow())


class MetPerson(Table):
    """Calendar attendees who are not contacts yet: 'people you meet but have not added'."""

    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=320)
    name = Varchar(length=300, null=True, default=None)
    meetings = Integer(default=0)
    meeting_keys = Text(default="[]")  # JSON: the meetings counted, so re-imports never double
    dismissed = Boolean(default=False)


class NightlyRun(Table):
    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="running")  # running | ok | failed
    detail = Text(default="")
    error = Text(null=True, default=None)  # why it failed ("interrupted" when its process died)
    job_id = Integer(null=True, default=None)  # the Procrastinate job that ran it (PostgreSQL)
    attempt = Integer(default=0)  # 0 the first time, then each retry of the same job


class KVSession(Table):
    """Server-side sessions, shared by every app process (SQLite or PostgreSQL)."""

    id = Serial(primary_key=True)
    key = Varchar(length=200, unique=True)
    value = Bytea()
    expires_at = Timestamptz(null=True, default=None)


TABLES: list[type[Table]] = [
    User,
    Circle,
    Contact,
    ContactKey,
    ImportCard,
    Interaction,
    FollowUp,
    Reminder,
    DayLog,
    FeedToken,
    ImportSource,
    SyncState,
    ImportRun,
    MergeSuggestion,
    MetPerson,
    NightlyRun,
    KVSession,
]
