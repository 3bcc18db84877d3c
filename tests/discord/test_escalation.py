"""Escalations on Discord: the Escalate button, the CAIO's queue thread, the relay back to
the asker's thread over REST (the interaction token is long gone by then), and roles."""

from __future__ import annotations

from tests.discord.conftest import CAIO_ROLE, DANA, GENERAL, LEAD_ROLE, QUEUE, SAM, DiscordHarness
from tests.standins.discord_api import APP_ID


async def ask_and_escalate(dc: DiscordHarness) -> tuple[str, str]:
    """Ask, click Escalate under the answer; returns (asker's thread, queue thread)."""
    await dc.slash("ask", question="can we send customer emails to OpenAI under our DPA?")
    (thread,) = dc.threads_of(GENERAL)
    answer = dc.api.in_channel(thread)[-1]
    token = await dc.click(answer, "Escalate")
    assert dc.api.interactions[token].response_type == 6, "a click is acknowledged at once"
    (queue_thread,) = dc.threads_of(QUEUE)
    return thread, queue_thread


async def test_escalate_button_posts_to_the_queue_and_the_caio_reply_is_relayed(
    dc: DiscordHarness,
) -> None:
    thread, queue_thread = await ask_and_escalate(dc)
    (ticket,) = dc.api.in_channel(QUEUE)
    (embed,) = ticket["embeds"]
    assert embed["title"] == "Escalation #1"
    assert {"name": "Asked by", "value": "dev", "inline": True} in embed["fields"]
    assert "Reply in this thread, or `/caio answer 1 <text>`." in ticket["content"]
    assert [b["custom_id"] for b in dc.api.buttons(ticket)] == ["caio:escalation.resolve:1"]
    assert "Escalated to the CAIO as #1" in dc.text(thread)

    await dc.say(queue_thread, "I think legal should look at this", SAM)
    assert "answered escalation" not in dc.text(thread), "a teammate's chatter is not relayed"

    reply = await dc.say(
        queue_thread, "Yes, with the zero-retention addendum signed.", DANA, (CAIO_ROLE,)
    )
    relayed = dc.api.in_channel(thread)[-1]
    assert relayed["content"].startswith("**dana** (CAIO) answered escalation #1:")
    assert "zero-retention addendum" in relayed["content"]
    assert [b["label"] for b in dc.api.buttons(relayed)] == ["Helpful", "Not helpful"]
    assert not relayed.get("webhook_id"), "relayed over REST, not through an interaction"
    assert (queue_thread, reply["id"], "✅") in dc.api.reactions


async def test_answer_is_caio_only_and_the_refusal_is_private(dc: DiscordHarness) -> None:
    thread, _ = await ask_and_escalate(dc)
    token = await dc.slash("answer", SAM, (LEAD_ROLE,), QUEUE, id=1, text="just ship it")
    (refusal,) = [m for m in [dc.original(token)] if m]
    assert refusal["flags"] & 64
    assert "Only the CAIO or an admin can use `/caio answer`" in refusal["content"]
    assert "ship it" not in dc.text(thread)

    token = await dc.slash(
        "answer", DANA, (CAIO_ROLE,), QUEUE, id=1, text="Sign the zero-retention addendum first."
    )
    done = dc.original(token)
    assert done is not None and done["flags"] & 64
    assert "Answer to #1 relayed and logged" in done["content"]
    assert "Sign the zero-retention addendum first." in dc.text(thread)


async def test_losing_the_discord_role_takes_caio_rights_away(dc: DiscordHarness) -> None:
    await ask_and_escalate(dc)
    await dc.slash("answer", DANA, (CAIO_ROLE,), QUEUE, id=1, text="first answer")
    token = await dc.slash("answer", DANA, (), QUEUE, id=1, text="second answer")
    shown = dc.original(token)
    assert shown is not None and "Only the CAIO or an admin" in shown["content"]


async def test_a_long_answer_is_split_never_rejected(dc: DiscordHarness) -> None:
    thread, _ = await ask_and_escalate(dc)
    before = len(dc.api.in_channel(thread))
    sentence = "check the retention terms and the DPA annex. " * 9
    long = "\n\n".join(f"Step {n}: {sentence}" for n in range(9))
    assert 3600 < len(long) <= 4000, "the longest answer the option allows, give or take"
    await dc.slash("answer", DANA, (CAIO_ROLE,), QUEUE, id=1, text=long)
    parts = dc.api.in_channel(thread)[before:]
    assert len(parts) >= 3
    assert all(len(p["content"]) <= 2000 for p in parts)
    assert dc.api.buttons(parts[-1]) and not dc.api.buttons(parts[0])
    joined = " ".join(p["content"] for p in parts)
    for n in range(9):
        assert f"Step {n}: {sentence.strip()}" in joined


async def test_mark_resolved_and_reopen_edit_the_ticket_through_the_click(
    dc: DiscordHarness,
) -> None:
    await ask_and_escalate(dc)
    (ticket,) = dc.api.in_channel(QUEUE)
    token = await dc.click(ticket, "Mark resolved", SAM, (LEAD_ROLE,))
    (refusal,) = dc.followups(token)
    assert refusal["flags"] & 64 and "Only the CAIO" in refusal["content"]
    assert [b["label"] for b in dc.api.buttons(dc.api.messages[ticket["id"]])] == ["Mark resolved"]

    token = await dc.click(ticket, "Mark resolved", DANA, (CAIO_ROLE,))
    edit = dc.api.calls_to("PATCH", f"/webhooks/{APP_ID}/{token}/messages/@original")
    assert edit, "edited through the click's interaction, not a separate REST edit"
    ticket = dc.api.messages[ticket["id"]]
    assert ticket["embeds"][0]["title"] == "Escalation #1"
    assert "Resolved." in ticket["content"] and "Reply in this thread" not in ticket["content"]
    assert [b["custom_id"] for b in dc.api.buttons(ticket)] == ["caio:escalation.reopen:1"]

    await dc.click(ticket, "Reopen", DANA, (CAIO_ROLE,))
    ticket = dc.api.messages[ticket["id"]]
    assert [b["label"] for b in dc.api.buttons(ticket)] == ["Mark resolved"]
    assert "Escalation #1 reopened by dana." in dc.text(QUEUE)
    assert not dc.api.calls_to("PATCH", f"/channels/{QUEUE}/messages/")


async def test_a_file_the_caio_attaches_is_named_as_not_relayed(dc: DiscordHarness) -> None:
    thread, queue_thread = await ask_and_escalate(dc)

    await dc.say(queue_thread, "", DANA, (CAIO_ROLE,), files=("dpa-flow.png",))

    assert "answered escalation" not in dc.text(thread)
    (dm,) = [c["id"] for c in dc.api.channels.values() if c["type"] == 1]  # said privately
    (told,) = dc.api.in_channel(dm)
    assert told["content"].startswith("Nothing was sent to the asker: dpa-flow.png not relayed")


async def test_a_mention_in_the_caios_reply_is_relayed_as_a_name(dc: DiscordHarness) -> None:
    """`<@id>` is Discord's markup; relayed, logged and shown elsewhere, it is the name."""
    thread, queue_thread = await ask_and_escalate(dc)
    await dc.say(
        queue_thread,
        f"Yes; <@{SAM['id']}> has the signed addendum.",
        DANA,
        (CAIO_ROLE,),
        mentions=(SAM,),
    )
    relayed = dc.api.in_channel(thread)[-1]["content"]
    assert "Yes; @sam has the signed addendum." in relayed and "<@" not in relayed
