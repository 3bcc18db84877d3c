"""After an interaction's 15 minutes Discord answers its token with 401 / 50027: a private
reply then goes by DM (or where it was asked, when DMs are closed) and a public one over
REST, so a slow answer still reaches the person."""

from __future__ import annotations

from tests.discord.conftest import DEV, GENERAL, DiscordHarness
from tests.standins.discord_api import APP_ID


def dm_channel(dc: DiscordHarness, user_id: str) -> str:
    return next(
        c["id"]
        for c in dc.api.channels.values()
        if c["type"] == 1 and c["recipients"][0]["id"] == user_id
    )


async def test_a_private_reply_after_the_token_expired_goes_by_dm(dc: DiscordHarness) -> None:
    dc.api.tokens_expire_on_ack = True
    token = await dc.slash("help")
    refused = dc.api.calls_to("POST", f"/webhooks/{APP_ID}/{token}")
    assert refused, "the follow-up was tried first and refused with 401 / 50027"
    assert dc.followups(token) == []
    assert "`/caio ask <question>`" in dc.text(dm_channel(dc, DEV["id"]))
    assert "/caio ask" not in dc.text(GENERAL)


async def test_with_dms_closed_it_goes_to_the_thread_it_was_asked_in(dc: DiscordHarness) -> None:
    await dc.slash("ask", question="how should we evaluate our RAG pipeline?")
    (thread,) = dc.threads_of(GENERAL)
    dc.api.tokens_expire_on_ack = True
    dc.api.closed_dms.add(DEV["id"])
    await dc.slash("help", channel=thread)
    assert dc.api.calls_to("POST", "/users/@me/channels"), "a DM was tried first"
    assert "`/caio ask <question>`" in dc.text(thread)


async def test_a_usage_error_after_expiry_still_reaches_the_asker(dc: DiscordHarness) -> None:
    dc.api.tokens_expire_on_ack = True
    await dc.slash("ask", question="hi")
    assert "Usage: `/caio ask <question>`" in dc.text(dm_channel(dc, DEV["id"]))


async def test_a_public_answer_after_expiry_is_posted_over_rest(dc: DiscordHarness) -> None:
    dc.api.tokens_expire_on_ack = True
    token = await dc.slash("ask", question="which vector database should we pick?")
    asked = [m for m in dc.api.in_channel(GENERAL) if not m.get("webhook_id")]
    (question,) = asked
    assert question["content"] == "**dev** asked: which vector database should we pick?"
    assert dc.threads_of(GENERAL) == [question["id"]]
    answer = dc.api.in_channel(question["id"])[-1]
    assert [b["label"] for b in dc.api.buttons(answer)][-1] == "Escalate"
    assert dc.followups(token) == []


async def test_thinking_does_not_stay_above_an_answer_sent_after_expiry(dc: DiscordHarness) -> None:
    dc.api.tokens_expire_on_ack = True
    token = await dc.slash("ask", question="which vector database should we pick?")
    placeholder = dc.api.interactions[token].original_id
    assert placeholder is not None
    assert dc.api.calls_to("DELETE", f"/channels/{GENERAL}/messages/{placeholder}")
    assert [m["id"] for m in dc.api.in_channel(GENERAL) if m.get("webhook_id")] == []
    assert dc.threads_of(GENERAL), "the answer itself still went out over REST"
