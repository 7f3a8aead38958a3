"""The real slack-bolt app over HTTP (and Socket Mode) on 127.0.0.1 against a fake Slack."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from adapters.slack.app import SlackAdapter
from adapters.slack.server import serve_socket_mode
from bot.commands import ShipBot
from bot.models import Bundle, Tool
from bot.store import Store
from tests.conftest import AZURE, CLAUDE, add_hostile_tool
from tests.fakes.slack import FakeSlack
from tests.rigs import SECRET, LoopThread, SlackRig, serving, settings_for


def _texts(blocks: list[dict[str, Any]] | str) -> str:
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return json.dumps(blocks, ensure_ascii=False)


def test_compare_posts_card_in_channel(rig: SlackRig, store: Store) -> None:
    status, _ = rig.command("/compare", "claude azure")
    assert 200 == status
    assert 1 == len(rig.posted())
    message = rig.posted()[0]
    assert "C1" == message["channel"]
    text = _texts(message["blocks"])
    for expected in ("Claude 4 API vs Azure AI Foundry", "[A] Claude 4 API", "[B] Azure AI Foundry",
                     "88", "78", "Ship Claude 4 API", "Founder", "No community votes yet",
                     "Source: panel comparison"):
        assert expected in text
    assert "Claude 4 API vs Azure AI Foundry: ship Claude 4 API" == message["text"]
    blocks = json.loads(message["blocks"]) if isinstance(message["blocks"], str) else message["blocks"]
    assert "header" == blocks[0]["type"]
    assert len(blocks) <= 50
    ref = store.cards.card_at("slack", "C1", "1700000001.000100")
    assert ref is not None and (CLAUDE, AZURE) == ref.tool_ids


def test_did_you_mean_is_ephemeral_and_its_button_runs_compare(rig: SlackRig,
                                                               store: Store) -> None:
    store.catalog.import_bundle(Bundle(tools=[Tool(id="cursor", name="Cursor", short_name="Cursor"),
                                      Tool(id="cursive", name="Cursive", short_name="Cursive")]))
    rig.command("/compare", "claude cursxx")
    assert [] == rig.posted()
    reply = rig.fake.responses[-1]
    assert "ephemeral" == reply["response_type"]
    buttons = next(b for b in reply["blocks"] if b["type"] == "actions")["elements"]
    chosen = next(b for b in buttons if b["text"]["text"] == "Cursor")
    rig.click(chosen["action_id"], chosen["value"], ts="1.0")
    assert rig.fake.wait_for(lambda: len(rig.posted()) == 1 and not rig.adapter.in_flight)
    assert "Claude 4 API vs Cursor" in _texts(rig.posted()[0]["blocks"])
    # The pick is remembered toward learning `cursxx` as an alias in this workspace.
    assert [("slack", "T1", "U1", "cursxx", "cursor")] == store.db.execute(
        'SELECT platform, workspace, "user", words, tool_id FROM alias_picks').fetchall()


def test_verdict_and_shipbot_help(rig: SlackRig) -> None:
    rig.command("/verdict", "azure")
    assert "Azure AI Foundry" in _texts(rig.posted()[0]["blocks"])
    rig.command("/shipbot", "help")
    assert "compare &lt;tool&gt; &lt;tool&gt;" in _texts(rig.fake.responses[-1]["blocks"])
    assert 1 == len(rig.posted())


def test_button_vote_toggles_and_updates_card(rig: SlackRig, store: Store) -> None:
    rig.command("/compare", "claude azure")
    ts = "1700000001.000100"  # the fake's first message
    rig.click("shipbot_vote_1", json.dumps({"pos": 1, "choice": "ship"}), ts)
    assert {CLAUDE: (0, 0), AZURE: (1, 0)} == store.votes.community([CLAUDE, AZURE])
    assert rig.fake.wait_for(lambda: len(rig.fake.of("chat.update")) >= 1)
    update = rig.fake.of("chat.update")[-1]
    assert ts == update["ts"]
    assert "1 ship / 0 skip" in _texts(update["blocks"])
    rig.click("shipbot_vote_1", json.dumps({"pos": 1, "choice": "ship"}), ts)
    assert {CLAUDE: (0, 0), AZURE: (0, 0)} == store.votes.community([CLAUDE, AZURE])


def test_reaction_vote_switch_and_removal(rig: SlackRig, store: Store) -> None:
    rig.command("/compare", "claude azure")
    ts = "1700000001.000100"
    rig.reaction(ts, "a")
    assert {CLAUDE: (1, 0), AZURE: (0, 0)} == store.votes.community([CLAUDE, AZURE])
    rig.reaction(ts, "b")
    assert {CLAUDE: (0, 0), AZURE: (1, 0)} == store.votes.community([CLAUDE, AZURE])
    rig.reaction(ts, "b", added=False)  # 🅰 still shows on the card: the vote goes back to it
    assert {CLAUDE: (1, 0), AZURE: (0, 0)} == store.votes.community([CLAUDE, AZURE])
    rig.reaction(ts, "a", added=False)
    assert {CLAUDE: (0, 0), AZURE: (0, 0)} == store.votes.community([CLAUDE, AZURE])
    rig.reaction(ts, "a", user="U3")
    assert rig.fake.wait_for(lambda: any("1 ship / 0 skip" in _texts(u["blocks"])
                                         for u in rig.fake.of("chat.update")))


def test_reactions_that_do_not_count(rig: SlackRig, store: Store) -> None:
    rig.command("/compare", "claude azure")
    ts = "1700000001.000100"
    rig.fake.bot_users.add("UOTHERBOT")
    rig.reaction(ts, "a", user="UBOT")  # our own
    rig.reaction(ts, "a", user="UOTHERBOT")  # another bot
    rig.reaction("999.000", "a")  # not one of our cards
    rig.reaction(ts, "tada")  # not a vote
    assert {CLAUDE: (0, 0), AZURE: (0, 0)} == store.votes.community([CLAUDE, AZURE])


def test_retried_event_is_counted_once(rig: SlackRig, store: Store) -> None:
    rig.command("/compare", "claude azure")
    ts = "1700000001.000100"
    rig.reaction(ts, "a", event_id="EvSame")
    rig.reaction(ts, "a", added=False, event_id="EvRemove")
    rig.reaction(ts, "a", event_id="EvSame", retry=1)  # the first add, delivered again
    assert {CLAUDE: (0, 0)} == store.votes.community([CLAUDE])


def test_verdict_card_reactions(rig: SlackRig, store: Store) -> None:
    rig.command("/verdict", "claude")
    ts = "1700000001.000100"
    rig.reaction(ts, "white_check_mark")
    rig.reaction(ts, "x")
    assert {CLAUDE: (0, 1)} == store.votes.community([CLAUDE])


def test_burst_of_votes_is_coalesced(rig: SlackRig, store: Store) -> None:
    rig.command("/compare", "claude azure")
    ts = "1700000001.000100"
    started = time.monotonic()
    for n in range(100):
        rig.reaction(ts, "a" if n % 3 else "b", user=f"U{n}")
    assert {CLAUDE: (66, 0), AZURE: (34, 0)} == store.votes.community([CLAUDE, AZURE])
    assert rig.fake.wait_for(lambda: any("66 ship / 0 skip" in _texts(u["blocks"])
                                         for u in rig.fake.of("chat.update")))
    elapsed = time.monotonic() - started
    time.sleep(0.5)
    updates = len(rig.fake.of("chat.update"))
    # At most one edit per refresh window (0.3 s) while the burst lasted: a handful, not 100.
    assert 1 <= updates <= min(elapsed / 0.3 + 2, 20), (updates, elapsed)


def test_hostile_name_from_data_cannot_mention(rig: SlackRig, store: Store) -> None:
    hostile = "<!channel> @everyone <@U123> <#C999> <!subteam^S1>"
    add_hostile_tool(store, hostile)
    rig.command("/compare", "evil vs claude")
    rig.command("/compare", "<!here> vs <@U1>")
    sent = json.dumps(rig.fake.calls, default=lambda c: c.__dict__) + json.dumps(rig.fake.responses)
    assert "Evil" in sent
    for ping in ("<!channel>", "<!here>", "<@U123>", "<#C999>", "<!subteam", "<@U1>"):
        assert ping not in sent


def test_bad_signature_and_stale_timestamp_are_401(rig: SlackRig) -> None:
    body = urlencode({"command": "/compare", "text": "claude azure", "team_id": "T1",
                      "user_id": "U1", "channel_id": "C1"})
    form = "application/x-www-form-urlencoded"
    assert 401 == rig.send(body, form, secret="wrong")[0]
    assert 401 == rig.send(body, form, timestamp=int(time.time()) - 600)[0]
    assert [] == rig.posted()


def test_not_in_channel_is_explained(rig: SlackRig) -> None:
    rig.fake.channel_errors["CPRIV"] = "not_in_channel"
    rig.command("/compare", "claude azure", channel="CPRIV")
    assert "invite me with `/invite @shipbot`" in rig.fake.responses[-1]["text"]


def test_rate_limit_is_retried_after_retry_after(rig: SlackRig) -> None:
    rig.fake.rate_limit_next = 1
    started = time.monotonic()
    rig.command("/compare", "claude azure")
    assert 2 == len(rig.posted())  # the 429, then the retry
    assert time.monotonic() - started >= 1.0


def test_socket_mode_round_trip(fake: FakeSlack, bot: ShipBot) -> None:
    adapter = SlackAdapter(bot, settings_for(fake, bot.store.location), refresh_delay=0.2)
    loop = LoopThread()
    handler = loop.call(serve_socket_mode(adapter, "xapp-test"))
    try:
        payload = {"command": "/compare", "text": "claude vs azure", "user_id": "U1",
                   "team_id": "T1", "channel_id": "C1", "channel_name": "general",
                   "response_url": f"{fake.url}/response/9", "trigger_id": "t"}
        assert fake.wait_for(lambda: fake.sockets_opened == 1)
        fake.send_envelope({"envelope_id": "env-1", "type": "slash_commands",
                            "accepts_response_payload": True, "payload": payload})
        assert fake.wait_for(lambda: len(fake.of("chat.postMessage")) == 1)
        assert "Ship Claude 4 API" in _texts(fake.of("chat.postMessage")[0]["blocks"])
        assert ["env-1"] == [a["envelope_id"] for a in fake.socket_acks]
    finally:
        loop.call(handler.close_async())
        loop.call(adapter.close())
        loop.stop()


def _install_page(base: str) -> tuple[str, str, str]:
    """GET /slack/install as a browser: the state in its link, the cookie it set, the page."""
    import re
    import urllib.request

    with urllib.request.urlopen(f"{base}/slack/install", timeout=10) as page:
        html = page.read().decode()
        cookie = page.headers["Set-Cookie"].split(";")[0]
    state = re.search(r"state=([\w-]+)", html).group(1)  # type: ignore[union-attr]
    return state, cookie, html


def test_oauth_install_serves_another_workspace(fake: FakeSlack, bot: ShipBot,
                                                tmp_path: Path) -> None:
    import urllib.request

    from adapters.settings import Settings

    settings = Settings(shipbot_db=bot.store.location, slack_signing_secret=SECRET,
                        slack_client_id="111.222", slack_client_secret="client-secret",
                        slack_api_url=f"{fake.url}/api/")
    with serving(fake, bot, settings) as rig:
        base = f"http://127.0.0.1:{rig.port}"
        state, cookie, html = _install_page(base)
        assert "client_id=111.222" in html
        callback = urllib.request.Request(f"{base}/slack/oauth_redirect?code=c0de&state={state}",
                                          headers={"Cookie": cookie})
        with urllib.request.urlopen(callback, timeout=10) as done:
            assert 200 == done.status
        form = {"command": "/compare", "text": "claude azure", "user_id": "U9", "team_id": "T9",
                "channel_id": "C9", "channel_name": "general", "trigger_id": "t",
                "response_url": f"{fake.url}/response/9"}
        assert 200 == rig.send(urlencode(form), "application/x-www-form-urlencoded")[0]
        assert fake.wait_for(lambda: bool(fake.of("chat.postMessage")))
        posted = [c for c in fake.calls if c.method == "chat.postMessage"]
        assert [("C9", "xoxb-installed")] == [(c.params["channel"], c.token) for c in posted]
        # The installation is in the shared store, where every replica finds it.
        assert "xoxb-installed" in (bot.store.installations.get("slack", "T9") or "")
        assert 0 == len(bot.store.db.execute("SELECT * FROM oauth_states").rows)  # consumed


def test_bad_events_are_logged_and_skipped(rig: SlackRig, store: Store) -> None:
    rig.command("/compare", "claude azure")
    ts = "1700000001.000100"
    garbage = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
                          "event_id": "EvBad", "event_time": 1, "token": "x",
                          "event": {"type": "reaction_added", "user": "U2", "reaction": "a",
                                    "item": "not-an-object", "event_ts": "1"}})
    assert 200 == rig.send(garbage, "application/json")[0]
    status, _ = rig.click("shipbot_vote_0", "{not json", ts)
    assert 400 == status  # a signed but malformed button value: refused before any listener
    rig.reaction(ts, "a")  # the app is still up and counting
    assert {CLAUDE: (1, 0)} == store.votes.community([CLAUDE])


def test_ack_returns_before_the_answer_is_posted(fake: FakeSlack, bot: ShipBot) -> None:
    fake.post_delay = 1.5  # a slow Slack: the ack must not wait for it
    with serving(fake, bot) as rig:
        started = time.monotonic()
        assert 200 == rig.command("/compare", "claude azure", wait=False)[0]
        assert time.monotonic() - started < 1.0
        assert fake.wait_for(lambda: bot.store.cards.card_at("slack", "C1", "1700000001.000100")
                             is not None)


def test_a_store_failure_is_not_acknowledged(rig: SlackRig, store: Store) -> None:
    """A vote the store could not take gets no 200, so Slack sends it again; then it counts."""
    rig.command("/compare", "claude azure")
    ts = "1700000001.000100"
    store.db.execute("ALTER TABLE card_votes RENAME TO card_votes_away")  # the store breaks
    try:
        status, _ = rig.reaction(ts, "a", event_id="EvBroken")
    finally:
        store.db.execute("ALTER TABLE card_votes_away RENAME TO card_votes")
    assert 200 != status
    assert {CLAUDE: (0, 0)} == store.votes.community([CLAUDE])
    assert 200 == rig.reaction(ts, "a", event_id="EvBroken", retry=1)[0]  # Slack's retry
    assert {CLAUDE: (1, 0)} == store.votes.community([CLAUDE])


def test_reactions_missed_while_down_are_healed(fake: FakeSlack, bot: ShipBot,
                                                store: Store) -> None:
    with serving(fake, bot) as rig:
        rig.command("/compare", "claude azure")
        ts = "1700000001.000100"
        rig.reaction(ts, "a", user="U2")
        rig.reaction(ts, "a", user="U3")
        rig.click("shipbot_vote_1", json.dumps({"pos": 1, "choice": "ship"}), ts, user="U6")
    assert {CLAUDE: (2, 0), AZURE: (1, 0)} == store.votes.community([CLAUDE, AZURE])
    # No replica is listening: U2 takes 🅰 off, U4 reacts 🅱, another bot and ours react too.
    fake.show("C1", ts, "a", "U2", added=False)
    fake.show("C1", ts, "b", "U4")
    fake.show("C1", ts, "b", "UBOT")
    fake.bot_users.add("UOTHERBOT")
    fake.show("C1", ts, "a", "UOTHERBOT")
    with serving(fake, bot) as rig:  # a replica starts and re-reads its recent cards
        assert 1 == rig.loop.call(rig.adapter.heal_recent())
        assert {CLAUDE: (1, 0), AZURE: (2, 0)} == store.votes.community([CLAUDE, AZURE])
        assert rig.fake.wait_for(lambda: any("2 ship / 0 skip" in _texts(u["blocks"])
                                             for u in rig.fake.of("chat.update")))
        assert 0 == rig.loop.call(rig.adapter.heal_recent())  # in line now
    assert ["C1"] == [c["channel"] for c in fake.of("reactions.get")][:1]


def test_unsigned_garbage_is_refused_before_it_is_parsed(rig: SlackRig, caplog: Any) -> None:
    for body, kind in (("{not json", "application/json"), ("payload=%7Bbad", "application/"
                       "x-www-form-urlencoded"), ("\x00" * 1000, "text/plain")):
        headers = {"Content-Type": kind}
        from tests.fakes.slack import post

        assert 401 == post(rig.url, body, headers)[0]
        assert 401 == rig.send(body, kind, secret="forged")[0]
    assert "Traceback" not in caplog.text
    assert [] == rig.posted() and [] == rig.fake.responses


def test_button_values_are_whole_json_however_long_the_names() -> None:
    from adapters.slack.blocks import render
    from bot.cards import Card, Choice

    ids = [f"{'y' * 110}-{n}" for n in range(4)]
    choices = [Choice(label="L" * 300, command="compare " + " vs ".join(ids), tool_id=ids[0],
                      typed="t" * 100) for _ in range(5)]
    blocks, _ = render(Card(kind="did_you_mean", title="?", choices=choices))
    buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
    for button in buttons:
        value = json.loads(button["value"])  # never cut in the middle
        assert len(button["value"]) <= 2000 and value["command"].endswith(ids[3])


def test_admins_only_setting_restricts_subscriptions(fake: FakeSlack, bot: ShipBot,
                                                      store: Store) -> None:
    settings = settings_for(fake, bot.store.location).model_copy(
        update={"slack_managers": "admins"})
    fake.admin_users.add("UADMIN")
    with serving(fake, bot, settings) as rig:
        rig.command("/shipbot", "subscribe", user="UMEMBER")
        assert "Only people who can manage this channel" in json.dumps(rig.fake.responses[-1])
        assert [] == store.subscriptions.list()
        rig.command("/shipbot", "subscribe vendor:anthropic", user="UADMIN")
        rig.command("/shipbot", "subscribe vendor:microsoft", user="UADMIN")
        assert 2 == len(store.subscriptions.list())
        rig.command("/shipbot", "unsubscribe all", user="UMEMBER")
        assert 2 == len(store.subscriptions.list())
        # Whoever made a subscription may remove it, admin or not.
        sub, _ = store.subscriptions.add("slack", "T1", "C1", "{}", "everything", "UMEMBER")
        rig.command("/shipbot", f"unsubscribe {sub.id}", user="UMEMBER")
        assert 2 == len(store.subscriptions.list())


def test_a_huge_timestamp_is_a_forgery_not_a_crash(rig: SlackRig, caplog: Any) -> None:
    """309+ digits overflowed a float inside the verifier: 500 and a traceback (#16)."""
    from tests.fakes.slack import post

    body = "command=%2Fcompare&text=claude"
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=00"}
    assert 401 == post(rig.url, body, headers)[0]
    assert "Traceback" not in caplog.text


def test_signed_but_malformed_bodies_get_400_and_change_nothing(rig: SlackRig, store: Store,
                                                                caplog: Any) -> None:
    """Signed requests Slack would never send: invalid JSON, a JSON array, a non-JSON
    payload, `event: [1]`, `actions: []`, 1e999 in a button value (#16)."""
    from urllib.parse import urlencode

    before = store.stats()
    form = "application/x-www-form-urlencoded"
    bad = [("{not json", "application/json"), ("[1, 2]", "application/json"),
           (json.dumps({"type": "event_callback", "event": [1]}), "application/json"),
           (urlencode({"payload": "{bad"}), form),
           (urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}), form),
           (urlencode({"payload": json.dumps({
               "type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"},
               "actions": [{"action_id": "shipbot_vote_0", "value": '{"pos": 1e999}'}]})}),
            form)]
    for body, kind in bad:
        status, text = rig.send(body, kind)
        assert 400 == status, (body, text)
        assert text.startswith("malformed request")
    assert "Traceback" not in caplog.text
    assert before == store.stats() and [] == rig.posted()


def test_oauth_callback_when_slack_cannot_be_reached(fake: FakeSlack, bot: ShipBot) -> None:
    """#16: not a raw 500; nothing is installed, and the state is given back so the same
    callback can be reloaded once Slack answers again."""
    import urllib.error
    import urllib.request

    from adapters.settings import Settings

    settings = Settings(shipbot_db=bot.store.location, slack_signing_secret=SECRET,
                        slack_client_id="111.222", slack_client_secret="client-secret",
                        slack_api_url="http://127.0.0.1:9/api/")  # nothing listens there
    with serving(fake, bot, settings) as rig:
        base = f"http://127.0.0.1:{rig.port}"
        state, cookie, _ = _install_page(base)
        callback = urllib.request.Request(f"{base}/slack/oauth_redirect?code=c0de&state={state}",
                                          headers={"Cookie": cookie})
        try:
            urllib.request.urlopen(callback, timeout=30)
            raise AssertionError("the callback should have failed")
        except urllib.error.HTTPError as failed:
            assert 502 == failed.code
            text = failed.read().decode()
        assert "Slack could not be reached" in text and "Nothing was installed" in text
        assert 'href="/slack/install"' in text
        assert [(state,)] == [tuple(r[:1]) for r in
                              bot.store.db.execute("SELECT state FROM oauth_states").rows]
        assert bot.store.installations.get("slack", "T9") is None
