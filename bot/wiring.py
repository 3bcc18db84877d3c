"""Building the Bot from settings: the one place that knows how the pieces fit."""

from __future__ import annotations

from sqlmodel import select

from adapters.console import PLATFORM, QUEUE, WORKSPACE
from bot.advisor.embeddings import Embedder
from bot.advisor.llm import LLM
from bot.advisor.playbook import read_playbook, sync_playbook
from bot.advisor.retrieval import Retriever
from bot.advisor.service import Advisor
from bot.advisor.vectors import VectorIndex
from bot.answering import adopt_orphans, resume_pending
from bot.clock import Clock, SystemClock
from bot.core import Bot
from bot.db.engine import Database
from bot.db.models import Member, Role
from bot.directory import ensure_client, link_workspace
from bot.registry import load_commands
from config.settings import Settings

DEMO_CLIENT = "demo"


def build_retriever(settings: Settings, clock: Clock) -> Retriever:
    """Full text plus synonyms; vectors too when CAIO_EMBEDDING_MODEL names a model."""
    vectors = VectorIndex(Embedder(settings), clock) if settings.embedding_model else None
    return Retriever(
        vectors=vectors,
        min_similarity=settings.embedding_min_similarity,
        duplicate_similarity=settings.duplicate_similarity,
        stale_after_days=settings.stale_after_days,
    )


def build_bot(settings: Settings, *, clock: Clock | None = None) -> Bot:
    db = Database(settings.database_url)
    llm = LLM(settings) if settings.openai_api_key else None
    clock = clock or SystemClock()
    advisor = Advisor(db, build_retriever(settings, clock), llm, settings.llm_context_chars)
    return Bot(
        settings=settings,
        db=db,
        advisor=advisor,
        clock=clock,
        registry=load_commands(),
    )


async def start(bot: Bot) -> None:
    """What every process does once its adapters are added: playbook in, pending out, and
    a heartbeat (before any claim: a claim's holder must be seen alive) that also takes over
    what a process dying later leaves."""
    await bot.liveness.beat()
    async with bot.db.session() as session:
        await sync_playbook(session, read_playbook(bot.settings.playbook_dirs))
    for adapter in bot.adapters.values():
        await adapter.start()
    await resume_pending(bot)
    bot.liveness.start(lambda: adopt_orphans(bot))


async def stop(bot: Bot) -> None:
    """In-flight work drained (what outlasts the grace cancelled), then this process's
    claims given back, so the next process answers them as it starts."""
    await bot.drain()
    await bot.liveness.stop()
    for adapter in bot.adapters.values():
        await adapter.stop()
    if bot.advisor.llm is not None:
        await bot.advisor.llm.close()
    if bot.advisor.retriever.vectors is not None:
        await bot.advisor.retriever.vectors.embedder.close()
    await bot.db.close()


async def bootstrap_console(bot: Bot) -> None:
    """The embedded default: client `demo`, its queue in #caio-queue, and `dev` as a member."""
    async with bot.db.session() as session:
        await ensure_client(session, DEMO_CLIENT, name="Demo Co", now=bot.clock.now(), queue=QUEUE)
        await link_workspace(session, DEMO_CLIENT, PLATFORM, WORKSPACE)
        dev = (
            await session.exec(
                select(Member).where(
                    Member.client_id == DEMO_CLIENT,
                    Member.platform == PLATFORM,
                    Member.user_id == "dev",
                )
            )
        ).first()
        if dev is None:
            session.add(
                Member(
                    client_id=DEMO_CLIENT,
                    platform=PLATFORM,
                    user_id="dev",
                    name="dev",
                    role=Role.MEMBER,
                )
            )
            await session.commit()
