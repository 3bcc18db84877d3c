"""Forms on Discord: `/caio run decide <title>` answers the interaction with a modal (callback
type 9, before any deferral); the MODAL_SUBMIT interaction (type 5) records the decision
in the channel. Real payloads through discord.py, against the loopback stand-in."""

from __future__ import annotations

from itertools import count
from typing import Any

from tests.discord.conftest import CAIO_ROLE, DANA, DEV, GENERAL, DiscordHarness

_ids = count(1)


async def submit(
    dc: DiscordHarness, modal: dict[str, Any], answers: dict[str, str], roles: tuple[str, ...]
) -> str:
    """A MODAL_SUBMIT as Discord sends it: each label (type 18) with its text input's value."""
    components = [
        {
            "type": 18,
            "id": next(_ids),
            "component": {
                "type": 4,
                "id": next(_ids),
                "custom_id": label["component"]["custom_id"],
                "value": answers.get(label["component"]["custom_id"], ""),
            },
        }
        for label in modal["components"]
    ]
    data = {"custom_id": modal["custom_id"], "components": components}
    payload = dc.interaction(5, data, DANA, list(roles), GENERAL)
    dc._deliver(payload)
    await dc.settle()
    return str(payload["token"])


async def test_decide_answers_with_a_modal_and_its_submission_is_recorded(
    dc: DiscordHarness,
) -> None:
    token = await dc.slash("run", DANA, (CAIO_ROLE,), text="decide Adopt pgvector")
    state = dc.api.interactions[token]
    assert state.response_type == 9  # the modal is the first and only answer
    modal = state.modal
    assert modal is not None and modal["title"] == "Decision: Adopt pgvector"
    labels = [c["label"] for c in modal["components"]]
    assert labels == ["Context", "Options", "Decision", "Consequences"]
    required = [c["component"]["required"] for c in modal["components"]]
    assert required == [True, False, True, False]

    answers = {"context": "2M chunks, Postgres already", "decision": "pgvector", "options": ""}
    submitted = await submit(dc, modal, answers, (CAIO_ROLE,))
    assert dc.api.interactions[submitted].response_type == 5
    said = dc.text(GENERAL)
    assert "Decision recorded" in said and "ADR-001 Adopt pgvector" in said
    assert "2M chunks, Postgres already" in said


async def test_standup_setup_modal_goes_through_the_one_line_parser(dc: DiscordHarness) -> None:
    token = await dc.slash("run", DANA, (CAIO_ROLE,), text="standup setup")
    modal = dc.api.interactions[token].modal
    assert modal is not None and len(modal["components"]) == 5
    defaults = {
        c["component"]["custom_id"]: c["component"].get("value") for c in modal["components"]
    }
    assert defaults["days"] == "mon-fri" and defaults["window"] == "4h"
    answers = {"when": "07:30 America/New_York", "days": "tue,thu", "window": "90m"}
    await submit(dc, modal, answers, (CAIO_ROLE,))
    said = dc.text(GENERAL)
    assert "Stand-up set up" in said and "07:30" in said and "America/New_York" in said


async def test_checkin_setup_modal_asks_how_often(dc: DiscordHarness) -> None:
    token = await dc.slash("run", DANA, (CAIO_ROLE,), text="checkin setup")
    modal = dc.api.interactions[token].modal
    assert modal is not None and modal["title"] == "Check-in setup"
    labels = [c["label"] for c in modal["components"]]
    assert labels[1] == "How often"
    answers = {"when": "11:00 Asia/Tokyo", "cadence": "monthly on last fri", "window": "2d"}
    await submit(dc, modal, answers, (CAIO_ROLE,))
    assert "monthly on the last Friday at 11:00 Asia/Tokyo" in dc.text(GENERAL)


async def test_members_get_the_refusal_not_a_modal(dc: DiscordHarness) -> None:
    token = await dc.slash("run", DEV, (), text="decide Adopt pgvector")
    assert dc.api.interactions[token].response_type == 5
    assert dc.api.interactions[token].modal is None
    assert "Only the CAIO" in str(dc.api.messages)


async def test_a_one_line_decision_needs_no_modal(dc: DiscordHarness) -> None:
    line = "decide Keep prompts in git | context: drift | decision: repo"
    token = await dc.slash("run", DANA, (CAIO_ROLE,), text=line)
    assert dc.api.interactions[token].modal is None
    assert "Decision recorded" in dc.text(GENERAL)


async def test_save_this_thread_as_a_decision_drafts_one_from_the_thread(
    dc: DiscordHarness,
) -> None:
    await dc.slash("ask", question="pgvector or Pinecone for the FAQ bot?")
    (thread,) = dc.threads_of(GENERAL)
    await dc.say(thread, "pgvector: Postgres is already there", DEV)
    await dc.say(
        thread, "save this thread as a decision: Vector store", DANA, (CAIO_ROLE,), mention=True
    )
    draft = dc.api.in_channel(thread)[-1]
    shown = dc.api.visible_text(draft)
    assert "Draft decision from this thread" in shown and "Vector store" in shown
    assert "Postgres is already there" in shown
    await dc.click(draft, "Accept", DANA, (CAIO_ROLE,))
    assert "accepted by dana" in dc.text(thread)
