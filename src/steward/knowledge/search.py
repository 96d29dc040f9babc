"""Full-text search and suggestions over knowledge articles, on both databases.

The index holds each article's folded words (title weighted above body) and, beside them, its
state and audience, so the database filters what a person may read *before* it ranks and
limits: a requester's search never ranks, counts or returns an agents-only or unpublished
article. The ids found are then fetched through the policy once more.

* PostgreSQL: table ``knowledge_search`` (``document`` tsvector with a GIN index), ranked by
  ``ts_rank`` (how often the query words occur, title words weighted above body words,
  normalised to 0..1). ``ts_rank_cd`` ranked the same candidates three times slower.
* SQLite: FTS5 table ``knowledge_search_fts``, ranked by ``bm25`` with title weighted 10:1.

Both rankings are the databases' own, well-studied relevance measures, computed next to the
index in the query that finds the candidates: no second pass, no extra dependency, nothing
fetched over the network. Search words are parsed as ticket search parses them (words ANDed,
quoted phrases, the last word a prefix). A suggestion asks instead for *any* of the typed
words (OR), since a description typed into a form is a sentence, not a query; the articles
sharing the most, and the rarest, words with it come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from steward.core import policy
from steward.knowledge.choices import ArticleAudience, ArticleState
from steward.knowledge.models import Article
from steward.tickets.search import Term, parse, words

#: How many matches a search ranks and returns at most.
MAX_RESULTS = 1000
#: Words shorter than this are not worth suggesting on ("is", "my", "to").
MIN_SUGGEST_WORD = 3
MAX_SUGGEST_WORDS = 12
#: Common words that say nothing about a problem (the index keeps them; suggestions skip them).
STOP_WORDS = frozenset(
    {
        "the",
        "and",
        "for",
        "are",
        "but",
        "not",
        "you",
        "all",
        "any",
        "can",
        "had",
        "her",
        "was",
        "one",
        "our",
        "out",
        "has",
        "him",
        "his",
        "how",
        "its",
        "may",
        "new",
        "now",
        "see",
        "who",
        "did",
        "yes",
        "get",
        "got",
        "use",
        "this",
        "that",
        "with",
        "have",
        "from",
        "they",
        "will",
        "been",
        "were",
        "when",
        "what",
        "your",
        "which",
        "their",
        "there",
        "would",
        "could",
        "should",
        "into",
        "than",
        "then",
        "them",
        "these",
        "some",
        "very",
        "just",
        "also",
        "only",
        "does",
        "doesn",
        "dont",
        "cannot",
        "please",
        "help",
        "thanks",
        "hello",
        "after",
        "before",
        "since",
    }
)
_FTS_WEIGHTS = "10.0, 1.0"


@dataclass(frozen=True)
class Reach:
    """Which index rows a person may reach: ``None`` means no restriction on that column."""

    states: tuple[str, ...] | None
    audiences: tuple[str, ...] | None


def reach_of(user: Any, *, published_only: bool = False) -> Reach | None:
    """What ``user`` may find (``None``: nothing). Mirrors ``Article.policy_rule``: staff with
    the view permission read every article; everyone else published portal articles."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return None
    if policy.has_model_permission(user, Article, "view"):
        return Reach(states=(ArticleState.PUBLISHED,) if published_only else None, audiences=None)
    return Reach(states=(ArticleState.PUBLISHED,), audiences=(ArticleAudience.PORTAL,))


# --- queries ----------------------------------------------------------------------------------


def _pg_query(terms: list[Term], *, any_word: bool) -> str:
    parts = []
    for term in terms:
        lexemes = [f"'{word}'" for word in term.words]
        if term.prefix:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return (" | " if any_word else " & ").join(parts)


def _fts_query(terms: list[Term], *, any_word: bool) -> str:
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.words) + '"'
        parts.append(phrase + ("*" if term.prefix else ""))
    return "{title body} : (" + (" OR " if any_word else " ").join(parts) + ")"


def _reach_sql(reach: Reach, prefix: str) -> tuple[str, list[Any]]:
    sql, params = "", []
    for column, values in (("state", reach.states), ("audience", reach.audiences)):
        if values is not None:
            sql += f" AND {prefix}{column} IN ({', '.join(['%s'] * len(values))})"
            params += list(values)
    return sql, params


def ranked_ids(
    terms: list[Term],
    reach: Reach,
    *,
    any_word: bool = False,
    limit: int = MAX_RESULTS,
    candidates: Candidates | None = None,
) -> list[tuple[int, float]]:
    """``(article id, rank)`` of the best ``limit`` matches within ``reach``, best first.

    ``candidates`` narrows the rows ranked (the match condition); by default the terms
    themselves (all of them, or any with ``any_word``).
    """
    if not terms:
        return []
    if connection.vendor == "postgresql":
        where, params = _reach_sql(reach, "s.")
        rank_query = _pg_query(terms, any_word=any_word)
        sql = (
            "SELECT s.article_id, ts_rank(s.document, q, 32)::float8 AS r "
            "FROM knowledge_search s, to_tsquery('simple', %s) q "
            f"WHERE s.document @@ to_tsquery('simple', %s){where} "
            "ORDER BY r DESC, s.article_id DESC LIMIT %s"
        )
        match = candidates.pg if candidates else rank_query
        args = [rank_query, match, *params, limit]
    else:
        where, params = _reach_sql(reach, "")
        # bm25 ranks against the MATCH expression: the candidates' condition ANDed with
        # the ranking terms' (any of which they contain) ranks by all the typed words.
        match_expr = _fts_query(terms, any_word=any_word)
        if candidates is not None:
            match_expr = f"({{title body}} : ({candidates.fts})) AND {match_expr}"
        sql = (
            f"SELECT rowid, -bm25(knowledge_search_fts, {_FTS_WEIGHTS}, 0, 0) AS r "
            "FROM knowledge_search_fts WHERE knowledge_search_fts MATCH %s"
            f"{where} ORDER BY r DESC, rowid DESC LIMIT %s"
        )
        args = [match_expr, *params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [(int(pk), float(rank)) for pk, rank in cursor.fetchall()]


def search_ids(user: Any, query: str, *, limit: int = MAX_RESULTS) -> list[tuple[int, float]]:
    """Articles ``user`` may read matching ``query`` (all its words), best first."""
    reach = reach_of(user)
    if reach is None:
        return []
    return ranked_ids(parse(query), reach, limit=limit)


def suggestion_terms(text: str) -> list[Term]:
    """The telling words of a typed sentence, the last one a prefix (it may be half typed)."""
    seen: list[str] = []
    for word in words(text):
        if len(word) >= MIN_SUGGEST_WORD and word not in STOP_WORDS and word not in seen:
            seen.append(word)
    seen = seen[-MAX_SUGGEST_WORDS:]
    terms = [Term((word,)) for word in seen]
    if terms and text and text[-1].isalnum():
        terms[-1] = Term(terms[-1].words, prefix=True)
    return terms


def suggest(user: Any, text: str, *, limit: int = 5) -> list[Article]:
    """Published articles ``user`` may read that share the most telling words with ``text``."""
    reach = reach_of(user, published_only=True)
    if reach is None:
        return []
    return fetch_ranked(user, suggested_ids(suggestion_terms(text), reach, limit=limit))


def suggested_ids(terms: list[Term], reach: Reach, *, limit: int = 5) -> list[tuple[int, float]]:
    """The best articles for a typed sentence's ``terms``, within ``reach``.

    A word in most articles ("restart", "error") tells nothing and would make every article a
    candidate to rank. So the words' shares are probed first (``word_shares``); the telling
    ones (in at most ``TELLING_SHARE`` of articles) choose the candidates, which must share at
    least two of them when there are three or more; every typed word then counts in the rank.
    A sentence of common words only asks for its two rarest words together. In a small
    knowledge base (under ``SMALL_INDEX`` articles) shares say little and ranking every
    match is cheap: any word chooses.
    """
    if not terms:
        return []
    total, shares = word_shares(terms)
    if total < SMALL_INDEX:
        return ranked_ids(terms, reach, any_word=True, limit=limit)
    telling = [t for t in terms if shares[t] <= TELLING_SHARE]
    if len(telling) >= 3:
        candidates = _pairs(telling[:MAX_TELLING])
    elif telling:
        candidates = _any(telling)
    else:
        rarest = sorted(terms, key=lambda t: shares[t])[:2]
        candidates = _all(rarest)
    return ranked_ids(terms, reach, any_word=True, limit=limit, candidates=candidates)


#: A word in more than this share of the articles does not choose suggestion candidates.
TELLING_SHARE = 0.2
#: Most telling words paired up for candidates (8 words: 28 pairs).
MAX_TELLING = 8
#: PostgreSQL: how many of the newest index entries the shares are measured on.
PROBE_ROWS = 1000
#: Below this many articles every word chooses candidates (see ``suggested_ids``).
SMALL_INDEX = 500


@dataclass(frozen=True)
class Candidates:
    """Which index rows may be ranked: a full-text condition in each database's syntax."""

    pg: str
    fts: str


def _pg_term(term: Term) -> str:
    return _pg_query([term], any_word=False)


def _fts_term(term: Term) -> str:
    return '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")


def _any(terms: list[Term]) -> Candidates:
    return Candidates(
        " | ".join(_pg_term(t) for t in terms), " OR ".join(_fts_term(t) for t in terms)
    )


def _all(terms: list[Term]) -> Candidates:
    return Candidates(
        " & ".join(_pg_term(t) for t in terms), " AND ".join(_fts_term(t) for t in terms)
    )


def _pairs(terms: list[Term]) -> Candidates:
    pairs = [(a, b) for i, a in enumerate(terms) for b in terms[i + 1 :]]
    return Candidates(
        " | ".join(f"({_pg_term(a)} & {_pg_term(b)})" for a, b in pairs),
        " OR ".join(f"({_fts_term(a)} AND {_fts_term(b)})" for a, b in pairs),
    )


def _fts_rows_with(cursor: Any, term: Term) -> int:
    """SQLite: how many articles hold ``term``, from FTS5's vocabulary (its rarest word for
    a phrase; a prefix counts every word it starts, an upper bound)."""
    counts = []
    for index, word in enumerate(term.words):
        if term.prefix and index == len(term.words) - 1:
            cursor.execute(
                "SELECT coalesce(sum(doc), 0) FROM knowledge_search_vocab "
                "WHERE term >= %s AND term < %s",
                [word, word + "\U0010ffff"],
            )
        else:
            cursor.execute("SELECT doc FROM knowledge_search_vocab WHERE term = %s", [word])
        row = cursor.fetchone()
        counts.append(int(row[0]) if row else 0)
    return min(counts)


def word_shares(terms: list[Term]) -> tuple[int, dict[Term, float]]:
    """How many entries were looked at, and the share of them each term occurs in
    (PostgreSQL: the newest ``PROBE_ROWS`` index entries, one query; SQLite: every entry,
    from FTS5's vocabulary table ``knowledge_search_vocab``)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            counts = ", ".join(
                "count(*) FILTER (WHERE doc @@ to_tsquery('simple', %s))" for _ in terms
            )
            cursor.execute(
                f"SELECT count(*), {counts} FROM (SELECT document AS doc FROM knowledge_search "
                "ORDER BY article_id DESC LIMIT %s) AS newest",
                [*(_pg_term(t) for t in terms), PROBE_ROWS],
            )
            row = cursor.fetchone()
            total, found = (row[0], row[1:]) if row else (0, [0] * len(terms))
        else:
            # FTS5 keeps one row per entry in its docsize table: counting it reads no text.
            cursor.execute("SELECT count(*) FROM knowledge_search_fts_docsize")
            total = cursor.fetchone()[0]
            found = [_fts_rows_with(cursor, term) for term in terms]
    shares = {
        term: (min(n, total) / total if total else 0.0)
        for term, n in zip(terms, found, strict=True)
    }
    return total, shares


def fetch_ranked(user: Any, found: list[tuple[int, float]]) -> list[Article]:
    """The articles of ``found`` in its order, through the policy, with ``search_rank`` set."""
    rank = dict(found)
    rows = (
        policy.scope(Article.objects.all(), user, "view")
        .filter(pk__in=list(rank))
        .select_related("category")
        .defer("body")
    )
    articles = sorted(rows, key=lambda a: (-rank[a.pk], -a.pk))
    for article in articles:
        article.search_rank = rank[article.pk]
    return articles


# --- the index --------------------------------------------------------------------------------


def _text(value: str) -> str:
    return " ".join(words(value))


def _write(rows: list[tuple[int, str, str, str, str]], stale: list[int]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for pk in stale:
                cursor.execute("DELETE FROM knowledge_search WHERE article_id = %s", [pk])
            cursor.executemany(
                "INSERT INTO knowledge_search (article_id, document, state, audience) "
                "VALUES (%s, setweight(to_tsvector('simple', %s), 'A') || "
                "setweight(to_tsvector('simple', %s), 'B'), %s, %s) "
                "ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document, "
                "state = EXCLUDED.state, audience = EXCLUDED.audience",
                rows,
            )
            return
        ids = [*stale, *(row[0] for row in rows)]
        cursor.executemany(
            "DELETE FROM knowledge_search_fts WHERE rowid = %s", [(pk,) for pk in ids]
        )
        cursor.executemany(
            "INSERT INTO knowledge_search_fts (rowid, title, body, state, audience) "
            "VALUES (%s, %s, %s, %s, %s)",
            rows,
        )


def _rows(ids: list[int], articles: Any = Article) -> list[tuple[int, str, str, str, str]]:
    found = articles._default_manager.filter(pk__in=ids).values_list(
        "pk", "title", "body", "state", "audience"
    )
    return [
        (pk, _text(title), _text(body), state, audience)
        for pk, title, body, state, audience in found
    ]


def reindex(article_id: int) -> None:
    """Bring one article's index entry up to date (remove it if the article is gone)."""
    rows = _rows([article_id])
    _write(rows, [] if rows else [article_id])


def reindex_all(*, batch_size: int = 500, articles: Any = Article) -> int:
    """Rebuild every article's entry; ``articles`` lets a migration pass its historical model."""
    done, last = 0, 0
    manager = articles._default_manager
    while True:
        ids = list(
            manager.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return done
        _write(_rows(ids, articles), [])
        done += len(ids)
        last = ids[-1]
