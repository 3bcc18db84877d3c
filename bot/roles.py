"""Platform roles → caio-bot roles, e.g. `CAIO_DISCORD_ROLES="1234567890:caio,Tech Leads:lead"`.

An adapter installs its platform's mapping at start-up; `member_for` applies it on every
event that carries roles, so granting or removing a Discord role takes effect at once.

A role *name* may grant at most `lead`: any server's admin can create a role named "CAIO"
and give it to themselves, so `caio` and `admin` are granted only by role id (a Discord
role id is a global snowflake nobody can choose).
"""

from __future__ import annotations

from bot.db.models import Role
from bot.events import Actor

RANK = (Role.MEMBER, Role.LEAD, Role.CAIO, Role.ADMIN)
HIGHEST_BY_NAME = Role.LEAD
_maps: dict[str, dict[str, Role]] = {}


def is_role_id(key: str) -> bool:
    """Role ids are ASCII digits; anything else is a role name."""
    return key.isascii() and key.isdigit()


def parse_role_map(spec: str) -> dict[str, Role]:
    """`"Name or id:role, …"` → {name or id: Role}; names are matched case-insensitively.
    Refuses a name that would grant more than `lead`."""
    mapping: dict[str, Role] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, role = item.rpartition(":")
        if not sep or not name.strip():
            raise ValueError(f"role mapping {item!r} should read `<role name or id>:<role>`")
        try:
            granted = Role(role.strip().lower())
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise ValueError(f"role mapping {item!r}: the role must be one of {roles}") from None
        key = name.strip().casefold()
        if RANK.index(granted) > RANK.index(HIGHEST_BY_NAME) and not is_role_id(key):
            raise ValueError(
                f"role mapping {item!r}: map caio and admin by role id, e.g. "
                f"123456789012345678:{granted.value} — any server's admin can create a role "
                f"named {name.strip()!r}"
            )
        mapping[key] = granted
    return mapping


def use_role_map(platform: str, mapping: dict[str, Role]) -> None:
    _maps[platform] = mapping


def mapped_role(actor: Actor) -> Role | None:
    """The highest mapped role of `actor`; MEMBER when none of theirs is mapped; None when the
    platform has no mapping or the event carried no roles (a DM, say)."""
    mapping = _maps.get(actor.platform)
    if not mapping or not actor.platform_roles:
        return None
    keys = [r.casefold() for r in actor.platform_roles]
    found = [_granted(key, mapping) for key in keys if key in mapping]
    return max(found, key=RANK.index) if found else Role.MEMBER


def _granted(key: str, mapping: dict[str, Role]) -> Role:
    """What one mapped role grants; a name never more than `lead`, however it was mapped."""
    role = mapping[key]
    if is_role_id(key) or RANK.index(role) <= RANK.index(HIGHEST_BY_NAME):
        return role
    return HIGHEST_BY_NAME
