"""Discord payloads → neutral events, through discord.py's own parsing."""

from __future__ import annotations

from bot.events import Actor, ThreadReply
from bot.roles import mapped_role, parse_role_map, use_role_map
from tests.discord.conftest import CAIO_ROLE, DEV, GENERAL, GUILD, LEAD_ROLE, DiscordHarness


async def test_a_member_carries_role_ids_and_names(dc: DiscordHarness) -> None:
    seen: list[Actor] = []

    async def claim(ctx: object, reply: ThreadReply) -> bool:
        seen.append(reply.actor)
        return True

    await dc.slash("ask", question="how do we test prompts?")
    (thread,) = dc.threads_of(GENERAL)
    dc.bot.registry.thread_reply_handlers.insert(0, claim)
    try:
        await dc.say(thread, "thanks!", DEV, (LEAD_ROLE,))
    finally:
        dc.bot.registry.thread_reply_handlers.remove(claim)
    (actor,) = seen
    assert actor == Actor("discord", DEV["id"], "dev", (GUILD, LEAD_ROLE, "Tech Leads"))


def test_the_highest_mapped_role_wins_and_dms_change_nothing() -> None:
    use_role_map("discord", parse_role_map(f"{CAIO_ROLE}:caio,Tech Leads:lead"))
    try:
        check_mapping()
    finally:
        use_role_map("discord", {})


def check_mapping() -> None:
    both = Actor("discord", "1", "dana", (GUILD, "Tech Leads", CAIO_ROLE))
    assert mapped_role(both) == "caio"
    assert mapped_role(Actor("discord", "1", "dana", (GUILD,))) == "member"
    assert mapped_role(Actor("discord", "1", "dana", ())) is None, "a DM carries no roles"
    assert mapped_role(Actor("console", "1", "dana", ("Tech Leads",))) is None
