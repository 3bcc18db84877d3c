"""Who may run what: one table, checked by the router before any handler runs.

Rows are (command glob, roles allowed); the first glob that matches a command name wins,
and a command that matches no row is open to every role.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from bot.db.models import Role

EVERYONE = frozenset(Role)
CAIO = frozenset({Role.CAIO, Role.ADMIN})
LEADS = frozenset({Role.LEAD, Role.CAIO, Role.ADMIN})

PERMISSIONS: list[tuple[str, frozenset[Role]]] = [
    ("answer", CAIO),
    ("resolve", CAIO),
    ("config*", CAIO),
    ("hours*", CAIO),
    ("share add", LEADS),
    ("share remove", LEADS),
    ("share now", LEADS),
    ("standup setup", LEADS),
    ("standup pause", LEADS),
    ("standup resume", LEADS),
    ("standup skip", LEADS),
    ("standup now", LEADS),
    ("standup off", LEADS),
    ("checkin setup", LEADS),
    ("checkin pause", LEADS),
    ("checkin off", LEADS),
    ("checkin resume", LEADS),
    ("checkin skip", LEADS),
    ("checkin now", LEADS),
    ("share schedule", LEADS),
    ("radar set", LEADS),
    ("decide*", LEADS),
    ("decisions supersede", LEADS),
    ("report*", LEADS),
]


def allowed_roles(command: str) -> frozenset[Role]:
    for pattern, roles in PERMISSIONS:
        if fnmatchcase(command, pattern):
            return roles
    return EVERYONE


def may_run(role: str, command: str) -> bool:
    return Role(role) in allowed_roles(command)


def describe(roles: frozenset[Role]) -> str:
    """ "the CAIO or an admin", for refusals users can act on."""
    names = {Role.CAIO: "the CAIO", Role.ADMIN: "an admin", Role.LEAD: "a lead"}
    parts = [names[r] for r in (Role.CAIO, Role.LEAD, Role.ADMIN) if r in roles]
    return ", ".join(parts[:-1]) + (" or " if len(parts) > 1 else "") + parts[-1]
