"""A client's settings: one validated shape shared by the CLI, `/caio config` and TOML files.

Errors a person can make (an unknown time zone, a queue without a channel, a line of a
TOML file) become `ClientError` values with a message that says what to fix.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.calendar import CalendarError, OfficeHours
from bot.db.models import Client, Member, Role, Seniority, Workspace
from bot.directory import client_for
from bot.events import Address
from bot.practice.hours import format_hours

PLATFORMS = ("slack", "discord", "console")
QUIET_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ClientError(ValueError):
    """A setting or file a person got wrong; the message says what to fix."""


# Hours a person types, the one rule for `clients add`, `clients set`, TOML files and
# `/caio config set`: finite, and within what a month or two weeks can hold.
ResponseTargetHours = Annotated[float, Field(gt=0, le=24 * 14, allow_inf_nan=False)]
RetainerHours = Annotated[float, Field(ge=0, le=744, allow_inf_nan=False)]


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)"
        ) from None
    return value


def check_country(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    code = value.upper()
    if code not in holidays.list_supported_countries():
        raise ValueError(f"no holiday calendar for country {value!r} (use ISO codes like DE)")
    return code


def check_office_hours(value: str) -> str:
    """The same parser the SLA clock and schedules use, so what is accepted here works there."""
    value = " ".join(value.lower().split())
    try:
        OfficeHours.parse(value)
    except CalendarError as exc:
        raise ValueError(str(exc)) from None
    return value


def check_quiet_hours(value: str) -> str:
    value = value.strip()
    if not QUIET_HOURS.match(value):
        raise ValueError(f"quiet hours {value!r} should look like '20:00-08:00'")
    return value


def parse_queue(value: str) -> Address:
    """`platform:workspace:channel` → the queue conversation's address."""
    parts = value.split(":")
    if len(parts) != 3 or not all(parts) or parts[0] not in PLATFORMS:
        raise ValueError(
            f"queue {value!r} should be platform:workspace:channel, e.g. slack:T0CAIO:C0QUEUE"
        )
    return Address(*parts)


async def check_queue(session: AsyncSession, client: Client, *, from_chat: bool = False) -> None:
    """Refuse a queue whose answers nobody could give: the CAIO's replies are read only in
    workspaces linked to a client. From chat, the queue stays in the client's own workspaces,
    or one client's admin could send its escalations, AI drafts included, to another's."""
    if not client.queue_address:
        return
    queue = Address.parse(client.queue_address)
    where = f"{queue.platform}:{queue.workspace}"
    owner = await client_for(session, queue.platform, queue.workspace)
    if owner is None:
        raise ClientError(
            f"{where} is linked to no client, so the CAIO's replies there would not be read. "
            f"Link the CAIO's own workspace first, as a client where you have the caio role: "
            f'`caio-bot clients add caio-hq "CAIO HQ" --{queue.platform} {queue.workspace} '
            f"--caio {queue.platform}:<your user id>:<your name>`"
        )
    if from_chat and owner.id != client.id:
        raise ClientError(
            f"From chat the queue can only be in {client.name}'s own workspaces "
            "(`/caio config queue here`); a queue in your own workspace is set with "
            f"`caio-bot clients set {client.id} queue={where}:<channel>`."
        )


def queue_label(client: Client) -> str:
    if not client.queue_address:
        return "—"
    queue = Address.parse(client.queue_address)
    return f"{queue.platform}:{queue.workspace}:{queue.channel}"


class MemberSpec(BaseModel):
    """A person given a role up front (the CAIO themself, a team lead, a junior)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    platform: str
    user_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    role: Role = Role.MEMBER
    seniority: Seniority | None = None

    @field_validator("platform")
    @classmethod
    def _platform(cls, value: str) -> str:
        if value not in PLATFORMS:
            raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}")
        return value


class ClientSpec(BaseModel):
    """Everything that describes a client, as the CLI and TOML files give it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str
    name: str = Field(min_length=1)
    slack: list[str] = []
    discord: list[str] = []
    console: list[str] = []
    queue: str | None = None
    office_hours: str = "mon-fri 09:00-17:00"
    quiet_hours: str = "20:00-08:00"
    timezone: str = "UTC"
    country: str | None = None
    region: str | None = None
    response_target_hours: ResponseTargetHours = 24.0
    retainer_hours: RetainerHours = 0.0
    profile: str = ""
    members: list[MemberSpec] = []

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not CLIENT_ID.match(value):
            raise ValueError("use lower-case letters, digits, - and _ (up to 64)")
        return value

    _tz = field_validator("timezone")(check_timezone)
    _country = field_validator("country")(check_country)
    _office = field_validator("office_hours")(check_office_hours)
    _quiet = field_validator("quiet_hours")(check_quiet_hours)

    @field_validator("queue")
    @classmethod
    def _queue(cls, value: str | None) -> str | None:
        return parse_queue(value).key if value else None

    @model_validator(mode="after")
    def _region(self) -> ClientSpec:
        if self.region:
            if not self.country:
                raise ValueError("region needs a country")
            regions = holidays.list_supported_countries()[self.country]
            if self.region.upper() not in regions:
                raise ValueError(f"{self.country} has no region {self.region!r}")
            self.region = self.region.upper()
        return self

    def workspaces(self) -> list[tuple[str, str]]:
        return [(p, w) for p in PLATFORMS for w in getattr(self, p)]


def _raise(message: str) -> NoReturn:
    raise ValueError(message)


# -- single settings, as `clients set` and `/caio config set` change them ---------------------
def _hours(name: str, kind: Any) -> Callable[[str], float]:
    """A setter for hours (`20` or `20h`) checked by the same rule as the client's spec."""
    adapter: TypeAdapter[float] = TypeAdapter(kind)

    def parse(value: str) -> float:
        text = value.lower().removesuffix("h").strip()
        try:
            return adapter.validate_python(text)
        except ValidationError as exc:
            reason = str(exc.errors()[0]["msg"]).lower()
            raise ValueError(f"{name} {text!r}: {reason} (hours)") from None

    return parse


SETTERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "name": ("name", lambda v: v.strip() or _raise("a name cannot be empty")),
    "timezone": ("timezone", check_timezone),
    "country": ("country", check_country),
    "region": ("region", lambda v: v.strip().upper() or None),
    "office_hours": ("office_hours", check_office_hours),
    "quiet_hours": ("quiet_hours", check_quiet_hours),
    "response_target": ("response_target_hours", _hours("response_target", ResponseTargetHours)),
    "retainer": ("retainer_hours", _hours("retainer", RetainerHours)),
    "profile": ("profile", str.strip),
    "queue": ("queue_address", lambda v: parse_queue(v).key),
}
ALIASES = {
    "tz": "timezone",
    "office-hours": "office_hours",
    "quiet-hours": "quiet_hours",
    "response-target": "response_target",
    "response_target_hours": "response_target",
    "retainer_hours": "retainer",
    "retainer-hours": "retainer",
}


def setting_names() -> str:
    return ", ".join(SETTERS)


def apply_setting(client: Client, name: str, value: str) -> str:
    """Validate and set one field on `client`; returns the canonical field name."""
    name = ALIASES.get(name.lower(), name.lower())
    if name not in SETTERS:
        raise ClientError(f"unknown setting {name!r}; settings: {setting_names()}")
    attribute, parse = SETTERS[name]
    try:
        parsed = parse(value)
    except ValueError as exc:
        raise ClientError(str(exc)) from None
    if name == "region" and parsed:
        country = client.country
        if not country or parsed not in holidays.list_supported_countries()[country]:
            raise ClientError(f"{country or 'no country'} has no region {parsed!r}")
    setattr(client, attribute, parsed)
    return name


def describe(client: Client, workspaces: list[Workspace]) -> list[tuple[str, str]]:
    """The settings as (label, value) rows, for Rich tables and `/caio config show`."""
    linked = ", ".join(f"{w.platform}:{w.external_id}" for w in workspaces) or "—"
    where = client.country or "—"
    if client.region:
        where += f"-{client.region}"
    return [
        ("id", client.id),
        ("name", client.name),
        ("workspaces", linked),
        ("queue", queue_label(client)),
        ("office hours", f"{client.office_hours} ({client.timezone})"),
        ("quiet hours", client.quiet_hours),
        ("country/region", where),
        ("response target", f"{client.response_target_hours:g} h"),
        ("retainer", f"{format_hours(client.retainer_hours * 60)}/month"),
        ("profile", client.profile or "—"),
    ]


# -- the database ------------------------------------------------------------------------------
async def workspaces_of(session: AsyncSession, client_id: str) -> list[Workspace]:
    rows = await session.exec(
        select(Workspace)
        .where(Workspace.client_id == client_id)
        .order_by(col(Workspace.platform), col(Workspace.external_id))
    )
    return list(rows)


async def link(session: AsyncSession, client_id: str, platform: str, external_id: str) -> None:
    """Map a workspace to this client, refusing one that already belongs to another."""
    row = (
        await session.exec(
            select(Workspace).where(
                Workspace.platform == platform, Workspace.external_id == external_id
            )
        )
    ).first()
    if row is not None and row.client_id != client_id:
        raise ClientError(f"{platform}:{external_id} already belongs to client {row.client_id!r}")
    if row is None:
        session.add(Workspace(client_id=client_id, platform=platform, external_id=external_id))


async def save_spec(session: AsyncSession, spec: ClientSpec, now: datetime) -> Client:
    """Create or update a client from a spec, its workspaces and members, in one commit."""
    client = await session.get(Client, spec.id)
    if client is None:
        client = Client(id=spec.id, name=spec.name, created_at=now)
    client.name = spec.name
    client.queue_address = spec.queue
    client.office_hours = spec.office_hours
    client.quiet_hours = spec.quiet_hours
    client.timezone = spec.timezone
    client.country = spec.country
    client.region = spec.region
    client.response_target_hours = spec.response_target_hours
    client.retainer_hours = spec.retainer_hours
    client.profile = spec.profile
    session.add(client)
    await session.flush()
    for platform, external_id in spec.workspaces():
        await link(session, spec.id, platform, external_id)
    for person in spec.members:
        await upsert_member(session, spec.id, person)
    await check_queue(session, client)
    await session.commit()
    return client


async def upsert_member(session: AsyncSession, client_id: str, person: MemberSpec) -> Member:
    member = (
        await session.exec(
            select(Member).where(
                Member.client_id == client_id,
                Member.platform == person.platform,
                Member.user_id == person.user_id,
            )
        )
    ).first() or Member(
        client_id=client_id, platform=person.platform, user_id=person.user_id, name=person.name
    )
    member.name = person.name
    member.role = person.role
    member.seniority = person.seniority
    session.add(member)
    return member


# -- TOML files with line-precise errors -------------------------------------------------------
_TABLE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Where each key path is set: ('members', 1, 'role') → its 1-based line number."""
    lines: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    counts: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header and not _KEY.match(line):
            names = tuple(p.strip().strip("\"'") for p in header.group(2).split("."))
            if header.group(1) == "[[":
                counts[names] = counts.get(names, -1) + 1
                table = (*names, counts[names])
            else:
                table = names
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            path = (*table, *(p.strip().strip("\"'") for p in key.group(1).split(".")))
            lines.setdefault(path, number)
    return lines


def _line_of(loc: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> int:
    for size in range(len(loc), 0, -1):
        if loc[:size] in lines:
            return lines[loc[:size]]
    return 1


def load_toml(text: str) -> ClientSpec:
    """Parse and validate a client file; errors name their line (`line 7: timezone: …`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClientError(str(exc)) from None
    try:
        return ClientSpec.model_validate(data)
    except ValidationError as exc:
        lines = key_lines(text)
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            where = _line_of(loc, lines)
            field = ".".join(str(p) for p in loc) or "client"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append((where, f"line {where}: {field}: {message}"))
        raise ClientError("\n".join(m for _, m in sorted(problems))) from None
