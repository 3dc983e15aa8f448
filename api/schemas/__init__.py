"""Request and response bodies at the HTTP edge (msgspec structs, never ORM-derived)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from api.schemas.sources import (  # the sources' shapes: a module of their own
    CollectionOut as CollectionOut,
)
from api.schemas.sources import (
    SourceIn as SourceIn,
)
from api.schemas.sources import (
    SourceOut as SourceOut,
)
from api.schemas.sources import (
    SourceTestIn as SourceTestIn,
)
from api.schemas.sources import (
    SourceTestOut as SourceTestOut,
)
from api.schemas.sources import (
    SourceUpdateIn as SourceUpdateIn,
)
from pipeline.limits import (
    CIRCLE_NAME_MAX,
    EMAIL_MAX,
    FIELD_MAX,
    PHONE_MAX,
    TIMEZONE_MAX,
)

# Lengths (issue 12): one limit per field on both engines, checked as the body is decoded, so a
# longer value is a 400 naming the field and its limit. Value ranges are checked elsewhere.
FullName = Annotated[str, msgspec.Meta(max_length=FIELD_MAX["full_name"])]
PartName = Annotated[str, msgspec.Meta(max_length=FIELD_MAX["given_name"])]
OrgText = Annotated[str, msgspec.Meta(max_length=FIELD_MAX["organization"])]
Email = Annotated[str, msgspec.Meta(max_length=EMAIL_MAX)]
Phone = Annotated[str, msgspec.Meta(max_length=PHONE_MAX)]
CircleName = Annotated[str, msgspec.Meta(max_length=CIRCLE_NAME_MAX)]
TimeZoneName = Annotated[str, msgspec.Meta(max_length=TIMEZONE_MAX)]


class ErrorOut(msgspec.Struct):
    error: str


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str


class MeOut(msgspec.Struct):
    id: int
    email: str
    timezone: str
    region: str
    per_day_cap: int
    per_week_cap: int
    weekday_factors: list[float]
    alarm_hour: int | None
    nightly_hour: int
    own_emails: list[str]


class SessionOut(msgspec.Struct):
    """The page's first question: who is signed in (always 200, so no console error)."""

    signed_in: bool
    user: MeOut | None = None


class SetupIn(msgspec.Struct, forbid_unknown_fields=True):
    # Every field has a default so a missing code is the 403 it should be, not a 400.
    code: str = ""
    email: str = ""
    password: str = ""
    timezone: str = "UTC"
    region: str = ""


class SetupStatusOut(msgspec.Struct):
    """`open` while no account exists; `code_valid` says whether the link's code is the one."""

    open: bool
    code_valid: bool


class GuideOut(msgspec.Struct):
    """The three first steps on Today: import, circles, a subscribed calendar."""

    contacts: int
    in_circle: int
    feed_fetched: bool
    done: bool


class SettingsPatch(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    timezone: TimeZoneName | msgspec.UnsetType = msgspec.UNSET
    region: str | msgspec.UnsetType = msgspec.UNSET
    per_day_cap: int | msgspec.UnsetType = msgspec.UNSET
    per_week_cap: int | msgspec.UnsetType = msgspec.UNSET
    weekday_factors: list[float] | msgspec.UnsetType = msgspec.UNSET
    alarm_hour: int | msgspec.UnsetType | None = msgspec.UNSET
    nightly_hour: int | msgspec.UnsetType = msgspec.UNSET
    own_emails: list[Email] | msgspec.UnsetType = msgspec.UNSET


class ContactOut(msgspec.Struct):
    id: int
    full_name: str
    given_name: str | None
    family_name: str | None
    nickname: str | None
    organization: str | None
    title: str | None
    birthday: str | None
    note: str | None
    emails: list[str]
    phones: list[str]
    urls: list[str]
    groups: list[str]
    circle_id: int | None
    circle: str | None
    cadence_override_days: int | None
    kin: bool
    archived: bool
    health: int
    score: float
    due_on: dt.date | None
    last_at: dt.datetime | None
    last_kind: str | None
    has_photo: bool
    not_before: dt.date | None
    reminder_on: dt.date | None
    source: str | None
    edited_fields: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactPage(msgspec.Struct):
    items: list[ContactOut]
    total: int
    limit: int
    offset: int


class ContactIn(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    full_name: FullName
    given_name: PartName | None = None
    family_name: PartName | None = None
    nickname: PartName | None = None
    organization: OrgText | None = None
    title: OrgText | None = None
    birthday: str | None = None
    note: str | None = None
    emails: list[Email] = []
    phones: list[Phone] = []
    urls: list[str] = []
    groups: list[str] = []
    circle_id: int | None = None
    cadence_override_days: int | None = None
    kin: bool = False


class ContactPatch(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    full_name: FullName | msgspec.UnsetType = msgspec.UNSET
    given_name: PartName | msgspec.UnsetType | None = msgspec.UNSET
    family_name: PartName | msgspec.UnsetType | None = msgspec.UNSET
    nickname: PartName | msgspec.UnsetType | None = msgspec.UNSET
    organization: OrgText | msgspec.UnsetType | None = msgspec.UNSET
    title: OrgText | msgspec.UnsetType | None = msgspec.UNSET
    birthday: str | msgspec.UnsetType | None = msgspec.UNSET
    note: str | msgspec.UnsetType | None = msgspec.UNSET
    emails: list[Email] | msgspec.UnsetType = msgspec.UNSET
    phones: list[Phone] | msgspec.UnsetType = msgspec.UNSET
    urls: list[str] | msgspec.UnsetType = msgspec.UNSET
    groups: list[str] | msgspec.UnsetType = msgspec.UNSET
    circle_id: int | msgspec.UnsetType | None = msgspec.UNSET
    cadence_override_days: int | msgspec.UnsetType | None = msgspec.UNSET
    kin: bool | msgspec.UnsetType = msgspec.UNSET


class CircleOut(msgspec.Struct):
    id: int
    name: str
    cadence_days: int
    kin: bool
    tier: int
    slack: float
    position: int
    contact_count: int


class CirclePatch(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    name: CircleName | msgspec.UnsetType = msgspec.UNSET
    cadence_days: int | msgspec.UnsetType = msgspec.UNSET
    kin: bool | msgspec.UnsetType = msgspec.UNSET


class HealthOut(msgspec.Struct, omit_defaults=True):
    """GET /health. A caller without a session gets PUBLIC_HEALTH_FIELDS only: every other field
    needs a default (None), which leaves it out of the body."""

    status: str
    database: str
    engine: str
    migrations: str
    pending_migrations: list[str]
    nightly: dict[str, object] | None = None  # the signed-in caller's own nightly runs


# What /health tells anyone (a load balancer, an uptime check): liveness, database, migrations.
PUBLIC_HEALTH_FIELDS = ("status", "database", "engine", "migrations", "pending_migrations")


def changes_of(struct: msgspec.Struct) -> dict[str, object]:
    """The fields a PATCH body actually set (UNSET ones are left out)."""
    return {
        name: value
        for name in struct.__struct_fields__
        if (value := getattr(struct, name)) is not msgspec.UNSET
    }


class FollowUpIn(msgspec.Struct, forbid_unknown_fields=True):
    what: str
    due_on: dt.date


class FollowUpOut(msgspec.Struct):
    id: int
    contact_id: int
    name: str
    what: str
    due_on: dt.date
    done: bool


class InteractionIn(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    kind: str
    idempotency_key: str | None = None
    at: dt.datetime | None = None
    on: dt.date | None = None
    note: str | None = None
    direction: str | None = None
    attendee_count: int | None = None
    follow_up: FollowUpIn | None = None


class InteractionOut(msgspec.Struct):
    id: int
    contact_id: int
    kind: str
    at: dt.datetime
    direction: str | None
    note: str | None
    source: str
    attendee_count: int | None
    follow_up: FollowUpOut | None


class LoggedOut(msgspec.Struct):
    interaction: InteractionOut
    contact: ContactOut
    replayed: bool


class DeletedOut(msgspec.Struct):
    ok: bool
    contact: ContactOut


class ContributionOut(msgspec.Struct):
    on: dt.date
    kind: str
    credit: float
    share: float


class ExplanationOut(msgspec.Struct):
    summary: str
    half_life_text: str
    due_text: str | None
    contributions: list[ContributionOut]
    due_on: dt.date | None
    rest: float = 0.0


class StrengthOut(msgspec.Struct):
    health: int
    score: float
    due_on: dt.date | None
    series: list[int]
    explanation: ExplanationOut


class TodayItemOut(msgspec.Struct):
    contact_id: int
    name: str
    circle: str | None
    health: int
    day: dt.date
    last_kind: str | None
    last_at: dt.datetime | None
    has_photo: bool


class TodayOut(msgspec.Struct):
    today: dt.date
    due: list[TodayItemOut]
    upcoming: list[TodayItemOut]
    backlog_count: int
    follow_ups: list[FollowUpOut]


class SnoozeIn(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    until: dt.date | None = None
    by: str | None = None


class IssueOut(msgspec.Struct):
    line: int
    message: str
    file: str | None = None


class ImportReportOut(msgspec.Struct):
    id: int
    filename: str
    format: str | None
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    counts: dict[str, int]
    issues: list[IssueOut]
    error: str | None


class MetPersonOut(msgspec.Struct):
    id: int
    email: str
    name: str | None
    meetings: int


class FeedOut(msgspec.Struct):
    https_url: str
    webcal_url: str
    google_url: str
    outlook_url: str
    outlook_work_url: str
    qr_svg: str
    created_at: dt.datetime
    last_fetched_at: dt.datetime | None
    last_user_agent: str | None
    # True when the secret key changed since the link was made: it cannot be shown again (the
    # URL fields are empty), calendars subscribed to it keep working, `warning` says to rotate.
    key_changed: bool = False
    warning: str | None = None


class DoneIn(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    kind: str = "message"
    idempotency_key: str | None = None


class SuggestionOut(msgspec.Struct):
    id: int
    score: int
    reason: str
    a: ContactOut
    b: ContactOut


class MergeIn(msgspec.Struct, forbid_unknown_fields=True):
    keep_id: int


class UndoIn(msgspec.Struct, omit_defaults=True):
    # Undo even though fields were edited since the merge (they go back to before it).
    discard_edits: bool = False


class UndoneOut(msgspec.Struct):
    ok: bool
    discarded: list[str]  # "Name: field, field" per contact whose later edits were put back


class MergedOut(msgspec.Struct):
    contact: ContactOut
    undo_id: int
