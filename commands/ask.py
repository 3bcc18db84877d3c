"""`/caio ask` and @-mentions: a grounded answer in a thread of its own."""

from __future__ import annotations

from bot.answering import answer_question, open_question_thread, record_question
from bot.context import Context
from bot.events import Mention
from bot.registry import registry
from bot.text import says_something
from commands import decide

MAX_QUESTION = 4000
INTENTS = {"save this thread as a decision": decide.save_thread}
"""Mentions that start with one of these phrases are requests, not questions."""


@registry.command(
    "ask",
    summary="Ask for advice; answered in a thread, with sources",
    usage="ask <question>",
    example="ask where should we keep our embeddings?",
)
async def ask(ctx: Context, text: str) -> None:
    if not says_something(text):
        await ctx.usage("What would you like to ask?")
        return
    if len(text) > MAX_QUESTION:
        await ctx.usage(f"That question is over {MAX_QUESTION} characters; please shorten it.")
        return
    question = await record_question(ctx.bot, ctx.client, ctx.member, text, ctx.address)
    await open_question_thread(ctx.bot, question, ctx.member)
    assert question.id is not None
    await answer_question(ctx.bot, question.id)


@registry.mention
async def mentioned(ctx: Context, mention: Mention) -> None:
    """A mention in a thread is a question about that thread, with its history as context."""
    for phrase, handler in INTENTS.items():
        if mention.text.strip().lower().startswith(phrase):
            await handler(ctx, mention.text.strip()[len(phrase) :].strip(" :-—"), mention)
            return
    if len(mention.text.strip()) < 3:
        await ctx.reply("Ask me something, e.g. `@caio-bot how do we test prompts?`")
        return
    question = await record_question(ctx.bot, ctx.client, ctx.member, mention.text, ctx.address)
    await open_question_thread(ctx.bot, question, ctx.member)
    assert question.id is not None
    await answer_question(ctx.bot, question.id, history=mention.history)
