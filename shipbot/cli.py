"""The `shipbot` command line: thin wrappers that call the core and print cards (one short
function per command; long only because there are many commands)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from adapters.console import text_width
from adapters.settings import Settings
from bot.cards import Card
from bot.commands import ShipBot
from bot.importer import ImportFileError, import_files
from bot.models import Bundle
from bot.render_text import render_text
from bot.store import Store, StoreError, store_failure
from shipbot.bootstrap import open_bot, open_store

EXIT_NOT_FOUND = 1
EXIT_USAGE = 2


class Env:
    """What every subcommand gets: settings and the chosen database path."""

    def __init__(self, settings: Settings, db_path: str) -> None:
        self.settings = settings
        self.db_path = db_path

    def bot(self) -> ShipBot:
        """The core over the chosen database (created and loaded on first use)."""
        try:
            return open_bot(self.db_path, self.settings)
        except (StoreError, ImportFileError) as exc:
            raise click.ClickException(str(exc)) from exc

    def store(self) -> Store:
        """The store alone."""
        try:
            return open_store(self.db_path)
        except (StoreError, ImportFileError) as exc:
            raise click.ClickException(str(exc)) from exc


pass_env = click.make_pass_decorator(Env)


@click.group()
@click.option("--db", "db", metavar="FILE|URL",
              help="SQLite database file, or a postgresql:// URL shared by replicas (default: "
                   "$SHIPBOT_DB, else ~/.local/share/shipbot/shipbot.db).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail to stderr.")
@click.version_option(package_name="shipbot")
@click.pass_context
def cli(ctx: click.Context, db: str | None, verbose: bool) -> None:
    """shipbot: which AI developer tool should you ship? Verdict cards from an expert panel."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
    except ValidationError as exc:  # a mistyped variable: say which and why, no traceback
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']).upper() or 'settings'}: "
                             f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
        raise click.UsageError(f"bad setting in the environment: {problems}") from None
    ctx.obj = Env(settings, db or settings.shipbot_db)


def _answer(card: Card) -> None:
    """Print a card and exit 0 for an answer, 1 for not found, 2 for a usage problem."""
    click.echo(render_text(card, text_width(sys.stdout)))
    if card.kind == "did_you_mean" or (card.kind == "search" and not card.choices):
        sys.exit(EXIT_NOT_FOUND)
    if card.kind == "error":
        sys.exit(EXIT_USAGE)


def _one_shot(env: Env, command: str, words: tuple[str, ...]) -> None:
    from adapters.console import console_context

    _answer(env.bot().handle(f"{command} {' '.join(words)}", console_context()))


@cli.command()
@click.argument("tools", nargs=-1, required=True)
@pass_env
def compare(env: Env, tools: tuple[str, ...]) -> None:
    """Compare two to four tools: shipbot compare claude azure."""
    _one_shot(env, "compare", tools)


@cli.command()
@click.argument("tool", nargs=-1, required=True)
@pass_env
def verdict(env: Env, tool: tuple[str, ...]) -> None:
    """One tool's verdict card: shipbot verdict claude."""
    _one_shot(env, "verdict", tool)


@cli.command()
@click.argument("query", nargs=-1, required=True)
@pass_env
def search(env: Env, query: tuple[str, ...]) -> None:
    """Tools whose names match: shipbot search voice."""
    _one_shot(env, "search", query)


@cli.command()
@click.argument("category", nargs=-1)
@pass_env
def top(env: Env, category: tuple[str, ...]) -> None:
    """The leaderboard by panel score, optionally in one category."""
    _one_shot(env, "top", category)


@cli.command(name="import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--allow-removals", is_flag=True,
              help="Let the import remove stored reviews that the files leave out.")
@pass_env
def import_(env: Env, files: tuple[Path, ...], allow_removals: bool) -> None:
    """Import page text (.txt) or JSON files: all of them, or none on any error."""
    store = env.store()
    try:
        if len(files) > 1 and sys.stderr.isatty():  # a log or a pipe gets no progress bar
            with click.progressbar(length=len(files), label="Reading", file=sys.stderr) as bar:
                result = import_files(store, files, progress=lambda _: bar.update(1),
                                      allow_removals=allow_removals)
        else:
            result = import_files(store, files, allow_removals=allow_removals)
    except ImportFileError as exc:
        raise click.ClickException(f"{exc}\nNothing was imported.") from exc
    click.echo(f"Imported {len(files)} file(s): {len(result.added)} new tool(s), "
               f"{len(result.changed)} changed, {len(result.comparisons)} comparison(s).")
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the import format."""
    click.echo(json.dumps(Bundle.model_json_schema(), indent=2))


@cli.command()
@pass_env
def stats(env: Env) -> None:
    """Counts of tools, reviews, comparisons, votes and subscriptions."""
    for name, count in env.store().stats().items():
        click.echo(f"{name:<14}{count}")


@cli.command()
@pass_env
def console(env: Env) -> None:
    """Chat with the bot in this terminal (no tokens needed); reads piped input too."""
    from adapters.console import run_console

    sys.exit(run_console(env.bot()))


@cli.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show which channels would be notified; change nothing.")
@click.option("--allow-removals", is_flag=True,
              help="Let the import remove stored reviews that the files leave out.")
@pass_env
def publish(env: Env, files: tuple[Path, ...], dry_run: bool, allow_removals: bool) -> None:
    """Import verdicts and queue them for every matching subscription (one transaction)."""
    from bot.publishing import describe, publish_files

    bot = env.bot()
    try:
        result = publish_files(bot.cards, files, dry_run=dry_run, allow_removals=allow_removals)
    except ImportFileError as exc:
        raise click.ClickException(f"{exc}\nNothing was published.") from exc
    for line in describe(result, bot.cards, dry_run):
        click.echo(line)


@cli.command()
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), help="Only these.")
@click.option("--limit", default=100, show_default=True, help="At most this many, newest first.")
@pass_env
def deliveries(env: Env, status: str | None, limit: int) -> None:
    """List deliveries (the outbox) with their status and last error."""
    from bot.dispatch import delivery_rows

    rows = delivery_rows(env.store(), status, limit)
    if not rows:
        click.echo("No deliveries.")
    for r in rows:
        error = f" — {r['last_error']}" if r["last_error"] else ""
        where = f"DM {r['channel']}" if r["target"] == "dm" else r["channel"]
        click.echo(f"#{r['id']} {r['status']:<7} {r['platform']} {r['workspace']}/{where} "
                   f"{r['subject']} attempts={r['attempts']}{error}")


@cli.command(name="subscriptions")
@pass_env
def subscriptions_(env: Env) -> None:
    """List every subscription across platforms."""
    subs = env.store().subscriptions.list()
    if not subs:
        click.echo("No subscriptions.")
    for s in subs:
        state = "active" if s.active else f"DISABLED: {s.disabled_reason}"
        click.echo(f"#{s.id} {s.platform} {s.workspace}/{s.channel} {s.cadence} {s.filter_text} "
                   f"(by {s.created_by}, {s.created_at[:10]}) {state}")


@cli.command()
@click.option("--now", is_flag=True,
              help="Send every weekly subscription what it has pending, whatever the schedule.")
@pass_env
def digest(env: Env, now: bool) -> None:
    """Queue weekly digests now (`shipbot run` sends them at SHIPBOT_DIGEST_AT by itself)."""
    from datetime import UTC, datetime

    from bot.schedule import queue_digests

    if not now:
        raise click.UsageError(f"`shipbot run` sends weekly digests by itself, at "
                               f"SHIPBOT_DIGEST_AT ({env.settings.digest_time()}); type "
                               "`shipbot digest --now` to queue what is pending at once.")
    bot = env.bot()
    queued = queue_digests(bot.cards, datetime.now(UTC))
    click.echo(f"Queued {queued} digest{'' if queued == 1 else 's'}; the running dispatchers "
               "post them.")


@cli.command()
@click.option("--to", "target", required=True, metavar="URL|FILE",
              help="The new database, e.g. postgresql://user@host/shipbot; it must be empty.")
@pass_env
def copy(env: Env, target: str) -> None:
    """Copy the whole database (--db / SHIPBOT_DB) into a new one, and check every count."""
    from bot.copying import copy_store

    source = env.store()
    try:
        destination = Store.open(target)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        counts = copy_store(source, destination)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        destination.close()
    click.echo(f"Copied {source.path} to {destination.path}; every table matches:")
    for table, count in counts.items():
        click.echo(f"  {table:<14}{count}")
    click.echo("Point SHIPBOT_DB at the new database to use it.")


@cli.group(invoke_without_command=True)
@click.pass_context
def aliases(ctx: click.Context) -> None:
    """Aliases learned from did-you-mean picks, and who taught them (`remove` forgets one)."""
    if ctx.invoked_subcommand is not None:
        return
    learned = ctx.find_object(Env).bot().learned  # type: ignore[union-attr]
    found = learned.all()
    if not found:
        click.echo("No learned aliases yet. When "
                   f"{learned.users} people pick the same did-you-mean choice after typing the "
                   "same words, those words become an alias.")
        return
    for alias in found:
        click.echo(f"{alias.typed!r} -> {alias.tool_id}  [{alias.scope}]  taught by "
                   f"{', '.join(alias.teachers)}")


@aliases.command(name="remove")
@click.argument("words", nargs=-1, required=True)
@click.option("--tool", "tool_id", help="Only the alias for this tool id (default: every tool).")
@pass_env
def aliases_remove(env: Env, words: tuple[str, ...], tool_id: str | None) -> None:
    """Forget a learned alias; it is not learned again from the same words."""
    typed = " ".join(words)
    removed = env.bot().learned.remove(typed, tool_id, by="operator")
    if not removed:
        click.echo(f"No learned alias for {typed!r}" + (f" and {tool_id}." if tool_id else "."),
                   err=True)
        sys.exit(EXIT_NOT_FOUND)
    click.echo(f"Removed {removed} learned alias(es) for {typed!r}.")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address of Slack's HTTP endpoint and /healthz.")
@click.option("--port", default=3000, show_default=True,
              help="Port of Slack's HTTP endpoint and /healthz (every mode serves /healthz).")
@click.option("--rate", default=5.0, show_default=True, help="Delivery posts per second per platform.")
@pass_env
def run(env: Env, host: str, port: int, rate: float) -> None:
    """Run every adapter whose credentials are set, plus the delivery dispatchers."""
    from shipbot.runner import CannotStart, NothingToRun
    from shipbot.runner import run as run_adapters

    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    try:
        run_adapters(env.bot(), env.settings, host, port, rate)
    except NothingToRun as exc:
        raise click.UsageError(str(exc)) from exc
    except CannotStart as exc:
        raise click.ClickException(str(exc)) from exc


EVERY = {"m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> int:
    """`30m`, `1h`, `2d` (or seconds) as seconds; at least a minute, at most a week."""
    text = text.strip().lower()
    number, unit = (text[:-1], text[-1]) if text[-1:] in EVERY else (text, "")
    if not (number.isascii() and number.isdigit()) or len(number) > 7:
        raise click.BadParameter(f"{text!r}: give a period like 30m, 1h or 2d")
    seconds = int(number) * EVERY.get(unit, 1)
    if not 60 <= seconds <= 7 * 86400:
        raise click.BadParameter("a source is checked between once a minute and once a week")
    return seconds


@cli.group(invoke_without_command=True)
@click.pass_context
def sources(ctx: click.Context) -> None:
    """The followed verdict-site URLs: kind, last check and change, pages, last error, state."""
    if ctx.invoked_subcommand is not None:
        return
    store = ctx.find_object(Env).store()  # type: ignore[union-attr]
    found = store.sources.list()
    if not found:
        click.echo("No sources. Follow the verdict site with `shipbot sources add URL`.")
    for src in found:
        state = src.state if src.state == "active" else f"{src.state} ({src.last_error})"
        click.echo(f"#{src.id} {src.url}\n    kind {src.kind or 'not read yet'} · every "
                   f"{src.every_seconds // 60} min · last check {src.last_check[:16] or 'never'}"
                   f" · last change {src.last_change[:16] or 'never'} · "
                   f"{store.sources.pages_known(src.id)} page(s) · {state}"
                   + (f"\n    last error: {src.last_error}"
                      if src.last_error and src.state == "active" else ""))


@sources.command(name="add")
@click.argument("url")
@click.option("--every", "every", default="1h", show_default=True,
              help="How often to check it: 30m, 1h, 2d.")
@pass_env
def sources_add(env: Env, url: str, every: str) -> None:
    """Follow a feed, sitemap or comparison page (http or https); checked at once by `run`."""
    if not url.lower().startswith(("http://", "https://")) or " " in url or len(url) > 2000:
        raise click.BadParameter(f"{url[:80]!r}: give an http:// or https:// URL")
    src, new = env.store().sources.add(url, parse_every(every))
    click.echo(f"Following #{src.id} {src.url}, every {src.every_seconds // 60} min."
               if new else f"Already following #{src.id} {src.url}.")


@sources.command(name="remove")
@click.argument("source_id", type=click.IntRange(1, 2 ** 62))
@pass_env
def sources_remove(env: Env, source_id: int) -> None:
    """Stop following a source (what it imported stays in the catalog)."""
    if not env.store().sources.remove(source_id):
        raise _no_source(source_id)
    click.echo(f"Stopped following #{source_id}.")


@sources.command(name="resume")
@click.argument("source_id", type=click.IntRange(1, 2 ** 62))
@pass_env
def sources_resume(env: Env, source_id: int) -> None:
    """Start a paused source again, checked at once."""
    if not env.store().sources.resume(source_id):
        raise _no_source(source_id)
    click.echo(f"Resumed #{source_id}: checked at the next pass.")


def _no_source(source_id: int) -> click.ClickException:
    return click.ClickException(f"there is no source #{source_id}; `shipbot sources` lists them")


@cli.command()
@click.argument("source_id", type=click.IntRange(1, 2 ** 62), required=False)
@pass_env
def sync(env: Env, source_id: int | None) -> None:
    """One pass now, in the foreground: per page, new, changed, unchanged or refused (why)."""
    import asyncio
    import os
    import socket

    from adapters.web import PoliteFetcher
    from bot.sources.sync import sync_source

    bot = env.bot()
    chosen = bot.store.sources.list() if source_id is None else [
        s for s in [bot.store.sources.get(source_id)] if s is not None]
    if not chosen:
        raise click.ClickException("no such source; `shipbot sources add URL` follows one"
                                   if source_id else "no sources to sync; `shipbot sources add "
                                   "URL` follows one")
    owner = f"sync:{socket.gethostname()}:{os.getpid()}"

    async def run() -> int:
        failed = 0
        async with PoliteFetcher(max_bytes=env.settings.sync_max_bytes) as fetch:
            for src in chosen:
                result = await sync_source(bot.cards, src, fetch, owner,
                                           env.settings.sync_failures)
                click.echo(f"#{src.id} {src.url}")
                if result.skipped or result.error:
                    failed += bool(result.error)
                    click.echo(f"  {'skipped' if result.skipped else 'failed'}: "
                               f"{result.skipped or result.error}"
                               + ("; paused (shipbot sources resume "
                                  f"{src.id})" if result.source.state == "paused" else ""))
                for page in result.pages:
                    click.echo(f"  {page}")
        return failed

    if asyncio.run(run()):
        sys.exit(1)


@cli.group()
def slack() -> None:
    """Slack set-up helpers."""


@slack.command()
@click.option("--http", "public_url", metavar="URL",
              help="Public base URL for HTTP mode (default: Socket Mode, no URL needed).")
def manifest(public_url: str | None) -> None:
    """Print the Slack app manifest (JSON) to create the app from."""
    from urllib.parse import urlsplit

    from adapters.slack.manifest import manifest as build

    base = ""
    if public_url is not None:
        # The base (https://bot.example.com) or the full request URL (.../slack/events) are
        # both taken; anything else (a space, a query, another path) is refused.
        parts = urlsplit(public_url.strip())
        path = parts.path.rstrip("/")
        if path.endswith("/slack/events"):
            path = path[: -len("/slack/events")]
        if (parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment
                or any(c.isspace() for c in public_url.strip()) or "/slack/" in path + "/"):
            raise click.UsageError(
                f"--http needs the public HTTPS address Slack will call, like "
                f"https://bot.example.com or https://bot.example.com/slack/events, not "
                f"{public_url!r}.")
        base = f"https://{parts.netloc}{path}"
    click.echo(json.dumps(build(socket_mode=public_url is None, public_url=base), indent=2))


@cli.group(name="discord")
def discord_() -> None:
    """Discord set-up helpers."""


@discord_.command(name="invite-url")
@click.option("--application-id", type=int, help="Default: DISCORD_APPLICATION_ID, else from DISCORD_TOKEN.")
@pass_env
def invite_url(env: Env, application_id: int | None) -> None:
    """Print the OAuth2 URL that adds the bot with the scopes and permissions it needs."""
    from adapters.discord.invite import application_id_from_token
    from adapters.discord.invite import invite_url as build

    app_id = application_id or env.settings.discord_application_id
    if app_id is None and env.settings.discord_token:
        app_id = application_id_from_token(env.settings.discord_token.get_secret_value())
        if app_id is None:
            raise click.UsageError("DISCORD_TOKEN does not look like a bot token (its first "
                                   "part should encode the application id): copy it again "
                                   "from Developer Portal -> Bot, or give --application-id.")
    if app_id is None:
        raise click.UsageError("Give --application-id (from the Developer Portal) or set "
                               "DISCORD_APPLICATION_ID or DISCORD_TOKEN.")
    click.echo(build(app_id))


def main() -> None:
    """Entry point of the `shipbot` console script. A store that cannot work (read-only,
    locked, full, unreachable) is one line naming the cause, not a traceback."""
    try:
        cli(prog_name="shipbot")
    except Exception as exc:
        reason = store_failure(exc)
        if reason is None:
            raise
        click.echo(f"Error: {reason}; nothing was changed.", err=True)
        sys.exit(1)
