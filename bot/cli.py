"""The `shipbot` command line: thin wrappers that call the core and print cards."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from bot.bootstrap import open_bot, open_store
from bot.cards import Card
from bot.commands import ShipBot
from bot.config import Settings
from bot.importer import ImportFileError, import_files
from bot.models import Bundle
from bot.render_text import render_text
from bot.store import Store, StoreError

EXIT_NOT_FOUND = 1
EXIT_USAGE = 2


class Env:
    """What every subcommand gets: settings and the chosen database path."""

    def __init__(self, settings: Settings, db_path: Path) -> None:
        self.settings = settings
        self.db_path = db_path

    def bot(self) -> ShipBot:
        """The core over the chosen database (created and loaded on first use)."""
        try:
            return open_bot(self.db_path)
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
@click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path),
              help="Database file (default: $SHIPBOT_DB, else ~/.local/share/shipbot/shipbot.db).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail to stderr.")
@click.version_option(package_name="shipbot")
@click.pass_context
def cli(ctx: click.Context, db: Path | None, verbose: bool) -> None:
    """shipbot: which AI developer tool should you ship? Verdict cards from an expert panel."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    ctx.obj = Env(settings, db or settings.shipbot_db)


def _answer(card: Card) -> None:
    """Print a card and exit 0 for an answer, 1 for not found, 2 for a usage problem."""
    click.echo(render_text(card))
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
@pass_env
def import_(env: Env, files: tuple[Path, ...]) -> None:
    """Import page text (.txt) or JSON files: all of them, or none on any error."""
    store = env.store()
    try:
        if len(files) > 1:
            with click.progressbar(length=len(files), label="Reading", file=sys.stderr) as bar:
                result = import_files(store, files, progress=lambda _: bar.update(1))
        else:
            result = import_files(store, files)
    except ImportFileError as exc:
        raise click.ClickException(f"{exc}\nNothing was imported.") from exc
    click.echo(f"Imported {len(files)} file(s): {len(result.added)} new tool(s), "
               f"{len(result.changed)} changed, {len(result.comparisons)} comparison(s).")


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


def main() -> None:
    """Entry point of the `shipbot` console script."""
    cli(prog_name="shipbot")
