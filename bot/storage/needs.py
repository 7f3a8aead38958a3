"""The full-text index of what each tool is for: its name and category, what it is for (tagline,
best for) and the detail (summary, pricing, the reviewers' remarks), ranked by the database's
own search: SQLite FTS5 (bm25, kept in sync with `tool_search` by sqlite-utils' triggers) or
PostgreSQL's (a generated, weighted tsvector with a GIN index, websearch_to_tsquery, ts_rank).
Panel means order ties."""

from __future__ import annotations

import itertools
import re
import sqlite3

from bot.storage.engine import Engine

# Column weights: a need word in a tool's name, category or purpose says more than one in a
# long remark (SQLite's bm25 weights; PostgreSQL's setweight classes A and C).
SQLITE_WEIGHTS = (2.0, 3.0, 1.0)
POSTGRES_DOC = ("setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
                "setweight(to_tsvector('english', coalesce(purpose, '')), 'A') || "
                "setweight(to_tsvector('english', coalesce(detail, '')), 'C')")
_WORD = re.compile(r"[a-z0-9]+")
CANDIDATES = 200  # best matches by relevance whose ties the panel mean orders


def create_index(engine: Engine) -> None:
    """The `tool_search` table (in a migration); PostgreSQL's tsvector and GIN index with it.
    SQLite's FTS5 table is made by `ensure_fts`, outside the migration's transaction."""
    engine.execute("CREATE TABLE tool_search (tool_id TEXT PRIMARY KEY, category TEXT NOT NULL "
                   "DEFAULT '', mean DOUBLE PRECISION NOT NULL DEFAULT 0, title TEXT NOT NULL "
                   "DEFAULT '', purpose TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT "
                   "'')")
    if engine.dialect == "postgres":
        engine.execute(f"ALTER TABLE tool_search ADD COLUMN doc tsvector GENERATED ALWAYS AS "
                       f"({POSTGRES_DOC}) STORED")
        engine.execute("CREATE INDEX idx_tool_search_doc ON tool_search USING GIN (doc)")


def ensure_fts(engine: Engine) -> None:
    """SQLite: the FTS5 index over `tool_search` with its triggers (sqlite-utils' enable_fts,
    which runs its own script and so cannot run inside a migration's transaction). Idempotent:
    every open checks, the first one makes it."""
    if engine.dialect != "sqlite":
        return
    db = engine.db  # type: ignore[attr-defined]
    if db["tool_search_fts"].exists():
        return
    try:
        db["tool_search"].enable_fts(["title", "purpose", "detail"], create_triggers=True,
                                     tokenize="porter")
    except sqlite3.OperationalError:  # another process made it at the same moment
        if not db["tool_search_fts"].exists():
            raise


class NeedIndex:
    """Writes a tool's searchable text on import; ranks tools for the words of a need."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine

    def index(self, tool_ids: list[str]) -> None:
        """Rewrite the searchable text of these tools from what is stored (in the import's
        transaction; the triggers or the generated column keep the index in step)."""
        for tool_id in tool_ids:
            row = self.db.execute(
                "SELECT name, short_name, vendor, category, tagline, best_for, summary, "
                "pricing_model, pricing_text FROM tools WHERE id = ?", [tool_id]).fetchone()
            if row is None:
                self.db.execute("DELETE FROM tool_search WHERE tool_id = ?", [tool_id])
                continue
            name, short, vendor, category, tagline, best_for, summary, model, price = \
                (v or "" for v in row)
            reviews = self.db.execute("SELECT score, text FROM reviews WHERE tool_id = ? "
                                      "ORDER BY position", [tool_id]).rows
            mean = sum(r[0] for r in reviews) / len(reviews) if reviews else 0.0
            self.db.execute(
                "INSERT INTO tool_search (tool_id, category, mean, title, purpose, detail) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tool_id) DO UPDATE SET "
                "category = excluded.category, mean = excluded.mean, title = excluded.title, "
                "purpose = excluded.purpose, detail = excluded.detail",
                [tool_id, category, mean, " ".join((name, short, vendor, category)),
                 " ".join((tagline, best_for)),
                 " ".join((summary, model, price, *(r[1] or "" for r in reviews)))])

    def index_all(self) -> None:
        """Index every tool (the migration that adds the index)."""
        self.index([r[0] for r in self.db.execute("SELECT id FROM tools")])

    def search(self, words: list[str], category: str | None = None,
               limit: int = 5) -> list[str]:
        """Tool ids whose text matches the need's `words`, best first, optionally only in
        `category`: the tools that match every word, then those that match any, each tier in
        the database's relevance order and then by panel mean."""
        terms = list(dict.fromkeys(_WORD.findall(" ".join(words).lower())))[:12]
        if not terms:
            return []
        # Every word first, then any two, then any one: better answers first, and each tier
        # ranks far fewer rows than "any word" (bm25 or ts_rank is computed for every match).
        found: list[str] = []
        for together in sorted({len(terms), min(2, len(terms)), 1}, reverse=True):
            if len(found) >= limit:
                break
            found += [t for t in self._ranked(terms, together, category, limit + len(found))
                      if t not in found][:limit - len(found)]
        return found

    def _ranked(self, terms: list[str], together: int, category: str | None,
                limit: int) -> list[str]:
        """The best `limit` tools having at least `together` of the terms."""
        groups = list(itertools.combinations(terms, together))
        where = " AND lower(s.category) = lower(?)" if category else ""
        if self.db.dialect == "postgres":
            sql = ("SELECT s.tool_id FROM tool_search s, websearch_to_tsquery('english', ?) q "
                   f"WHERE s.doc @@ q{where} ORDER BY ts_rank(s.doc, q) DESC, s.mean DESC, "
                   "s.tool_id LIMIT ?")
            query = " or ".join(" ".join(group) for group in groups)
        else:
            weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
            # Rank inside FTS5 first, joining only the best CANDIDATES to order their ties
            # by panel mean (joining every match cost 40 ms at 100k tools).
            sql = ("SELECT s.tool_id FROM (SELECT rowid, bm25(tool_search_fts, "
                   f"{weights}) AS score FROM tool_search_fts WHERE tool_search_fts MATCH ? "
                   f"ORDER BY score LIMIT {CANDIDATES}) f JOIN tool_search s ON s.rowid = "
                   f"f.rowid{where.replace(' AND', ' WHERE', 1)} ORDER BY f.score, s.mean DESC, "
                   "s.tool_id LIMIT ?")
            if category:  # a category filters before the candidates are cut
                sql = ("SELECT s.tool_id FROM tool_search_fts f JOIN tool_search s ON s.rowid "
                       f"= f.rowid WHERE tool_search_fts MATCH ?{where} ORDER BY "
                       f"bm25(tool_search_fts, {weights}), s.mean DESC, s.tool_id LIMIT ?")
            query = " OR ".join("(" + " AND ".join(f'"{t}"' for t in group) + ")"
                                for group in groups)
        params: list[object] = [query, *([category] if category else []), limit]
        return [r[0] for r in self.db.execute(sql, params)]
