"""The unmodified discord.py client over 127.0.0.1 against a fake Discord REST + gateway."""

from __future__ import annotations

from typing import Any

from bot.models import Bundle, Tool
from bot.store import Store
from tests.conftest import AZURE, CLAUDE, add_hostile_tool
from tests.fakes.discord import BOT_ID, CHANNEL_ID, MANAGE_CHANNELS, VIEW_SEND
from tests.rigs import DiscordRig, write_lock_held


def _embed_text(body: dict[str, Any]) -> str:
    import json

    return json.dumps(body, ensure_ascii=False)


def test_ready_and_global_command_sync(drig: DiscordRig) -> None:
    synced = drig.fake.of("PUT", r"^/applications/\d+/commands$")
    assert 1 == len(synced)
    commands = {c["name"]: c for c in synced[0].body}
    assert {"compare", "verdict", "search", "top", "subscribe", "unsubscribe", "subscriptions",
            "watch", "unwatch", "watching", "decide", "decisions", "undecide", "vote", "reviews",
            "help", "which"} == set(commands)
    vote = {o["name"]: o for o in commands["vote"]["options"]}
    assert ["ship", "skip", "retract"] == [c["value"] for c in vote["choice"]["choices"]]
    options = {o["name"]: o for o in commands["compare"]["options"]}
    assert [True, True, False, False] == [options[f"tool_{x}"]["required"] for x in "abcd"]
    assert all(options[f"tool_{x}"]["autocomplete"] for x in "abcd")
    assert MANAGE_CHANNELS == int(commands["subscribe"]["default_member_permissions"])
    assert drig.fake.of("GET", r"^/gateway/bot$")  # AutoShardedClient asked how to shard


def test_compare_interaction_replies_with_embed_and_reactions(drig: DiscordRig,
                                                              store: Store) -> None:
    message_id = drig.compare_card()
    token = next(iter(drig.fake._originals))
    callback = drig.fake.callbacks(token)[0]
    assert 4 == callback["type"]
    embed = callback["data"]["embeds"][0]
    assert "Claude 4 API vs Azure AI Foundry" == embed["title"]
    text = _embed_text(embed)
    for expected in ("Claude 4 API", "Azure AI Foundry", "88", "81", "Ship Claude 4 API",
                     "Founder prefers Azure AI Foundry (81 vs 79)"):
        assert expected in text
    assert {"parse": []} == callback["data"]["allowed_mentions"]
    assert drig.fake.wait_for(lambda: len(drig.fake.of("PUT", r"/reactions/.+/@me$")) == 2)
    ref = store.cards.card_at("discord", str(CHANNEL_ID), str(message_id))
    assert ref is not None and (CLAUDE, AZURE) == ref.tool_ids


def test_autocomplete_returns_choices(drig: DiscordRig) -> None:
    token = drig.fake.interaction("compare", {"tool_a": "cla", "tool_b": ""}, kind=4,
                                  focused="tool_a")
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(token)))
    answer = drig.fake.callbacks(token)[0]
    assert 8 == answer["type"]
    assert [{"name": "Claude 4 API", "value": CLAUDE}] == answer["data"]["choices"]


def test_reaction_votes_switch_remove_and_edit(drig: DiscordRig, store: Store) -> None:
    message_id = drig.compare_card()
    drig.fake.react(message_id, "🅰️", uid=51)
    assert drig.fake.wait_for(lambda: store.votes.community([CLAUDE]) == {CLAUDE: (1, 0)})
    drig.fake.react(message_id, "🅱️", uid=51)
    assert drig.fake.wait_for(
        lambda: store.votes.community([CLAUDE, AZURE]) == {CLAUDE: (0, 0), AZURE: (1, 0)})
    assert drig.fake.wait_for(lambda: any(
        "1 ship / 0 skip" in _embed_text(c.body) for c in
        drig.fake.of("PATCH", rf"/channels/{CHANNEL_ID}/messages/{message_id}$")))
    drig.fake.react(message_id, "🅱️", uid=51, add=False)  # 🅰️ still shows: the vote goes back
    assert drig.fake.wait_for(
        lambda: store.votes.community([CLAUDE, AZURE]) == {CLAUDE: (1, 0), AZURE: (0, 0)})
    drig.fake.react(message_id, "🅰️", uid=51, add=False)
    assert drig.fake.wait_for(lambda: store.votes.community([CLAUDE]) == {CLAUDE: (0, 0)})


def test_own_and_other_bots_reactions_are_ignored(drig: DiscordRig, store: Store) -> None:
    message_id = drig.compare_card()
    # The fake echoes the bot's own two reactions as gateway events, as Discord does.
    assert drig.fake.wait_for(lambda: len(drig.fake.of("PUT", r"/reactions/.+/@me$")) == 2)
    drig.fake.react(message_id, "🅰️", uid=77, bot=True)
    drig.fake.react(message_id, "🅱️", uid=BOT_ID, bot=True)
    drig.fake.react(message_id, "🅰️", uid=78)  # a person, so we know events were processed
    assert drig.fake.wait_for(lambda: store.votes.community([CLAUDE]) == {CLAUDE: (1, 0)})
    assert {CLAUDE: (1, 0), AZURE: (0, 0)} == store.votes.community([CLAUDE, AZURE])
    assert 1 == store.stats()["votes"]


def test_burst_of_reactions_is_coalesced(drig: DiscordRig, store: Store) -> None:
    import time

    message_id = drig.compare_card()
    started = time.monotonic()
    for uid in range(1000, 1100):
        drig.fake.react(message_id, "🅰️" if uid % 4 else "🅱️", uid=uid)
    assert drig.fake.wait_for(
        lambda: store.votes.community([CLAUDE, AZURE]) == {CLAUDE: (75, 0), AZURE: (25, 0)})
    edits = rf"/channels/{CHANNEL_ID}/messages/{message_id}$"
    assert drig.fake.wait_for(lambda: any("75 ship / 0 skip" in _embed_text(c.body)
                                          for c in drig.fake.of("PATCH", edits)))
    elapsed = time.monotonic() - started
    count = len(drig.fake.of("PATCH", edits))
    # At most one edit per refresh window (0.3 s) while the burst lasted: a handful, not 100.
    assert 1 <= count <= min(elapsed / 0.3 + 2, 20), (count, elapsed)


def test_verdict_card_gets_check_and_cross(drig: DiscordRig, store: Store) -> None:
    token = drig.fake.interaction("verdict", {"tool": "azure"})
    assert drig.fake.wait_for(lambda: len(drig.fake.of("PUT", r"/reactions/.+/@me$")) == 2)
    emoji = sorted(c.path.split("/")[-2] for c in drig.fake.of("PUT", r"/reactions/.+/@me$"))
    assert ["✅", "❌"] == emoji
    message_id = int(drig.fake.original(token)["id"])  # type: ignore[index]
    drig.fake.react(message_id, "❌", uid=60)
    assert drig.fake.wait_for(lambda: store.votes.community([AZURE]) == {AZURE: (0, 1)})


def test_subscribe_needs_manage_channels_and_a_guild(drig: DiscordRig, store: Store) -> None:
    denied = drig.fake.interaction("subscribe", {"filter": ""}, permissions=VIEW_SEND)
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(denied)))
    body = drig.fake.callbacks(denied)[0]["data"]
    assert 64 == body["flags"]  # ephemeral
    assert "Only people who can manage this channel" in _embed_text(body)
    dm = drig.fake.interaction("subscribe", {"filter": ""}, dm=True)
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(dm)))
    assert "not direct messages" in _embed_text(drig.fake.callbacks(dm)[0])
    assert 0 == store.stats()["subscriptions"]
    allowed = drig.fake.interaction("subscribe", {"filter": "vendor:microsoft"},
                                    permissions=VIEW_SEND | MANAGE_CHANNELS)
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(allowed)))
    assert [("discord", str(CHANNEL_ID), "vendor:Microsoft")] == [
        (s.platform, s.channel, s.filter_text) for s in store.subscriptions.list()]


def test_compare_in_dm_works(drig: DiscordRig) -> None:
    token = drig.fake.interaction("compare", {"tool_a": "claude", "tool_b": "azure"}, dm=True)
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(token)))
    assert "Ship Claude 4 API" in _embed_text(drig.fake.callbacks(token)[0])


def test_did_you_mean_is_ephemeral_with_buttons_that_compare(drig: DiscordRig,
                                                             store: Store) -> None:
    store.catalog.import_bundle(Bundle(tools=[Tool(id="cursor", name="Cursor", short_name="Cursor"),
                                      Tool(id="cursive", name="Cursive", short_name="Cursive")]))
    token = drig.fake.interaction("compare", {"tool_a": "claude", "tool_b": "cursxx"})
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(token)))
    data = drig.fake.callbacks(token)[0]["data"]
    assert 64 == data["flags"]
    buttons = data["components"][0]["components"]
    assert ["Cursive", "Cursor"] == sorted(b["label"] for b in buttons)
    chosen = next(b for b in buttons if b["label"] == "Cursor")
    click = drig.fake.interaction("", kind=3, custom_id=chosen["custom_id"],
                                  message=drig.fake.original(token))
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(click)))
    assert "Claude 4 API vs Cursor" in _embed_text(drig.fake.callbacks(click)[0])
    picks = store.db.execute("SELECT platform, words, tool_id FROM alias_picks").fetchall()
    assert [("discord", "cursxx", "cursor")] == picks


def test_hostile_tool_name_cannot_ping(drig: DiscordRig, store: Store) -> None:
    hostile = "@everyone @here <@&123> <@42> <#99>"
    add_hostile_tool(store, hostile)
    token = drig.fake.interaction("compare", {"tool_a": "evil", "tool_b": "claude"})
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(token)))
    data = drig.fake.callbacks(token)[0]["data"]
    assert {"parse": []} == data["allowed_mentions"]
    text = _embed_text(data)
    assert "Evil" in text
    for ping in ("@everyone", "@here", "<@&123>", "<@42>", "<#99>"):
        assert ping not in text


def test_missing_permission_to_react_is_explained(drig: DiscordRig) -> None:
    drig.fake.forbidden_channels.add(CHANNEL_ID)
    token = drig.fake.interaction("compare", {"tool_a": "claude", "tool_b": "azure"})
    assert drig.fake.wait_for(lambda: bool(drig.fake.of("POST", rf"^/webhooks/\d+/{token}$")))
    followup = drig.fake.of("POST", rf"^/webhooks/\d+/{token}$")[0].body
    assert "give me Add Reactions" in followup["content"]
    assert 64 == followup["flags"]


def test_guild_sync_when_guild_id_is_set(fake_discord, bot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from adapters.discord.client import ShipbotDiscord
    from adapters.settings import Settings
    from tests.fakes.discord import GUILD_ID

    settings = Settings(shipbot_db=str(tmp_path / "g.db"), discord_token="t",
                        discord_api_url=fake_discord.api_url, discord_guild_id=GUILD_ID)
    rig = DiscordRig(fake_discord, ShipbotDiscord(bot, settings, guild_ready_timeout=0.1)).start()
    try:
        synced = fake_discord.of("PUT", rf"^/applications/\d+/guilds/{GUILD_ID}/commands$")
        assert 1 == len(synced)
        assert "compare" in [c["name"] for c in synced[0].body]
    finally:
        rig.stop()


def test_slow_work_is_deferred_then_answered(drig: DiscordRig, store: Store) -> None:
    import time

    with write_lock_held(store):  # another process holds the write lock for a while
        token = drig.fake.interaction("subscribe", {"filter": ""},
                                      permissions=VIEW_SEND | MANAGE_CHANNELS)
        assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(token)), 5)
        assert 5 == drig.fake.callbacks(token)[0]["type"]  # deferred inside Discord's 3 s
        time.sleep(0.3)
    followups = rf"^/webhooks/\d+/{token}$"
    assert drig.fake.wait_for(lambda: bool(drig.fake.of("POST", followups)), 15)
    assert "Subscribed (#1)" in _embed_text(drig.fake.of("POST", followups)[0].body)


def test_gateway_url_setting_skips_gateway_lookup(fake_discord, bot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from adapters.discord.client import ShipbotDiscord
    from adapters.settings import Settings

    settings = Settings(shipbot_db=str(tmp_path / "g.db"), discord_token="t",
                        discord_api_url=fake_discord.api_url,
                        discord_gateway_url=fake_discord.gateway_url)
    rig = DiscordRig(fake_discord, ShipbotDiscord(bot, settings, guild_ready_timeout=0.1)).start()
    try:
        assert [] == fake_discord.of("GET", r"^/gateway/bot$")
        assert fake_discord.identified.is_set()
    finally:
        rig.stop()


def test_a_replica_holds_only_its_slice_of_the_shards(fake_discord, bot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from adapters.discord.client import ShipbotDiscord
    from tests.rigs import discord_settings

    settings = discord_settings(fake_discord, bot.store.location).model_copy(
        update={"discord_shard_ids": "1,3", "discord_shard_count": 4,
                "discord_gateway_url": fake_discord.gateway_url})  # no /gateway/bot lookup
    rig = DiscordRig(fake_discord, ShipbotDiscord(bot, settings, guild_ready_timeout=0.1)).start()
    try:
        assert fake_discord.wait_for(lambda: len(fake_discord.shards_identified) == 2)
        assert [[1, 4], [3, 4]] == sorted(fake_discord.shards_identified)
    finally:
        rig.stop()


def test_shard_settings_are_checked() -> None:
    import pytest
    from pydantic import ValidationError

    from adapters.settings import Settings, parse_shard_ids

    assert [0, 1, 2, 3] == parse_shard_ids("0-3") and [0, 2, 5] == parse_shard_ids("0,2,5")
    for ids, count, reason in (("0-3", None, "needs DISCORD_SHARD_COUNT"),
                               ("4", 4, "names shard 4"), ("a-b", 2, "must look like 0-3"),
                               ("3-1", 4, "runs backwards")):
        with pytest.raises(ValidationError, match=reason):
            Settings(discord_shard_ids=ids, discord_shard_count=count)


def test_reactions_missed_while_down_are_healed_on_a_new_session(fake_discord, bot,  # type: ignore[no-untyped-def]
                                                                 store: Store) -> None:
    from adapters.discord.client import ShipbotDiscord
    from tests.rigs import discord_settings

    def client() -> ShipbotDiscord:
        return ShipbotDiscord(bot, discord_settings(fake_discord, bot.store.location),
                              refresh_delay=0.2, guild_ready_timeout=0.1)

    rig = DiscordRig(fake_discord, client()).start()
    message_id = rig.compare_card()
    fake_discord.react(message_id, "🅰️", uid=61)
    fake_discord.react(message_id, "🅰️", uid=62)
    assert fake_discord.wait_for(lambda: store.votes.community([CLAUDE]) == {CLAUDE: (2, 0)})
    rig.stop()
    # While no replica holds the shard: 61 takes 🅰️ off, 63 reacts 🅱️, a bot reacts too.
    fake_discord.show(message_id, "🅰️", 61, add=False)
    fake_discord.show(message_id, "🅱️", 63)
    fake_discord.bot_ids.add(64)
    fake_discord.show(message_id, "🅱️", 64)
    rig = DiscordRig(fake_discord, client()).start()  # a new session: READY, then healing
    try:
        assert fake_discord.wait_for(lambda: store.votes.community([CLAUDE, AZURE])
                                     == {CLAUDE: (1, 0), AZURE: (1, 0)})
        assert fake_discord.wait_for(lambda: any(
            "1 ship / 0 skip" in _embed_text(c.body) for c in
            fake_discord.of("PATCH", rf"/channels/{CHANNEL_ID}/messages/{message_id}$")))
    finally:
        rig.stop()


def test_long_tool_ids_autocomplete_to_values_that_resolve(store: Store, bot) -> None:  # type: ignore[no-untyped-def]
    from adapters.discord.commands import tool_choices
    from bot.models import Context

    stem = "vendor-" + "x" * 95
    store.catalog.import_bundle(Bundle(tools=[
        Tool(id=f"{stem}-alpha-edition", name="Longname Alpha", short_name="Longname Alpha"),
        Tool(id=f"{stem}-beta-edition", name="Longname Beta", short_name="Longname Beta")]))
    choices = tool_choices(bot, "longname")
    values = [c.value for c in choices]
    assert 2 == len(set(values)) and all(len(v) <= 100 for v in values)
    card = bot.handle(f"compare {values[0]} vs {values[1]}", Context(platform="discord"))
    assert "compare" == card.kind
    assert {f"{stem}-alpha-edition", f"{stem}-beta-edition"} == set(card.tool_ids)
