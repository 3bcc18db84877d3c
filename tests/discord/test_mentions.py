"""Nothing the bot posts pings anyone: an "@everyone", a role or a user mention typed into a
question is echoed as text, not as a notification."""

from __future__ import annotations

from tests.discord.conftest import LEAD_ROLE, SAM, DiscordHarness


async def test_echoed_mentions_do_not_ping(dc: DiscordHarness) -> None:
    question = f"@everyone <@&{LEAD_ROLE}> <@{SAM['id']}> what is our policy on prompt logging?"
    token = await dc.slash("ask", question=question)
    asked = dc.original(token)
    assert asked is not None and question in asked["content"]
    posts = [
        c
        for c in dc.api.calls
        if c.method in ("POST", "PATCH") and isinstance(c.body, dict) and "content" in c.body
    ]
    assert len(posts) >= 2, "the question and the answer"
    assert all(c.body["allowed_mentions"] == {"parse": []} for c in posts)
