"""Following the verdict site (#20) against a local fake site: feeds, sitemaps and pages in
the site's format (our words), conditional requests, and what a misbehaving server sends."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.web import PoliteFetcher
from bot.commands import ShipBot
from bot.models import Context
from bot.render_text import render_text
from bot.sources.sync import PassResult, sync_source
from shipbot.cli import cli
from tests.fakes.site import FakeSite

PERSONAS = ("Builder", "Skeptic", "Futurist", "Founder")


def page_text(a: str, b: str, scores: tuple[int, int] = (80, 70)) -> str:
    """A comparison page in the site's format, in the suite's own words."""
    lines = [f"Compare/{a} vs {b}", "AI tool comparison", f"{a} vs {b}"]
    for name, vendor in ((a, "Acme"), (b, "Globex")):
        lines += [name[0], "Developer Tools", name, f"{name} does one thing well", "Ship",
                  "100%", "Panel ship", "Community", "Paid", "Entry",
                  f"{vendor} built {name} for teams that ship every day."]
    lines += ["Decision", a, b, "Panel verdict", "Ship · 4 ship / 0 skip",
              "Ship · 4 ship / 0 skip", "Community", "No community votes yet",
              "No community votes yet", "Pricing", "Per seat", "Per request", "Best for",
              f"Teams who like {a}", f"Teams who like {b}", "Category", "Developer Tools",
              "Developer Tools", "Reviewer scorecard"]
    for persona in PERSONAS:
        lines += [persona]
        for score in scores:
            lines += [f"{score}/100 · ship", f"{persona} found it sound at {score}."]
    lines += ["Weekly AI Tool Verdicts"]
    return "\n\n".join(lines)


def page_html(a: str, b: str, scores: tuple[int, int] = (80, 70), canonical: str = "") -> str:
    """The same page as the site serves it: blocks, inline runs, and chrome to drop."""
    body = []
    for line in page_text(a, b, scores).split("\n\n"):
        if "/100 · " in line:
            score, verdict = line.split(" · ")
            body.append(f"<div><span>{score}</span> · <span>{verdict}</span></div>")
        else:
            body.append(f"<p>{line}</p>")
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (f"<!doctype html><html><head><title>{a} vs {b}</title>{link}"
            "<script>window.tracking = 'Compare/evil vs script'</script><style>p{}</style>"
            "</head><body><nav>Home · Tools</nav><header>The verdict site</header>"
            + "".join(body) + "<form><input name=q></form><footer>© site</footer></body></html>")


def rss(site: FakeSite, paths: list[str]) -> str:
    items = "".join(f"<item><title>{p}</title><link>{site.url(p)}</link></item>" for p in paths)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>v</title>{items}</channel></rss>'


@pytest.fixture
def site() -> Iterator[FakeSite]:
    fake = FakeSite()
    server = fake.start()
    yield fake
    server.stop()


def _pass(bot: ShipBot, url: str, owner: str = "test", pause_after: int = 10,
          **fetcher: float) -> PassResult:
    src = bot.store.sources.by_url(url) or bot.store.sources.add(url, 3600)[0]

    async def run() -> PassResult:
        async with PoliteFetcher(**fetcher) as fetch:  # type: ignore[arg-type]
            return await sync_source(bot.cards, src, fetch, owner, pause_after)
    return asyncio.run(run())


def _whats(result: PassResult) -> list[tuple[str, str]]:
    return [(p.url.rsplit("/", 1)[-1], p.what) for p in result.pages]


def test_a_feed_imports_each_page_once_and_polls_politely(bot: ShipBot, site: FakeSite) -> None:
    bot.handle("subscribe", Context(platform="slack", workspace="T1", channel="C1", user="U1",
                                    can_manage=True))
    site.put("/c/one", page_html("Alpha Tool", "Beta Tool", canonical="https://v.example/c/one"))
    site.put("/c/two", page_html("Gamma Tool", "Delta Tool", (60, 90)))
    site.put("/feed.xml", rss(site, ["/c/one", "/c/two"]), "application/rss+xml")
    first = _pass(bot, site.url("/feed.xml"))
    assert [("one", "new"), ("two", "new")] == _whats(first), first
    queued = bot.store.db.execute("SELECT COUNT(*) FROM deliveries").rows[0][0]
    assert 2 == queued  # one card per new comparison, to the one subscribed channel
    card = bot.handle("compare alpha tool vs beta tool", Context(platform="test"))
    assert "https://v.example/c/one" == card.url  # the canonical URL, linked from the card
    assert "Source: https://v.example/c/one" in render_text(card)
    assert site.asked("/feed.xml")[0]["User-Agent"].startswith("shipbot/")
    # unchanged: the feed answers 304, nothing is parsed or written, nothing is queued
    second = _pass(bot, site.url("/feed.xml"))
    assert [("feed.xml", "unchanged")] == _whats(second)
    assert site.asked("/feed.xml")[1]["If-None-Match"]
    assert 1 == len(site.asked("/c/one"))
    # a page changes (and the feed with it): that page alone is news
    site.put("/c/one", page_html("Alpha Tool", "Beta Tool", (50, 95)))
    site.put("/feed.xml", rss(site, ["/c/one", "/c/two"]) + "\n", "application/rss+xml")
    third = _pass(bot, site.url("/feed.xml"))
    assert [("one", "changed"), ("two", "unchanged")] == _whats(third)
    assert site.asked("/c/two")[1]["If-None-Match"]  # a conditional request: 304
    assert 3 == bot.store.db.execute("SELECT COUNT(*) FROM deliveries").rows[0][0]


def test_one_bad_page_is_refused_with_its_reason_and_the_rest_go_on(bot: ShipBot,
                                                                     site: FakeSite) -> None:
    site.put("/c/good", page_html("Alpha Tool", "Beta Tool"))
    site.put("/c/cut", page_html("Gamma Tool", "Delta Tool").split("Reviewer scorecard")[0])
    site.put("/c/gone", "<html><body>not a comparison</body></html>")
    site.status["/c/error"] = (500, {})
    site.put("/feed.xml", rss(site, ["/c/cut", "/c/gone", "/c/error", "/c/good"]),
             "application/xml")
    result = _pass(bot, site.url("/feed.xml"))
    outcomes = {p.url.rsplit("/", 1)[-1]: p for p in result.pages}
    assert "new" == outcomes["good"].what
    assert ("refused", "refused", "refused") == (outcomes["cut"].what, outcomes["gone"].what,
                                                 outcomes["error"].what)
    assert "line" in outcomes["cut"].detail and "HTTP 500" == outcomes["error"].detail
    assert bot.store.catalog.tool("gamma-tool") is None  # nothing of a refused page


def test_a_page_that_would_remove_reviews_is_refused(bot: ShipBot, site: FakeSite) -> None:
    site.put("/p", page_html("Alpha Tool", "Beta Tool"))
    assert "new" == _pass(bot, site.url("/p")).pages[0].what
    fewer = page_html("Alpha Tool", "Beta Tool").replace("Ship · 4 ship / 0 skip",
                                                         "Ship · 3 ship / 0 skip")
    for persona in ("Founder",):  # the page drops a reviewer
        start = fewer.index(f"<p>{persona}</p>")
        fewer = fewer[:start] + fewer[fewer.index("<p>Weekly AI Tool Verdicts"):]
    site.put("/p", fewer)
    outcome = _pass(bot, site.url("/p")).pages[0]
    assert "refused" == outcome.what and "Founder" in outcome.detail
    assert 4 == len(bot.store.catalog.tool("alpha-tool", cached=False).reviews)  # type: ignore[union-attr]


@pytest.mark.parametrize(("setup", "expected"), [
    (lambda s: s.status.__setitem__("/x", (429, {"Retry-After": "120"})), "HTTP 429"),
    (lambda s: s.status.__setitem__("/x", (500, {})), "HTTP 500"),
    (lambda s: s.hang.add("/x"), "no whole answer"),
    (lambda s: s.endless.add("/x"), "cut off"),
    (lambda s: s.status.__setitem__("/x", (302, {"Location": "/x"})), "redirects"),
    (lambda s: s.put("/x", "<rss><channel><item></channel>", "application/xml"),
     "malformed XML"),
    (lambda s: s.put("/x", '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">'
                           '<!ENTITY b "&a;&a;&a;&a;">]><rss>&b;</rss>', "text/xml"),
     "entity"),
])
def test_a_misbehaving_server_fails_the_pass_with_a_reason(bot: ShipBot, site: FakeSite,
                                                          setup: object, expected: str) -> None:
    setup(site)  # type: ignore[operator]
    started = time.time()
    result = _pass(bot, site.url("/x"), timeout=1.5, max_bytes=200_000)
    assert expected in result.error, result
    src = bot.store.sources.get(result.source.id)
    assert src is not None and 1 == src.failures and expected in src.last_error
    if expected == "HTTP 429":  # Retry-After honoured
        assert started + 115 < src.next_at < time.time() + 125
    else:  # backoff: from a minute (jittered in its top half), then doubling
        assert started + 29 < src.next_at < time.time() + 61


def test_failures_in_a_row_pause_a_source_and_resume_starts_it(bot: ShipBot, site: FakeSite,
                                                              tmp_path: Path) -> None:
    site.status["/down"] = (503, {})
    for _ in range(2):
        result = _pass(bot, site.url("/down"), pause_after=2)
    assert "paused" == result.source.state
    db = bot.store.location
    listed = CliRunner().invoke(cli, ["--db", db, "sources"]).output
    assert "paused (HTTP 503)" in listed
    assert "Resumed" in CliRunner().invoke(cli, ["--db", db, "sources", "resume",
                                                 str(result.source.id)]).output
    src = bot.store.sources.get(result.source.id)
    assert src is not None and ("active", 0, 0.0) == (src.state, src.failures, src.next_at)


def test_a_lease_held_elsewhere_skips_the_source(bot: ShipBot, site: FakeSite) -> None:
    site.put("/p", page_html("Alpha Tool", "Beta Tool"))
    src, _ = bot.store.sources.add(site.url("/p"), 3600)
    assert bot.store.sources.lease(src.id, "other-replica", time.time(), 600)
    result = _pass(bot, site.url("/p"))
    assert result.skipped and not result.pages and not site.asked("/p")


def test_sitemap_index_text_page_and_json_bundle(bot: ShipBot, site: FakeSite) -> None:
    site.put("/t", page_text("Alpha Tool", "Beta Tool"), "text/plain")
    bundle = {"tools": [{"id": "json-one", "name": "Json One", "short_name": "Json One"},
                        {"id": "json-two", "name": "Json Two", "short_name": "Json Two"}],
              "comparisons": [{"tools": ["json-one", "json-two"]}]}
    site.put("/b.json", json.dumps(bundle), "application/json")
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    site.put("/sm1.xml", f'<urlset {ns}><url><loc>{site.url("/t")}</loc></url>'
                         f'<url><loc>{site.url("/b.json")}</loc></url></urlset>', "application/xml")
    site.put("/index.xml", f'<sitemapindex {ns}><sitemap><loc>{site.url("/sm1.xml")}</loc>'
                           "</sitemap></sitemapindex>", "application/xml")
    result = _pass(bot, site.url("/index.xml"))
    assert [("t", "new"), ("b.json", "new")] == _whats(result)
    assert "sitemapindex" == bot.store.sources.get(result.source.id).kind  # type: ignore[union-attr]


def test_the_cli_follows_syncs_and_lists(site: FakeSite, tmp_path: Path) -> None:
    site.put("/c/one", page_html("Alpha Tool", "Beta Tool"))
    site.put("/feed.json", json.dumps({"version": "https://jsonfeed.org/version/1.1",
                                       "items": [{"url": site.url("/c/one")}]}),
             "application/feed+json")
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    added = runner.invoke(cli, ["--db", db, "sources", "add", site.url("/feed.json"),
                                "--every", "30m"])
    assert "Following #1" in added.output and "every 30 min" in added.output
    assert 2 == runner.invoke(cli, ["--db", db, "sources", "add", "ftp://x/y"]).exit_code
    done = runner.invoke(cli, ["--db", db, "sync"])
    assert 0 == done.exit_code, done.output
    assert f"new       {site.url('/c/one')}" in done.output
    again = runner.invoke(cli, ["--db", db, "sync", "1"])
    assert "unchanged" in again.output
    listed = runner.invoke(cli, ["--db", db, "sources"]).output
    assert "kind jsonfeed" in listed and "1 page(s)" in listed and "active" in listed
    assert "Stopped following #1" in runner.invoke(cli, ["--db", db, "sources", "remove",
                                                         "1"]).output


def test_two_replicas_following_one_feed_publish_each_change_once(site: FakeSite,
                                                                  fake: object) -> None:
    """Two `shipbot run` replicas on PostgreSQL poll the same feed: the lease lets one read a
    source at a time, and each change reaches the subscribed channel once."""
    import os

    from bot.store import Store
    from shipbot.bootstrap import open_bot
    from tests.conftest import postgres_schema
    from tests.fakes.server import wait_for
    from tests.rigs import Replica

    pages = [f"/c/{n}" for n in range(4)]
    for n, path in enumerate(pages):
        site.put(path, page_html(f"Tool {n}a", f"Tool {n}b"))
    site.put("/feed.xml", rss(site, pages), "application/rss+xml")
    with postgres_schema() as url:
        bot = open_bot(url)
        bot.handle("subscribe", Context(platform="slack", workspace="T1", channel="C1",
                                        user="U1", can_manage=True))
        bot.store.sources.add(site.url("/feed.xml"), 60)
        env = {**os.environ, "SHIPBOT_DB": url, "SLACK_BOT_TOKEN": "xoxb-rep",
               "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": f"{fake.url}/api/",  # type: ignore[attr-defined]
               "SHIPBOT_DISPATCH_POLL": "0.2", "SHIPBOT_SYNC_POLL": "0.1"}
        for key in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "DISCORD_TOKEN"):
            env.pop(key, None)
        replicas = [Replica(env, "s"), Replica(env, "s")]
        try:
            store: Store = bot.store

            def delivered() -> int:
                return int(store.db.execute("SELECT COUNT(*) FROM deliveries WHERE "
                                            "status = 'sent'").rows[0][0])
            assert wait_for(lambda: delivered() == 4, 60), "".join(replicas[0].lines)
            # a change on the site: published once more, whichever replica reads it
            site.put(pages[0], page_html("Tool 0a", "Tool 0b", (40, 95)))
            site.put("/feed.xml", rss(site, pages) + " ", "application/rss+xml")
            store.db.execute("UPDATE sources SET next_at = 0")
            assert wait_for(lambda: delivered() == 5, 60), "".join(replicas[0].lines)
            subjects = [r[0] for r in store.db.execute("SELECT subject FROM publications").rows]
            assert len(subjects) == len(set(subjects)) == 5
            assert 5 == len(fake.of("chat.postMessage"))  # type: ignore[attr-defined]
        finally:
            for replica in replicas:
                replica.stop()
            bot.store.close()


def test_a_listing_without_validators_is_unchanged_by_its_hash(bot: ShipBot,
                                                               site: FakeSite) -> None:
    """A server that sends no ETag or Last-Modified: the same listing body is no news, and
    its pages are not fetched again."""
    site.put("/c/one", page_html("Alpha Tool", "Beta Tool"))
    site.put("/plain.xml", rss(site, ["/c/one"]), "application/xml")
    site.no_validators.add("/plain.xml")
    assert [("one", "new")] == _whats(_pass(bot, site.url("/plain.xml")))
    again = _pass(bot, site.url("/plain.xml"))
    assert [("plain.xml", "unchanged")] == _whats(again)
    assert 1 == len(site.asked("/c/one"))
