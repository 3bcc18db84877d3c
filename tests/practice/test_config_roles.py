"""`/caio config`: CAIO-only settings, roles and seniority, the queue, and the team profile
reaching the model's prompt."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.db.models import Role
from config.settings import Settings
from tests.conftest import Chat, make_settings
from tests.practice.conftest import Teams
from tests.standins.openai_server import OpenAIStandIn


async def test_members_are_refused_config_and_do_not_see_it_in_help(
    chat: Chat, teams: Teams
) -> None:
    refused = await chat.say("/caio config set retainer 20")
    assert "(only you)" in refused
    assert "Only the CAIO or an admin can use `/caio config set`" in refused
    assert "/caio config" not in await chat.say("/caio help")
    assert "/caio hours" not in await chat.say("/caio help")
    await teams.be("dana", Role.CAIO)
    help_text = await chat.say("/caio help")
    assert "`/caio config [show]`" in help_text and "`/caio hours`" in help_text


async def test_caio_changes_settings_with_validation(chat: Chat, teams: Teams) -> None:
    await teams.be("dana", Role.CAIO)
    assert "retainer set to 20" in await chat.say("/caio config set retainer 20")
    assert "timezone set to Europe/Berlin" in await chat.say("/caio config set tz Europe/Berlin")
    bad = await chat.say("/caio config set timezone Mars/Olympus")
    assert "unknown time zone 'Mars/Olympus'" in bad
    assert "unknown setting 'colour'" in await chat.say("/caio config set colour blue")
    assert "Usage: `/caio config set <setting> <value>`" in await chat.say("/caio config set")
    for value, reason in [
        ("retainer nan", "retainer 'nan': input should be a finite number (hours)"),
        ("retainer 1e400", "retainer '1e400': input should be a finite number (hours)"),
        ("response_target 0", "response_target '0': input should be greater than 0 (hours)"),
    ]:
        bad = await chat.say(f"/caio config set {value}")
        assert reason in bad and "went wrong" not in bad, bad
    shown = await chat.say("/caio config show")
    assert "retainer: 20 h/month" in shown and "response target: 24 h" in shown
    assert "office hours: mon-fri 09:00-17:00 (Europe/Berlin)" in shown
    assert "workspaces: console:console" in shown


async def test_roles_and_seniority_are_set_per_client(chat: Chat, teams: Teams) -> None:
    await chat.say("/caio help")  # dev is known to the team now
    await teams.be("dana", Role.CAIO)
    assert "dev is now lead in Demo Co" in await chat.say("/caio config role @dev lead")
    assert "dev is marked junior" in await chat.say("/caio config junior @dev")
    assert "I don't know @nobody" in await chat.say("/caio config role @nobody lead")
    usage = await chat.say("/caio config role @dev boss")
    assert "Usage: `/caio config role @user <member|lead|caio|admin>`" in usage

    await teams.be("dev", Role.LEAD)
    # a lead may now run lead commands (the report) but still not config
    assert "Only the CAIO" not in await chat.say("/caio report")
    assert "Only the CAIO or an admin" in await chat.say("/caio config show")


async def test_queue_here_moves_escalations(chat: Chat, teams: Teams) -> None:
    await teams.be("dana", Role.CAIO)
    teams.go("ai-desk")
    assert "now arrive in #ai-desk" in await chat.say("/caio config queue here")
    await teams.be("dev")
    out = await chat.say("/caio escalate can we ship customer data to the model?")
    assert "[#ai-desk] caio-bot:" in out and "Escalation #1" in out


async def test_team_profile_reaches_the_model(database_url: str, clock: ManualClock) -> None:
    """End to end with the OpenAI stand-in: the recorded request carries the profile."""
    from bot.wiring import bootstrap_console, build_bot, start, stop

    async with OpenAIStandIn("Start with a golden set [1].") as llm:
        settings: Settings = make_settings(
            database_url, openai_api_key="sk-test", openai_base_url=llm.base_url
        )
        bot = build_bot(settings, clock=clock)
        chat = Chat(bot)
        bot.add_adapter(chat.adapter)
        await bootstrap_console(bot)
        await start(bot)
        try:
            await Teams(chat).be("dana", Role.CAIO)
            await chat.say("/caio config set profile Django monolith on Postgres; no US data")
            await chat.say("/caio ask how should we evaluate our RAG pipeline before launch?")
        finally:
            await stop(bot)
    system = llm.chat_requests[-1]["messages"][0]["content"]
    assert "Team profile (stack, goals, constraints): Django monolith on Postgres" in system
    assert "no US data" in system


async def test_the_last_caio_cannot_demote_themselves(chat: Chat, teams: Teams) -> None:
    """Else nobody could run `/caio config` again from chat."""
    await teams.be("dana", Role.CAIO)
    refused = await chat.say("/caio config role @dana member")
    assert "dana is the last CAIO or admin of Demo Co" in refused
    assert "now member" not in refused

    await teams.be("sam")
    await teams.be("dana", Role.CAIO)
    assert "sam is now admin" in await chat.say("/caio config role @sam admin")
    assert "dana is now member" in await chat.say("/caio config role @dana member")


async def test_help_on_a_subcommand_the_caller_may_not_run_says_who_may(
    chat: Chat, teams: Teams
) -> None:
    await teams.be("sam", Role.LEAD)
    assert "Only the CAIO or an admin can use `/caio answer`" in await chat.say("/caio help answer")
    assert "No subcommand `nonsense`" in await chat.say("/caio help nonsense")
    await teams.be("dev", Role.MEMBER)
    assert "Only the CAIO, a lead or an admin can use `/caio decide`" in await chat.say(
        "/caio help decide"
    )
