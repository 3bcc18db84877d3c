"""Slack's permanent refusals as `DeliveryError`s: a short phrase a user can act on.

Only answers a retry cannot fix are mapped; rate limits and outages stay with slack_sdk's
retry handlers and surface as its own errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from slack_sdk.errors import SlackApiError

from bot.adapter import DeliveryError

REINSTALL = "the app's access to this workspace was revoked; reinstall it"
PHRASES: dict[str, str] = {
    "channel_not_found": "that channel no longer exists",
    "is_archived": "that channel is archived",
    "restricted_action": "that channel does not let the bot post",
    "restricted_action_read_only_channel": "that channel is read-only",
    "restricted_action_thread_only_channel": "that channel takes replies in threads only",
    "restricted_action_non_threadable_channel": "that channel has no threads",
    "thread_not_found": "that thread no longer exists",
    "message_not_found": "that message no longer exists",
    "cant_update_message": "that message can no longer be edited",
    "edit_window_closed": "that message can no longer be edited",
    "cannot_dm_bot": "that is a bot, which cannot get direct messages",
    "user_not_found": "that person is not in this workspace",
    "user_disabled": "that person's account is deactivated",
    "messages_tab_disabled": "that person does not take direct messages from apps",
    "token_revoked": REINSTALL,
    "account_inactive": REINSTALL,
    "invalid_auth": REINSTALL,
}


def refusal(exc: SlackApiError, bot_name: str | None) -> DeliveryError | None:
    """The DeliveryError for Slack's answer, or None when a retry may still fix it."""
    error = str(exc.response.get("error", ""))
    if error == "not_in_channel":
        who = f"invite me with `/invite @{bot_name}`" if bot_name else "invite the bot"
        return DeliveryError(f"I'm not in that channel: {who}")
    if error == "missing_scope":
        needed = exc.response.get("needed") or "a needed"
        return DeliveryError(f"the app lacks the `{needed}` scope; reinstall it")
    phrase = PHRASES.get(error)
    return DeliveryError(phrase) if phrase else None


@contextmanager
def refusals(bot_name: str | None) -> Iterator[None]:
    """Around Web API calls that deliver a message: Slack's refusals as DeliveryError."""
    try:
        yield
    except SlackApiError as exc:
        refused = refusal(exc, bot_name)
        if refused is None:
            raise
        raise refused from exc
