"""Forms as Slack modals (pure: the view to open, and a `view_submission` read back).

The modal's `private_metadata` carries where the form was asked for (channel, thread) and
the handler's context value, so any web process can take the submission.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adapters.slack.create_events import PLATFORM, team_of
from bot.events import Action, Actor, Address
from bot.forms import ACTION_PREFIX, Form, encode
from bot.text import shorten

CALLBACK_PREFIX = "caio-" + ACTION_PREFIX  # `caio-form:<form_id>`
TITLE_LIMIT = 24  # Slack's limit for a modal's title and buttons


def _plain(text: str, limit: int = 2000) -> dict[str, Any]:
    return {"type": "plain_text", "text": shorten(text, limit)}


def modal_view(form: Form) -> dict[str, Any]:
    """A modal with one plain-text input per field."""
    assert form.address is not None, "a form needs the address it was asked for"
    blocks = []
    for field in form.fields:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": field.id,
            "multiline": field.multiline,
        }
        if field.placeholder:
            element["placeholder"] = _plain(field.placeholder, 150)
        if field.initial:
            element["initial_value"] = field.initial
        blocks.append(
            {
                "type": "input",
                "block_id": field.id,
                "optional": not field.required,
                "label": _plain(field.label),
                "element": element,
            }
        )
    where = {"channel": form.address.channel, "thread": form.address.thread}
    return {
        "type": "modal",
        "callback_id": CALLBACK_PREFIX + form.form_id,
        "title": _plain(form.title, TITLE_LIMIT),
        "submit": _plain(form.submit_label, TITLE_LIMIT),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps({**where, "context": form.context_value}),
        "blocks": blocks,
    }


def values_of(view: Mapping[str, Any]) -> dict[str, str]:
    """Each input's text (blank inputs come back as None; they read as "")."""
    values: dict[str, str] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        for action in actions.values():
            values[block_id] = action.get("value") or ""
    return values


def errors_for(view: Mapping[str, Any]) -> dict[str, str]:
    """`response_action: errors` for required inputs filled with blanks only (Slack itself
    refuses empty required inputs, not whitespace)."""
    values = values_of(view)
    required = [
        b for b in view.get("blocks") or [] if b.get("type") == "input" and not b.get("optional")
    ]
    gaps = [b for b in required if not values.get(b["block_id"], "").strip()]
    return {b["block_id"]: f"{b['label']['text']} is required." for b in gaps}


def submission_from(body: Mapping[str, Any]) -> Action:
    """A `view_submission` as the neutral `form:<form_id>` action."""
    view = body["view"]
    meta = json.loads(view.get("private_metadata") or "{}")
    user = body["user"]
    actor = Actor(PLATFORM, user["id"], user.get("username") or user.get("name") or user["id"])
    address = Address(PLATFORM, team_of(body), meta["channel"], meta.get("thread"))
    form_id = str(view["callback_id"]).removeprefix(CALLBACK_PREFIX)
    value = encode(values_of(view), str(meta.get("context", "")))
    return Action(ACTION_PREFIX + form_id, value, actor, address, "")
