"""Slack payloads → neutral events (pure: no I/O, so each shape is tested on its own).

The connector does the lookups a payload lacks (display names, thread history) and
passes them in.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.events import Action, Actor, Address, Command, Mention, ThreadReply

PLATFORM = "slack"

Payload = Mapping[str, Any]

# Message subtypes that are a person writing; edits, joins, deletions and bots are not.
_WRITTEN = frozenset({None, "file_share", "thread_broadcast"})
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(\w+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def plain_text(text: str) -> str:
    """Slack's markup as a reader sees it: `<@U1|dana>` → `@dana`, `&lt;` → `<`,
    `<https://x.com|the DPA page>` → `the DPA page (https://x.com)`."""
    text = _USER.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _LINK.sub(lambda m: _link(m.group(1), m.group(2)), text)
    return html.unescape(text)


def _link(url: str, label: str | None) -> str:
    """A labelled link keeps its address, so a stored question or a relayed answer still
    leads somewhere; a label that only repeats the address (Slack's own auto-links of a
    typed `x.com` or email) stays as typed."""
    if not label:
        return url
    if label == url.split(":", 1)[1].removeprefix("//"):
        return label
    return f"{label} ({url})"


def strip_bot_mention(text: str, bot_user_id: str | None) -> str:
    """The question without the `<@bot>` that addressed it."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return " ".join(text.split())


def team_of(body: Payload) -> str:
    """Whose install an Events API, slash command or interaction payload came through: the
    workspace's team id, or the organisation's enterprise id when the app is installed
    org-wide on Enterprise Grid. One org-wide install serves every workspace of the org with
    one token, so they are one client."""
    enterprise = _org_wide_enterprise(body)
    if enterprise:
        return enterprise
    team = body.get("team_id") or body.get("team")
    if isinstance(team, Mapping):
        team = team.get("id")
    if not team:
        user = body.get("user")
        if isinstance(user, Mapping):
            team = user.get("team_id")
    return str(team or "")


def _org_wide_enterprise(body: Payload) -> str:
    """The enterprise id of an org-wide install, or "". Slash commands say so as the string
    "true", interactions as a boolean, events in their `authorizations`."""
    flag = body.get("is_enterprise_install")
    authorizations = body.get("authorizations")
    if flag is None and isinstance(authorizations, list) and authorizations:
        first = authorizations[0]
        flag = first.get("is_enterprise_install") if isinstance(first, Mapping) else None
    if flag not in (True, "true"):
        return ""
    enterprise = body.get("enterprise_id") or body.get("enterprise")
    if isinstance(enterprise, Mapping):
        enterprise = enterprise.get("id")
    return str(enterprise or "")


def command_from(body: Payload) -> Command:
    """A `/caio …` slash command; slash commands carry the user's name but no thread."""
    actor = Actor(PLATFORM, body["user_id"], body.get("user_name") or body["user_id"])
    address = Address(PLATFORM, team_of(body), body["channel_id"])
    return Command(plain_text(body.get("text", "")).strip(), actor, address)


def action_from(body: Payload, action: Payload) -> Action:
    """A Block Kit button click; replies go to the clicked message's thread, or to the
    person's own messages tab when the button was on the Home tab."""
    user = body["user"]
    actor = Actor(PLATFORM, user["id"], user.get("username") or user.get("name") or user["id"])
    container = body.get("container") or {}
    message = body.get("message") or {}
    message_ts = container.get("message_ts") or message.get("ts") or ""
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    if channel:
        thread = message.get("thread_ts") or container.get("thread_ts") or message_ts or None
        address = Address(PLATFORM, team_of(body), channel, thread)
    else:
        address = Address(PLATFORM, team_of(body), user["id"])
    return Action(action["action_id"], action.get("value", ""), actor, address, message_ts)


def in_thread(event: Payload) -> bool:
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts")


def is_written_reply(event: Payload, bot_user_id: str | None) -> bool:
    """A person's plain message in a thread or a DM with the bot: a ThreadReply to be.
    Messages that mention the bot are left to `app_mention`."""
    if event.get("subtype") not in _WRITTEN or event.get("bot_id") or not event.get("user"):
        return False
    if bot_user_id and f"<@{bot_user_id}" in event.get("text", ""):
        return False
    return in_thread(event) or event.get("channel_type") == "im"


def thread_reply_from(event: Payload, team: str, actor_name: str) -> ThreadReply:
    actor = Actor(PLATFORM, event["user"], actor_name)
    thread = event.get("thread_ts") if in_thread(event) else None
    address = Address(PLATFORM, team, event["channel"], thread)
    direct = event.get("channel_type") == "im"
    files = tuple(
        str(f.get("name") or f.get("title") or "a file") for f in event.get("files") or []
    )
    text = plain_text(event.get("text", ""))
    return ThreadReply(text, actor, address, event["ts"], direct, files)


def mention_from(
    event: Payload,
    team: str,
    actor_name: str,
    bot_user_id: str | None,
    history: Sequence[str] = (),
) -> Mention:
    """An `app_mention`: in a thread it is about that thread; elsewhere the answer goes in
    the thread of the mention itself."""
    actor = Actor(PLATFORM, event["user"], actor_name)
    thread = event.get("thread_ts") or event["ts"]
    address = Address(PLATFORM, team, event["channel"], thread)
    text = plain_text(strip_bot_mention(event.get("text", ""), bot_user_id))
    return Mention(text, actor, address, tuple(history))


def history_from(
    messages: Sequence[Payload], before_ts: str, names: Mapping[str, str], bot_name: str
) -> tuple[str, ...]:
    """A thread's earlier messages as `name: text` lines, oldest first."""
    lines: list[str] = []
    for message in messages:
        if float(message.get("ts", "0")) >= float(before_ts):
            continue
        who = bot_name if message.get("bot_id") else names.get(message.get("user", ""), "someone")
        text = plain_text(message.get("text", "")).strip()
        if text:
            lines.append(f"{who}: {text}")
    return tuple(lines)
