"""Publishing: import new verdicts and, in the same transaction, queue one delivery per match."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.assembly import CardMaker
from bot.cards import Card
from bot.decision import panel_verdict
from bot.filters import SubscriptionFilter
from bot.importer import ImportFileError, merge_bundles, read_files
from bot.models import Bundle, Tool
from bot.store import ImportResult, StoreError


@dataclass(frozen=True)
class Announcement:
    """One thing to announce: a comparison or a single tool's verdict, and who gets it."""

    subject: str
    tool_ids: tuple[str, ...]
    card: Card
    subscription_ids: tuple[int, ...]
    # (platform, workspace, user) of watchers to message: new, or a different pick or verdict.
    watchers: tuple[tuple[str, str, str], ...] = ()


@dataclass
class PublishResult:
    """What a publish did (or, with dry_run, would do)."""

    imported: ImportResult | None = None
    announcements: list[Announcement] = field(default_factory=list)

    @property
    def queued(self) -> int:
        """How many deliveries were queued (channel posts and direct messages)."""
        return sum(len(a.subscription_ids) + len(a.watchers) for a in self.announcements)


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def publish_files(maker: CardMaker, paths: Iterable[Path], dry_run: bool = False,
                  allow_removals: bool = False) -> PublishResult:
    """Import the files and queue deliveries for every new or changed verdict, atomically."""
    return publish_bundle(maker, merge_bundles(maker.store, read_files(paths)), dry_run,
                          allow_removals)


def publish_bundle(maker: CardMaker, merged: Bundle, dry_run: bool = False,
                   allow_removals: bool = False) -> PublishResult:
    """Import one bundle and queue deliveries for every new or changed verdict, atomically
    (what `shipbot publish` does with files, and a source's pass with each page)."""
    result = PublishResult()
    try:
        with maker.store.transaction():
            before = _picks(maker, merged)
            result.imported = maker.store.catalog.import_bundle(merged,
                                                              allow_removals=allow_removals)
            result.announcements = _announce(maker, merged, result.imported, before)
            for item in result.announcements:
                _queue(maker, item)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except StoreError as exc:
        raise ImportFileError(str(exc)) from exc
    return result


def _picks(maker: CardMaker, bundle: Bundle) -> dict[tuple[str, ...], str | None]:
    """The current pick of each comparison in the bundle that is stored already."""
    out: dict[tuple[str, ...], str | None] = {}
    for comparison in bundle.comparisons:
        ids = tuple(comparison.tools)
        if maker.store.catalog.comparison_source(ids) is not None:
            card = maker.compare(list(ids))
            out[ids] = card.recommendation.pick_id if card.recommendation else None
    return out


# Watchers are told only on the platforms that deliver direct messages.
DM_PLATFORMS = ("slack", "discord")


def _alert_watchers(maker: CardMaker, ids: tuple[str, ...], card: Card, imported: ImportResult,
                    before: dict[tuple[str, ...], str | None]) -> tuple[tuple[str, str, str], ...]:
    """Who watching these tools gets this card: when the comparison (or a lone tool's verdict)
    is new, or its pick or any panel verdict changed. A plain re-publish tells no one."""
    if len(ids) > 1:
        pick = card.recommendation.pick_id if card.recommendation else None
        news = ids not in before or before[ids] != pick
    else:
        news = ids[0] in imported.added
    news = news or any(t in verdict_changes(maker, imported) for t in ids)
    if not news:
        return ()
    return tuple(w for w in maker.store.watches.watchers(ids) if w[0] in DM_PLATFORMS)


def _announce(maker: CardMaker, bundle: Bundle, imported: ImportResult,
              before: dict[tuple[str, ...], str | None]) -> list[Announcement]:
    """Compare cards for touched comparisons, verdict cards for touched tools outside them."""
    touched = set(imported.added) | set(imported.changed)
    fresh = set(imported.new_comparisons)
    if not touched and not fresh:
        return []
    subjects: list[tuple[str, tuple[str, ...]]] = []
    covered: set[str] = set()
    for comparison in bundle.comparisons:
        # a comparison new as a pair is news even when both tools were stored already
        if touched & set(comparison.tools) or tuple(comparison.tools) in fresh:
            subjects.append(("compare", tuple(comparison.tools)))
            covered |= set(comparison.tools)
    subjects += [("verdict", (t.id,)) for t in bundle.tools if t.id in touched - covered]
    filters = [(sid, SubscriptionFilter.model_validate_json(raw))
               for sid, raw in maker.store.subscriptions.filters()]
    version = maker.store.catalog.catalog_version()
    out = []
    for kind, ids in dict.fromkeys(subjects):
        tools = maker.store.catalog.tools(ids)
        card = maker.compare(list(ids)) if kind == "compare" else maker.verdict(ids[0])
        card.notice = _notice(tools, imported, verdict_changes(maker, imported),
                              ids in fresh)
        card.ephemeral = False
        matched = tuple(sid for sid, f in filters
                        if any(f.matches(t) for t in tools.values()))
        out.append(Announcement(f"{kind}:{'+'.join(ids)}@{version}", ids, card, matched,
                                _alert_watchers(maker, ids, card, imported, before)))
    return out


def verdict_changes(maker: CardMaker, imported: ImportResult) -> dict[str, tuple[str, str]]:
    """Each changed tool whose panel verdict moved: (before, after). The rule lives here, above
    the store, which only says what the reviews were."""
    now = maker.store.catalog.tools(imported.reviews_before)
    out = {}
    for tool_id, reviews in imported.reviews_before.items():
        old = panel_verdict(reviews)
        new = panel_verdict(now[tool_id].reviews) if tool_id in now else old
        if old != new:
            out[tool_id] = (old, new)
    return out


def _notice(tools: dict[str, Tool], imported: ImportResult,
            changes: dict[str, tuple[str, str]], new_pair: bool) -> str:
    moved = [f"{tools[t].short_name}: {old} -> {new}"
             for t, (old, new) in changes.items() if t in tools]
    if moved:
        return "Verdict changed: " + "; ".join(moved)
    if new_pair or any(t in imported.added for t in tools):
        return "New verdict"
    return "Updated verdict"


def _queue(maker: CardMaker, item: Announcement) -> None:
    """Store the card once and one pending delivery per matching subscription; the watchers'
    direct messages go out as their own publication (same card, no channel's decisions)."""
    card_json = item.card.model_dump_json()
    maker.store.outbox.queue(item.subject, item.tool_ids, card_json, item.subscription_ids)
    if item.watchers:
        maker.store.outbox.queue_to(f"watch:{item.subject}", item.tool_ids, card_json,
                                  [(p, w, u, "dm") for p, w, u in item.watchers])


def describe(result: PublishResult, maker: CardMaker, dry_run: bool = False) -> list[str]:
    """Lines for the CLI: one sentence per comparison announced (and the channels it goes
    to), then the total; a dry run says `would` throughout."""
    if not result.announcements:
        return ["Nothing new or changed: " + ("nothing would be queued." if dry_run
                                             else "no deliveries queued.")]
    verb = "would go" if dry_run else "goes"
    lines = []
    for item in result.announcements:
        what = item.card.notice.rstrip(".") or "New verdict"
        lines.append(f"{item.card.title}: {what[:1].lower()}{what[1:]}; it {verb} to "
                     f"{_count(len(item.subscription_ids), 'subscribed channel')} and "
                     f"{_count(len(item.watchers), 'watcher')}.")
        for sid in item.subscription_ids[:50]:
            sub = maker.store.subscriptions.get(sid)
            if sub:
                lines.append(f"  #{sid} {sub.platform} {sub.workspace}/{sub.channel} "
                             f"({sub.filter_text})")
        if len(item.subscription_ids) > 50:
            lines.append(f"  … and {len(item.subscription_ids) - 50} more")
    total = _count(result.queued, "delivery", "deliveries")
    lines.append(f"Would queue {total}." if dry_run else f"Queued {total}.")
    return lines


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
