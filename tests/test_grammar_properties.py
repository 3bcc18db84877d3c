"""Whatever people type, the bot answers with words, never with a crash.

Hypothesis throws arbitrary text after `/caio` (mixed with real subcommand names so the
handlers themselves are reached, not only the "unknown command" path) and arbitrary lines
at the console. A handler that raises shows up as the core's apology line.
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.console import GENERAL, PLATFORM
from bot.context import Context
from bot.events import Actor
from bot.registry import Spec, load_commands
from tests.conftest import Chat

APOLOGY = "something went wrong on our side"
FAST = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every registered subcommand (`advice search`, `standup setup`, …), as users would type them.
SUBCOMMANDS = sorted(load_commands().commands)
ARGS = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"[#@]?[0-9]{1,12}( [^\n]{0,40})?", fullmatch=True),
    st.from_regex(
        r"@[a-z]{1,8}|search [a-z ]{0,30}|mine|\d{1,2}:\d{2}|\d{4}-\d{2}", fullmatch=True
    ),
    st.lists(
        st.sampled_from(["ask", "@dev", "1", "#2", "now", "search", "mine", "off", "--", "ä", "0"]),
        max_size=6,
    ).map(" ".join),
)
CAIO_TEXT = st.one_of(
    st.text(max_size=120),
    st.tuples(st.sampled_from(SUBCOMMANDS), ARGS).map(" ".join),
    st.tuples(st.sampled_from(SUBCOMMANDS).map(str.upper), ARGS).map(" ".join),
)
ROLES = st.sampled_from(["member", "lead", "caio", "admin"])


def reset(chat: Chat, role_user: str = "dev") -> None:
    """Each example starts where a new user would: in #general, as someone."""
    chat.adapter.state.actor = Actor(PLATFORM, role_user, role_user)
    chat.adapter.state.address = GENERAL


@FAST
@given(text=CAIO_TEXT, role=ROLES)
@example(text="ask how do we evaluate\x00 our RAG pipeline?", role="member")  # NUL: PostgreSQL
@example(text="escalate\x00 is\x00 this\x00 ok", role="member")
@example(text="answer 1 \x00", role="caio")
@example(text="DECISIONS 2200000000", role="member")  # beyond PostgreSQL's integer
@example(text="answer 99999999999 hello", role="caio")
@example(text="share remove 99999999999", role="lead")
@example(text="checkin setup every 99999999999 weeks", role="lead")
async def test_any_caio_command_gets_a_reply_and_no_crash(chat: Chat, text: str, role: str) -> None:
    reset(chat)
    await chat.say(f"/as tester-{role} {role}")
    out = await chat.say(f"/caio {text}")
    assert APOLOGY not in out, f"/caio {text!r} as {role} crashed:\n{out}"
    assert "Traceback" not in out
    assert "caio-bot:" in out, f"/caio {text!r} as {role} got no reply"


LINES = st.one_of(
    st.text(max_size=120).filter(lambda s: "\n" not in s and "\r" not in s),
    st.from_regex(r"/[a-z]{1,8}( [^\n\r]{0,30})?", fullmatch=True),
    st.from_regex(r"/(as|thread|channel|caio) ?[^\n\r]{0,30}", fullmatch=True),
    st.from_regex(r"[0-9]{1,25}", fullmatch=True),
    st.from_regex(r"[^\n\r]{0,20}@caio[^\n\r]{0,40}", fullmatch=True),
)


@FAST
@given(line=LINES)
@example(line="\x00")  # the console reads a NUL as nothing typed
@example(line="¹")  # a digit to str.isdigit, but no number to int()
async def test_any_console_line_gets_a_reply_and_no_crash(chat: Chat, line: str) -> None:
    reset(chat)
    keep_going = await chat.adapter.handle_line(line)
    await chat.bot.drain()
    out = chat.pop()
    assert APOLOGY not in out, f"{line!r} crashed:\n{out}"
    assert "Traceback" not in out
    typed = line.replace("\x00", "").strip()
    word = typed.split(" ", 1)[0].lower()
    if not typed or word in {"/quit", "/exit"}:
        assert keep_going == (word not in {"/quit", "/exit"})
        return
    assert keep_going
    assert out.strip(), f"{line!r} got no reply"


async def test_a_handler_that_fails_gets_an_apology_not_a_traceback(chat: Chat) -> None:
    """The safety net the properties above rely on: a bug reaches the user as one line."""

    async def broken(ctx: Context, text: str) -> None:
        raise RuntimeError("a bug")

    registry = chat.bot.registry
    registry.commands["explode"] = Spec("explode", "test only", "explode", "", broken, True)
    try:
        out = await chat.say("/caio explode now")
    finally:
        del registry.commands["explode"]
    assert "(only you) caio-bot:" in out
    assert "Sorry, something went wrong on our side (ref `" in out
    assert "RuntimeError" not in out and "a bug" not in out
