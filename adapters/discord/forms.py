"""Forms as Discord modals, and a MODAL_SUBMIT read back as the neutral form action.

The modal's custom id carries the form id and its context value (`caio-form:<id>:<ctx>`),
so a submission is routed by what it says, not by a modal object kept in memory: it
survives a restart, and two people's open forms never collide.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import discord

from adapters.discord import create_events
from bot.events import Action
from bot.forms import ACTION_PREFIX, Form, encode

CUSTOM_PREFIX = "caio-" + ACTION_PREFIX  # `caio-form:<form_id>:<context value>`
INPUT_LIMIT = 4000  # Discord's longest text input


def modal_for(form: Form) -> discord.ui.Modal:
    """One labelled text input per field (bot.forms keeps within Discord's five and 45)."""
    modal = discord.ui.Modal(
        title=form.title, custom_id=f"{CUSTOM_PREFIX}{form.form_id}:{form.context_value}"
    )
    for field in form.fields:
        text_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            style=discord.TextStyle.paragraph if field.multiline else discord.TextStyle.short,
            custom_id=field.id,
            placeholder=field.placeholder[:100] or None,
            default=field.initial[:INPUT_LIMIT] or None,
            required=field.required,
            max_length=INPUT_LIMIT,
        )
        modal.add_item(discord.ui.Label(text=field.label, component=text_input))
    # Stopped: discord.py keeps no copy to route to; submissions come by custom id instead.
    modal.stop()
    return modal


def is_ours(interaction: discord.Interaction[Any]) -> bool:
    data: Mapping[str, Any] = interaction.data or {}
    custom_id = str(data.get("custom_id", ""))
    return interaction.type == discord.InteractionType.modal_submit and custom_id.startswith(
        CUSTOM_PREFIX
    )


def _inputs(components: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Text inputs inside labels (type 18) or the older action rows (type 1)."""
    for component in components:
        if component.get("type") == 1:
            yield from _inputs(component.get("components") or [])
        elif component.get("type") == 18:
            yield from _inputs([component["component"]])
        elif "custom_id" in component:
            yield component


def submission(interaction: discord.Interaction[Any]) -> Action:
    """A MODAL_SUBMIT as `Action("form:<form_id>", <answers as JSON>)`."""
    data: Mapping[str, Any] = interaction.data or {}
    form_id, _, context = str(data["custom_id"]).removeprefix(CUSTOM_PREFIX).partition(":")
    values = {c["custom_id"]: str(c.get("value") or "") for c in _inputs(data["components"])}
    return Action(
        ACTION_PREFIX + form_id,
        encode(values, context),
        create_events.actor(interaction.user),
        create_events.interaction_address(interaction),
        "",
    )
