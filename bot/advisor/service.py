"""The Advisor: retrieve, then draft with the model, falling back to the offline answer.

A failing model never costs the user an answer: they get the offline draft and the
offer to escalate, and the failure is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import openai
import structlog

from bot.advisor.llm import LLM, ModelError, OnText
from bot.advisor.offline import compose
from bot.advisor.passages import Passage
from bot.advisor.prompt import build_messages, keep_valid_citations
from bot.advisor.redact import redact
from bot.advisor.retrieval import Retriever
from bot.db.engine import Database
from bot.db.models import Client

log = structlog.get_logger(__name__)

NOT_FOUND = (
    "I couldn't find anything in the playbook or your team's advice log that answers this, "
    "and I'd rather not guess. Escalate it and the CAIO will answer."
)
DEGRADED = "The AI model is unavailable right now, so this answer comes straight from the sources."


# An offline answer quotes a second or third source only if it scored at least this share
# of the best one.
SECONDARY_FLOOR = 0.5


@dataclass(frozen=True)
class Draft:
    """An answer ready to post: its text, what it cites, and how it was made."""

    text: str
    cited: tuple[Passage, ...] = ()
    """The sources it cites; none for a model's answer that cited none."""
    asked_before: Passage | None = None
    model: str | None = None
    degraded: bool = False
    found: bool = True
    """Whether retrieval found anything to ground an answer in."""


class Advisor:
    """Answers questions from the client's sources, and writes the model's other texts."""

    def __init__(self, db: Database, retriever: Retriever, llm: LLM | None, context_chars: int):
        self.db = db
        self.retriever = retriever
        self.llm = llm
        self.context_chars = context_chars

    async def write(self, messages: list[dict[str, str]], purpose: str) -> str | None:
        """The model's text for a job besides answering (a decision draft from a thread, a
        weekly digest), or None when there is no model or it failed: the caller then uses
        its own composition. Every message is redacted first, as a question's history is,
        since chat lines reach the model here too."""
        if self.llm is None:
            return None
        redacted = [{**m, "content": redact(m["content"])} for m in messages]
        try:
            text = await self.llm.complete(redacted)
        except (openai.APIError, ModelError) as exc:
            log.warning("model unavailable, composing without it", purpose=purpose, error=str(exc))
            return None
        return text.strip() or None

    async def draft(
        self,
        client: Client,
        question: str,
        *,
        history: tuple[str, ...] = (),
        on_text: OnText | None = None,
        now: datetime | None = None,
    ) -> Draft:
        async with self.db.session() as session:
            found = await self.retriever.search(session, client.id, question, now=now)
        passages = found.passages
        if not passages:
            return Draft(NOT_FOUND, asked_before=found.asked_before, found=False)
        if self.llm is not None:
            try:
                return await self._with_model(
                    client, question, passages, history, on_text, found.asked_before
                )
            except (openai.APIError, ModelError) as exc:
                log.warning("model unavailable, answering offline", error=str(exc))
                return offline(question, passages, found.asked_before, degraded=True)
        return offline(question, passages, found.asked_before)

    async def _with_model(
        self,
        client: Client,
        question: str,
        passages: list[Passage],
        history: tuple[str, ...],
        on_text: OnText | None,
        asked_before: Passage | None,
    ) -> Draft:
        assert self.llm is not None
        prompt = build_messages(
            client_name=client.name,
            profile=client.profile,
            question=question,
            passages=passages,
            history=tuple(redact(h) for h in history),
            budget_chars=self.context_chars,
        )
        raw = await self.llm.complete(prompt.messages, on_text)
        text, numbers = keep_valid_citations(raw, prompt.sources)
        if not text.strip():
            # A reasoning model that spent its whole budget thinking, or a broken server.
            log.warning("model returned no text, answering offline", model=self.llm.model)
            return offline(question, passages, asked_before, degraded=True)
        # Uncited ("I don't know", or a model ignoring the rule) shows no sources: listing
        # some anyway would claim a grounding the answer does not have.
        cited = tuple(passages[n - 1] for n in numbers)
        return Draft(text.strip(), cited, asked_before, model=self.llm.model)


def offline(
    question: str, passages: list[Passage], asked_before: Passage | None, *, degraded: bool = False
) -> Draft:
    """The extractive answer: the console default, and the fallback when the model fails.
    Sources far weaker than the best one are left out: a quoted answer must stay on topic."""
    floor = passages[0].score * SECONDARY_FLOOR
    chosen = [passages[0], *(p for p in passages[1:3] if p.score >= floor)]
    return Draft(compose(question, chosen), tuple(chosen), asked_before, degraded=degraded)
