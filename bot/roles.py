"""Platform roles → caio-bot roles, e.g. `CAIO_DISCORD_ROLES="CAIO:caio,Tech Leads:lead,123:admin"`.

An adapter installs its platform's mapping at start-up; `member_for` applies it on every
event that carries roles, so granting or removing a Discord role takes effect at once.
"""

from __future__ import annotations

from bot.db.models import Role
from bot.events import Actor

RANK = (Role.MEMBER, Role.LEAD, Role.CAIO, Role.ADMIN)
_maps: dict[str, dict[str, Role]] = {}


def parse_role_map(spec: str) -> dict[str, Role]:
    """`"Name or id:role, …"` → {name: Role}; names are matched case-insensitively."""
    mapping: dict[str, Role] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, role = item.rpartition(":")
        if not sep or not name.strip():
            raise ValueError(f"role mapping {item!r} should read `<role name or id>:<role>`")
        try:
            mapping[name.strip().casefold()] = Role(role.strip().lower())
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise ValueError(f"role mapping {item!r}: the role must be one of {roles}") from None
    return mapping


def use_role_map(platform: str, mapping: dict[str, Role]) -> None:
    _maps[platform] = mapping


def mapped_role(actor: Actor) -> Role | None:
    """The highest mapped role of `actor`; MEMBER when none of theirs is mapped; None when the
    platform has no mapping or the event carried no roles (a DM, say)."""
    mapping = _maps.get(actor.platform)
    if not mapping or not actor.platform_roles:
        return None
    found = [mapping[r.casefold()] for r in actor.platform_roles if r.casefold() in mapping]
    return max(found, key=RANK.index) if found else Role.MEMBER
