"""Retrieval as the advisor sees it: synonyms, vectors, source order, staleness, thresholds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.advisor.offline import EXTRACTIVE
from bot.advisor.retrieval import Method, Retriever, advice_passage, citable
from bot.clock import ManualClock
from bot.core import Bot
from bot.db import fulltext
from bot.db.models import Advice, AdviceSource, Feedback
from bot.db.models_embedding import Embedding, RetrievalPolicy
from bot.directory import ensure_client
from bot.wiring import DEMO_CLIENT, build_bot, stop
from tests.advisor.conftest import EMBED_MODEL, concept_vectors
from tests.conftest import START, Chat, make_settings
from tests.standins.openai_server import OpenAIStandIn, hashed_bag_of_words


async def add_advice(bot: Bot, question: str, answer: str, **fields: Any) -> Advice:
    """A stored Advice row; `fields` are Advice's other fields."""
    values: dict[str, Any] = {
        "client_id": DEMO_CLIENT,
        "source": AdviceSource.CAIO,
        "author": "dana",
        "created_at": START - timedelta(days=1),
    }
    values.update(fields)
    row = Advice(question=question, answer=answer, **values)
    async with bot.db.session() as session:
        session.add(row)
        await session.commit()
        await session.refresh(row)
    return row


async def search_ids(bot: Bot, question: str, method: Method | None = None) -> list[str]:
    async with bot.db.session() as session:
        found = await bot.advisor.retriever.search(
            session,
            DEMO_CLIENT,
            question,
            limit=10,
            now=START,
            method=method,
        )
    return [p.id for p in found.passages]


async def test_synonyms_find_advice_that_plain_keywords_miss(chat: Chat) -> None:
    row = await add_advice(chat.bot, "Surviving API rate limiting?", "Back off with jitter.")
    question = "keep hitting 429 errors"
    assert f"advice:{row.id}" not in await search_ids(chat.bot, question, "bm25")
    assert f"advice:{row.id}" in await search_ids(chat.bot, question, "offline")


async def test_vectors_find_a_paraphrase_full_text_alone_misses(
    hybrid_chat: Chat, standin: OpenAIStandIn
) -> None:
    standin.embed = concept_vectors({"vector store": ["vector database", "numeric fingerprints"]})
    row = await add_advice(hybrid_chat.bot, "Which vector database should we pick?", "pgvector.")
    question = "Where do the numeric fingerprints of our wiki pages live?"
    assert f"advice:{row.id}" not in await search_ids(hybrid_chat.bot, question, "offline")
    assert f"advice:{row.id}" in (await search_ids(hybrid_chat.bot, question))[:3]
    async with hybrid_chat.bot.db.session() as session:
        stored = await session.exec(select(Embedding).where(Embedding.ref_id == row.id))
        assert ("advice", "stand-in-embed") in [(r.kind, r.model) for r in stored]


async def test_vectors_are_stamped_by_the_bot_s_clock(hybrid_chat: Chat) -> None:
    """Embeddings are dated like every other row, so a test or replay clock holds for them."""
    await add_advice(hybrid_chat.bot, "Which vector database should we pick?", "pgvector.")
    await search_ids(hybrid_chat.bot, "which vector database?")
    async with hybrid_chat.bot.db.session() as session:
        dates = {r.created_at for r in await session.exec(select(Embedding))}
    assert dates == {hybrid_chat.bot.clock.now()}


async def test_the_team_s_own_answer_to_the_same_question_is_cited_first(chat: Chat) -> None:
    row = await add_advice(
        chat.bot,
        "Our support bot makes up refund rules, how do we stop it?",
        "Put the refund policy in the prompt, make it cite the clause, refuse otherwise.",
    )
    found = await search_ids(chat.bot, "the support bot keeps inventing refund rules, help")
    assert found[0] == f"advice:{row.id}"
    assert "playbook:hallucination-and-grounding" in found[1:3]


async def test_a_past_answer_sharing_a_few_words_does_not_push_the_playbook_aside(
    chat: Chat,
) -> None:
    """Each source's best match scores alike after fusion, however weak; the team's answer
    on picking a model must not be cited before the entry on rate limits."""
    row = await add_advice(
        chat.bot,
        "Which OpenAI model should we use for summarising support tickets?",
        "gpt-4o-mini: grade 50 real tickets against the larger model before deciding.",
    )
    question = "We keep getting 429 errors from OpenAI in our nightly batch job, what should we do?"
    found = await search_ids(chat.bot, question)
    assert found[0] == "playbook:rate-limits-and-retries"
    assert f"advice:{row.id}" in found


async def test_the_caio_s_answer_ranks_above_an_ai_draft(chat: Chat) -> None:
    draft = await add_advice(
        chat.bot,
        "How should we version our prompts?",
        "Keep prompts in git with a changelog.",
        source=AdviceSource.AI,
        author="AI (gpt-4o-mini)",
        feedback=Feedback.HELPFUL,
    )
    caio = await add_advice(
        chat.bot, "How should we version prompts?", "Keep prompts in git; review changes."
    )
    ids = await search_ids(chat.bot, "how do we version prompts in git")
    assert ids.index(f"advice:{caio.id}") < ids.index(f"advice:{draft.id}")


async def test_a_model_s_draft_is_cited_only_once_marked_helpful(chat: Chat) -> None:
    question = "How do we stop prompt injection in our support bot?"
    answer = "Treat retrieved text as data: separate it from instructions, filter tool calls."
    draft = await add_advice(
        chat.bot, question, answer, source=AdviceSource.AI, author="AI (gpt-4o-mini)"
    )
    assert f"advice:{draft.id}" not in await search_ids(chat.bot, "stop prompt injection")
    async with chat.bot.db.session() as session:
        row = await session.get(Advice, draft.id)
        assert row is not None
        row.feedback = Feedback.HELPFUL
        session.add(row)
        await session.commit()
    assert f"advice:{draft.id}" in await search_ids(chat.bot, "stop prompt injection")


async def test_the_offline_advisor_s_own_answers_never_become_sources(chat: Chat) -> None:
    """They only quote the playbook: cited, they quoted their own preamble and [n] markers
    under an unrelated question (audit)."""
    first = await chat.say("/caio ask how do we handle rate limits?")
    await chat.say(chat.button(first, "Helpful"))
    later = await chat.say("/caio ask how to evaluate RAG?")
    assert "Playbook: Evaluating RAG systems" in later
    assert "Advice from AI draft" not in later
    assert later.count("Here is what the playbook") == 1


async def test_old_and_superseded_advice_is_marked_when_cited(chat: Chat) -> None:
    old = await add_advice(
        chat.bot,
        "Which embedding model for multilingual search?",
        "Use the multilingual embedding model from vendor X.",
        created_at=START - timedelta(days=400),
    )
    recent = await add_advice(
        chat.bot,
        "Which embedding model for search in German?",
        "A multilingual embedding model works for German search.",
        created_at=START - timedelta(days=40),
    )
    answer = await chat.say("/caio ask which multilingual embedding model for search?")
    assert "older than 365 days" in answer
    async with chat.bot.db.session() as session:
        session.add(RetrievalPolicy(client_id=DEMO_CLIENT, stale_after_days=30))
        await session.commit()
        found = await chat.bot.advisor.retriever.search(
            session, DEMO_CLIENT, "multilingual embedding model for search", 20, now=START
        )
    marks = {p.id: p.stale for p in found.passages}
    assert "older than 30 days" in marks[f"advice:{recent.id}"]
    assert "older than 30 days" in marks[f"advice:{old.id}"]


async def test_an_ai_draft_the_caio_answered_later_is_superseded(chat: Chat) -> None:
    asked = await chat.say("/caio ask how do we evaluate our RAG pipeline?")
    await chat.say(chat.button(asked, "Helpful"))  # rated, so it is citable at all
    async with chat.bot.db.session() as session:  # as a model would have drafted it
        draft = (await session.exec(select(Advice))).one()
        draft.author = "AI (gpt-4o-mini)"
        session.add(draft)
        await session.commit()
    await chat.say(chat.button(asked, "Escalate"))
    await chat.say("/as dana caio")
    await chat.say("/caio answer 1 Build a golden set of 40 real questions first.")
    await chat.say("/as dev")
    async with chat.bot.db.session() as session:
        found = await chat.bot.advisor.retriever.search(
            session, DEMO_CLIENT, "how do we evaluate our RAG pipeline?", limit=10, now=START
        )
    drafts = [p for p in found.passages if p.source == "ai"]
    assert drafts and drafts[0].stale.startswith("superseded by dana's answer")
    assert "⚠ superseded" in drafts[0].citation()
    assert found.asked_before is not None and found.asked_before.author == "dana"


async def test_nothing_close_enough_means_no_passages(
    hybrid_chat: Chat, standin: OpenAIStandIn
) -> None:
    standin.embed = concept_vectors({"vector store": ["vector database"]})
    await add_advice(hybrid_chat.bot, "Which vector database should we pick?", "pgvector.")
    assert await search_ids(hybrid_chat.bot, "Is the parking garage open on Sunday?") == []
    out = await hybrid_chat.say("/caio ask Is the parking garage open on Sunday?")
    assert "couldn't find anything" in out
    hybrid_chat.button(out, "Escalate")


async def test_a_paraphrased_question_is_recognised_as_asked_before(
    hybrid_chat: Chat, standin: OpenAIStandIn
) -> None:
    standin.embed = concept_vectors({"limits": ["rate limits", "throttles our calls"]})
    await hybrid_chat.say("/caio escalate how do we handle OpenAI rate limits in production?")
    await hybrid_chat.say("/as dana caio")
    await hybrid_chat.say("/caio answer 1 Retry with exponential backoff and jitter.")
    await hybrid_chat.say("/as dev")
    again = await hybrid_chat.say("/caio ask what do we do when the provider throttles our calls?")
    assert "*Asked before* — Advice from dana (CAIO)" in again
    assert "exponential backoff and jitter" in again


async def test_plain_retriever_defaults_to_the_offline_path() -> None:
    assert Retriever().method == "offline"


async def test_clients_whose_ids_share_words_each_find_only_their_own_advice(chat: Chat) -> None:
    """The index scopes by client id, so `acme`, `acme-corp` and `acme_corp` stay apart and
    each still finds its own rows, whatever punctuation its id has."""
    ids = ("acme", "acme-corp", "acme_corp")
    async with chat.bot.db.session() as session:
        for client_id in ids:
            await ensure_client(session, client_id, name=client_id, now=START)
        await session.commit()
    rows = {
        client_id: await add_advice(
            chat.bot,
            "How do we cache embeddings?",
            f"{client_id} caches them.",
            client_id=client_id,
        )
        for client_id in ids
    }
    modes: tuple[tuple[bool, fulltext.Mode], ...] = ((True, "any"), (False, "all"))
    async with chat.bot.db.session() as session:
        for client_id in ids:
            for citable_only, mode in modes:
                found = await fulltext.search_advice(
                    session,
                    client_id,
                    ["cache", "embeddings"],
                    mode=mode,
                    citable_only=citable_only,
                )
                assert [i for i, _ in found] == [rows[client_id].id]


async def test_a_two_word_question_needs_only_one_word_offline(chat: Chat) -> None:
    """Chat questions are short, and a crude stem misses some forms ("safety" / "safely"):
    without vectors, one of two words is enough."""
    assert (await search_ids(chat.bot, "cursor safety", "offline"))[:1] == [
        "playbook:coding-assistants-safely"
    ]


async def test_with_vectors_the_words_must_cover_half_the_question(
    hybrid_chat: Chat, standin: OpenAIStandIn
) -> None:
    """Two of five words in common lets the offline path answer; where the vectors say the
    meaning is elsewhere, that is not enough, and neither is one word of two."""
    standin.embed = concept_vectors({"food": ["pizza"]})
    row = await add_advice(
        hybrid_chat.bot, "Catering for the hackathon lunch?", "Book it a week ahead."
    )
    question = "pizza toppings for the hackathon lunch: pepperoni?"
    assert f"advice:{row.id}" in await search_ids(hybrid_chat.bot, question, "offline")
    assert await search_ids(hybrid_chat.bot, question) == []
    assert await search_ids(hybrid_chat.bot, "pizza or lunch?") == []


async def test_an_answer_is_embedded_once_however_many_processes_search(
    hybrid_chat: Chat, standin: OpenAIStandIn, database_url: str, clock: ManualClock
) -> None:
    """Two processes share the database: advice one of them has embedded is not sent to the
    endpoint again by the other, which finds the stored vector instead."""
    settings = make_settings(
        database_url, openai_base_url=standin.base_url, CAIO_EMBEDDING_MODEL=EMBED_MODEL
    )
    one, other = hybrid_chat.bot, build_bot(settings, clock=clock)
    await add_advice(one, "Which vector database should we pick?", "pgvector.")
    await search_ids(other, "which vector database?")  # the other process is up and indexed
    await add_advice(one, "How do we version our prompts?", "In git, with evals.")
    await search_ids(one, "prompt versions?")
    assert embedded_texts(standin).count("How do we version our prompts?") == 1
    found = await search_ids(other, "how should prompts be versioned?")
    assert embedded_texts(standin).count("How do we version our prompts?") == 1
    assert found and "advice:2" in found
    await stop(other)


def embedded_texts(standin: OpenAIStandIn) -> list[str]:
    texts: list[str] = []
    for request in standin.requests:
        if request.path.endswith("/embeddings"):
            raw = request.body["input"]
            texts += [raw] if isinstance(raw, str) else raw
    return texts


async def test_comparing_with_open_escalations_is_one_request(
    hybrid_bot: Bot, standin: OpenAIStandIn
) -> None:
    """The escalation lock is held while a question is compared with every open one: their
    vectors come in one request, not a round trip each."""
    standin.embed = concept_vectors({"limits": ["rate limit", "throttl"]})
    earlier = [(1, "Which vector database?"), (2, "How do we hire?"), (3, "Rate limits in prod?")]
    retriever = hybrid_bot.advisor.retriever
    assert await retriever.duplicate_of("Provider throttles us, what now?", earlier) == 3
    assert len([r for r in standin.requests if r.path.endswith("/embeddings")]) == 1


async def test_an_endpoint_answering_garbage_leaves_full_text_search(
    hybrid_chat: Chat, standin: OpenAIStandIn
) -> None:
    standin.garble_next("<html><body>502 Bad Gateway</body></html>", "text/html")
    out = await hybrid_chat.say("/caio ask we keep getting 429s from OpenAI, what now?")
    assert "Playbook: Handling rate limits, 429s and retries" in out
    assert "went wrong" not in out


async def test_vectors_of_another_length_under_the_same_name_break_nothing(
    hybrid_chat: Chat, standin: OpenAIStandIn
) -> None:
    """A server swapped the weights behind the model's name: stored vectors and new ones no
    longer compare. Questions are still answered; `index rebuild` is the cure."""
    await hybrid_chat.say("/caio ask we keep getting 429s from OpenAI, what now?")
    await add_advice(hybrid_chat.bot, "Which vector database?", "pgvector until it hurts.")
    standin.embed = lambda text: hashed_bag_of_words(text, 128)

    out = await hybrid_chat.say("/caio ask which vector database should we pick?")
    assert "went wrong" not in out
    assert "pgvector until it hurts" in out


async def test_the_sql_citable_filter_keeps_every_citable_passage_and_only_extractive_extras(
    chat: Chat,
) -> None:
    """Two statements of "may ground an answer" exist: the SQL prefilter in
    `bot.db.fulltext` and `citable` on passages, which has the last word. They must agree
    except on an extractive draft rated helpful, which the SQL lets through (each client's
    FTS5 index stores its verdict and is not told of author changes) and `citable` drops."""
    rows: list[Advice] = []
    for source in AdviceSource:
        for feedback in (None, *Feedback):
            for author in ("dana", EXTRACTIVE, "AI (gpt-4o)"):
                rows.append(
                    await add_advice(
                        chat.bot,
                        "pgvector sizing",
                        "index it",
                        source=source,
                        feedback=feedback,
                        author=author,
                    )
                )
    async with chat.bot.db.session() as session:
        hits = await fulltext.search_advice(
            session, DEMO_CLIENT, ["pgvector"], citable_only=True, limit=1000
        )
    found = {i for i, _ in hits}
    for row in rows:
        in_python = citable(advice_passage(row))
        extractive_helpful_draft = (
            row.source == AdviceSource.AI
            and row.feedback == Feedback.HELPFUL
            and row.author == EXTRACTIVE
        )
        assert (row.id in found) == (in_python or extractive_helpful_draft), row
