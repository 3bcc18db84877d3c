"""The pure halves of the adapter: payloads → neutral events, Messages → Block Kit."""

from __future__ import annotations

from adapters.slack import create_events as ce
from adapters.slack.render import clicked, escape, mrkdwn, render, split_text
from bot.events import Action, Actor, Address
from bot.message import Button, Message

EVENT = {"type": "message", "channel": "C1", "user": "U1", "text": "ok", "ts": "2.0"}


def test_typed_markup_is_escaped_but_quotes_and_links_survive() -> None:
    out = mrkdwn("> quoted\n<!channel> & <@U1> **bold** [docs](https://x.dev/a?b=1)")
    assert out.startswith("> quoted\n&lt;!channel&gt; &amp; &lt;@U1&gt; *bold*")
    assert out.endswith("<https://x.dev/a?b=1|docs>")
    assert escape("<!here>") == "&lt;!here&gt;"


def test_split_cuts_at_paragraphs_and_never_exceeds_the_limit() -> None:
    text = "\n\n".join(f"para {n} " + "word " * 50 for n in range(30))
    pieces = split_text(text, 600)
    assert all(len(p) <= 600 for p in pieces)
    assert all(p.startswith("para") for p in pieces)
    assert " ".join(pieces).split() == text.split()
    assert split_text("x" * 1300, 600) == ["x" * 600, "x" * 600, "x" * 100]


def test_render_puts_title_first_and_buttons_last() -> None:
    message = Message(
        "long " * 1500,
        title="Escalation #3",
        fields=(("Due", "Fri"),),
        notes=("Sources: [1] playbook",),
        actions=(Button("escalation.resolve", "Mark resolved", "3"),),
    )
    first, *rest = render(message)
    assert rest and first.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Escalation #3"},
    }
    last = rest[-1].blocks
    assert [b["type"] for b in last[-3:]] == ["section", "context", "actions"]
    assert last[-1]["elements"][0]["action_id"] == "escalation.resolve"
    assert last[-1]["elements"][0]["value"] == "3"


def test_a_click_replaces_the_settled_buttons_with_who_clicked() -> None:
    blocks = render(
        Message(
            "answer",
            actions=(
                Button("advice.helpful", "Helpful", "1"),
                Button("advice.not_helpful", "Not helpful", "1"),
                Button("question.escalate", "Escalate", "9"),
            ),
        )
    )[0].blocks
    actor = Actor("slack", "U1", "<!channel>")
    action = Action("advice.not_helpful", "1", actor, Address("slack", "T", "C"), "1.0")
    after = clicked(blocks, action)
    assert after is not None
    assert [e["action_id"] for e in after[-2]["elements"]] == ["question.escalate"]
    assert after[-1]["elements"][0]["text"] == "Marked not helpful by &lt;!channel&gt;"
    resolve = Action("escalation.resolve", "1", actor, Address("slack", "T", "C"), "1.0")
    assert clicked(blocks, resolve) is None  # the handler decides; the message stays


def test_slash_command_payload() -> None:
    body = {
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
        "user_name": "dana",
        "text": "ask is &lt;b&gt; ok &amp; <@U2|sam>?",
    }
    command = ce.command_from(body)
    assert command.text == "ask is <b> ok & @sam?"
    assert command.actor == Actor("slack", "U1", "dana")
    assert command.address == Address("slack", "T1", "C1")


def test_a_labelled_link_keeps_its_address_in_the_text_the_core_stores() -> None:
    text = (
        "see <https://x.com/dpa?v=2&amp;l=en|the DPA page>, <http://x.com|x.com>, "
        "<mailto:dpo@x.com|dpo@x.com> and <https://x.com/faq>"
    )
    assert ce.plain_text(text) == (
        "see the DPA page (https://x.com/dpa?v=2&l=en), x.com, dpo@x.com and https://x.com/faq"
    )
    command = ce.command_from(
        {"team_id": "T1", "channel_id": "C1", "user_id": "U1", "text": f"ask is {text} ok?"}
    )
    assert "the DPA page (https://x.com/dpa?v=2&l=en)" in command.text


def test_button_on_a_threaded_message_answers_in_that_thread() -> None:
    body = {
        "team": {"id": "T1"},
        "user": {"id": "U1", "username": "dana"},
        "channel": {"id": "C1"},
        "container": {"type": "message", "message_ts": "5.0", "channel_id": "C1"},
        "message": {"ts": "5.0", "thread_ts": "4.0"},
    }
    action = ce.action_from(body, {"action_id": "advice.helpful", "value": "7"})
    assert action.address == Address("slack", "T1", "C1", "4.0")
    assert (action.value, action.message_id) == ("7", "5.0")
    home = {"team": {"id": "T1"}, "user": {"id": "U1"}, "container": {"type": "view"}}
    assert ce.action_from(home, {"action_id": "x"}).address == Address("slack", "T1", "U1")


def test_which_messages_are_thread_replies() -> None:
    reply = {**EVENT, "thread_ts": "1.0"}
    assert ce.is_written_reply(reply, "UBOT")
    assert not ce.is_written_reply(EVENT, "UBOT")  # top level in a channel
    assert ce.is_written_reply({**EVENT, "channel_type": "im"}, "UBOT")
    assert not ce.is_written_reply({**reply, "subtype": "message_changed"}, "UBOT")
    assert not ce.is_written_reply({**reply, "subtype": "channel_join"}, "UBOT")
    assert not ce.is_written_reply({**reply, "bot_id": "B1"}, "UBOT")
    assert not ce.is_written_reply({**reply, "text": "<@UBOT> help"}, "UBOT")  # app_mention's
    event = ce.thread_reply_from(reply, "T1", "dana")
    assert event.address == Address("slack", "T1", "C1", "1.0") and event.message_id == "2.0"


def test_mention_outside_a_thread_is_answered_under_the_mention() -> None:
    event = {**EVENT, "type": "app_mention", "text": "<@UBOT>  what is RAG?"}
    mention = ce.mention_from(event, "T1", "dana", "UBOT")
    assert mention.text == "what is RAG?"
    assert mention.address.thread == "2.0"


def test_thread_history_is_oldest_first_and_stops_before_the_mention() -> None:
    messages = [
        {"user": "U2", "text": "we use &lt;pgvector&gt;", "ts": "1.0"},
        {"bot_id": "B1", "text": "noted", "ts": "1.5"},
        {"user": "U1", "text": "<@UBOT> now?", "ts": "2.0"},
    ]
    history = ce.history_from(messages, "2.0", {"U2": "sam"}, "caio-bot")
    assert history == ("sam: we use <pgvector>", "caio-bot: noted")
