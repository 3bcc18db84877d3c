"""Discord roles: a role name may make someone a lead at most. Any server's admin can create a
role called "CAIO" (or one named after the CAIO's role id), so caio and admin are mapped by
role id only, and a mapping that grants them by name stops the process at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.clock import ManualClock
from bot.events import Address
from bot.wiring import stop
from tests.discord.conftest import (
    CAIO_ROLE,
    DANA,
    GUILD,
    LEAD_ROLE,
    QUEUE,
    SAM,
    DiscordHarness,
    discord_settings,
    link_acme,
)
from tests.discord.test_escalation import ask_and_escalate
from tests.standins.discord_api import DiscordStandIn

NAMED_CAIO = "1200000000000000200"
NAMED_AS_ID = "1200000000000000201"


def role(role_id: str, name: str) -> dict[str, object]:
    return {
        "id": role_id,
        "name": name,
        "permissions": "0",
        "position": 3,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
    }


async def test_a_role_named_caio_or_after_the_caio_role_id_grants_nothing(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> None:
    """A client's admin makes two roles of their own, "CAIO" and one named after the CAIO's
    role id, and gives them to themselves: they still may not answer escalations."""
    discord_api.guilds[GUILD]["roles"] += [role(NAMED_CAIO, "CAIO"), role(NAMED_AS_ID, CAIO_ROLE)]
    dc = await DiscordHarness.started(
        discord_api, discord_settings(database_url, discord_api), clock
    )
    try:
        await link_acme(dc.bot, Address("discord", GUILD, QUEUE))
        thread, _ = await ask_and_escalate(dc)
        token = await dc.slash(
            "answer", SAM, (NAMED_CAIO, NAMED_AS_ID), QUEUE, id=1, text="ship it, says the CAIO"
        )
        refusal = dc.original(token)
        assert refusal is not None and "Only the CAIO or an admin" in refusal["content"]
        assert "ship it" not in dc.text(thread)

        token = await dc.slash("answer", DANA, (CAIO_ROLE,), QUEUE, id=1, text="Not yet.")
        done = dc.original(token)
        assert done is not None and "Answer to #1 relayed and logged" in done["content"]
    finally:
        await stop(dc.bot)


async def test_a_role_name_still_makes_a_lead(dc: DiscordHarness) -> None:
    token = await dc.slash("run", SAM, (LEAD_ROLE,), text="standup setup at 09:30 tz UTC")
    shown = dc.original(token)
    assert shown is not None and "Stand-up set up" in str(shown)


@pytest.mark.parametrize("spec", ["CAIO:caio", "Tech Leads:lead, Owners:admin", "caio:CAIO"])
def test_granting_caio_or_admin_by_name_is_refused_when_settings_load(
    database_url: str, discord_api: DiscordStandIn, spec: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        discord_settings(database_url, discord_api, discord_roles=spec)
    said = str(refused.value)
    assert "CAIO_DISCORD_ROLES: " in said and "map caio and admin by role id" in said
    assert "e.g. 123456789012345678:" in said and "can create a role named" in said


def test_ids_for_caio_and_admin_and_names_for_lead_are_accepted(
    database_url: str, discord_api: DiscordStandIn
) -> None:
    spec = f"{CAIO_ROLE}:caio, Tech Leads:lead, 1200000000000000300:admin, Devs:member"
    assert discord_settings(database_url, discord_api, discord_roles=spec).discord_roles == spec
