"""Platform-neutral forms: a handler asks for a few labelled text fields, each adapter shows
them its own way (a Slack modal, a Discord modal, console prompts), and the answers come
back as an ordinary `Action(action_id="form:<form_id>")`, so handlers stay platform-free.

Limits are the strictest platform's (Discord: five inputs, 45-character title and labels),
checked here once so a form that works on one platform works on all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.events import Address

if TYPE_CHECKING:
    pass

ACTION_PREFIX = "form:"
MAX_FIELDS = 5
MAX_LABEL = 45
MAX_CONTEXT = 80  # what is left of Discord's 100-character custom id after our prefix


@dataclass(frozen=True)
class FormField:
    """One text input; `initial` pre-fills it, `placeholder` shows an example."""

    id: str
    label: str
    multiline: bool = False
    required: bool = True
    placeholder: str = ""
    initial: str = ""


@dataclass(frozen=True)
class Form:
    """What a handler wants filled in; `context_value` comes back with the answers and
    `usage` is the one-line form offered where no form can be shown."""

    form_id: str
    title: str
    fields: tuple[FormField, ...]
    submit_label: str = "Submit"
    context_value: str = ""
    usage: str = ""
    address: Address | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        ids = [f.id for f in self.fields]
        if not 1 <= len(ids) <= MAX_FIELDS or len(set(ids)) != len(ids):
            raise ValueError(f"a form has 1-{MAX_FIELDS} fields with distinct ids")
        labels = [self.title, self.submit_label, *(f.label for f in self.fields)]
        if any(not 0 < len(text) <= MAX_LABEL for text in labels):
            raise ValueError(f"form titles and labels are 1-{MAX_LABEL} characters")
        if ":" in self.form_id or len(self.context_value) > MAX_CONTEXT:
            raise ValueError(f"form ids have no ':'; context values are ≤ {MAX_CONTEXT} chars")

    @property
    def action_id(self) -> str:
        return ACTION_PREFIX + self.form_id

    def to(self, address: Address) -> Form:
        return replace(self, address=address)


@dataclass(frozen=True)
class Submission:
    """A filled-in form as the handler receives it."""

    values: dict[str, str]
    context: str = ""

    def get(self, field_id: str) -> str:
        return self.values.get(field_id, "").strip()


def missing(form: Form, values: Mapping[str, str]) -> list[FormField]:
    """Required fields left empty (or only blank), in form order."""
    return [f for f in form.fields if f.required and not values.get(f.id, "").strip()]


def encode(values: Mapping[str, str], context: str) -> str:
    """The `Action.value` a submission travels in."""
    return json.dumps({"values": dict(values), "context": context}, ensure_ascii=False)


def decode(value: str) -> Submission | None:
    """The submission in an `Action.value`; None when it is not one (a forged click)."""
    try:
        data = json.loads(value)
        values = {str(k): str(v) for k, v in data["values"].items()}
        return Submission(values, str(data.get("context", "")))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
