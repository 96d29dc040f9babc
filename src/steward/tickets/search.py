"""Full-text search over tickets: number, title, description and comments, on both databases.

One code path for both. ``reindex(ticket_id)`` builds a ticket's search document in Python
(case- and accent-folded, split into words) and writes it to the database's own index:

* PostgreSQL: table ``tickets_search`` with two ``tsvector`` columns and a GIN index on each.
  ``search_public`` holds number and title (weight A), description (B) and public replies (C);
  ``search_all`` adds work notes (D). The ``simple`` configuration: no stemming and no stop
  words, so any language is searched alike; folding in Python replaces ``unaccent`` (an
  extension we cannot count on) and gives both databases the same words.
* SQLite: FTS5 table ``tickets_search_fts`` (rowid = ticket id), columns number, title,
  description, comments, notes; ranked by ``bm25`` with the same order of weights.

The services call ``reindex`` in the same transaction as every write that changes searchable
text; there are no triggers, so what is indexed is decided here, once.

``search_tickets`` builds the full-text query itself from folded words (phrases, and a prefix
for the last word): user text never reaches ``to_tsquery`` or ``MATCH`` as syntax. Work notes
are searched only for people who may see them; everyone else searches the public columns.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Model,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from steward.core import policy
from steward.tickets.models import Comment, Ticket

#: A word: letters and digits (``INC-0001`` is the phrase ``inc 0001``).
WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 16
MAX_WORD_LENGTH = 64
#: Most characters of comment text indexed per ticket (tsvectors are limited to 1 MB).
MAX_COMMENT_CHARS = 200_000
#: Added to the rank of the ticket whose number is the query, so it comes first.
NUMBER_BOOST = 1_000_000.0
#: How many matches are ranked: the newest ones. A word in a third of a million tickets
#: would otherwise be ranked a third of a million times for one page of answers.
MAX_RANKED = 1000
#: PostgreSQL: how many of the newest entries to look at before choosing how to find the
#: newest matches, and what share of them must match for "walk back from the newest". Either
#: way finds the same tickets; 2,000 entries (20 matches at 1%) tell the two apart well enough
#: and read in about 1 ms at 1M tickets, where 10,000 took 7-8 ms of every search.
PROBE_ROWS = 2_000
PROBE_SHARE = 0.01
BATCH_SIZE = 500

_PG_VECTOR = (
    "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')"
    " || setweight(to_tsvector('simple', %s), 'C')"
)
_PG_UPSERT = (
    "INSERT INTO tickets_search (ticket_id, search_public, search_all) "
    "SELECT id, v, v || setweight(to_tsvector('simple', notes), 'D') "
    f"FROM (SELECT %s::bigint AS id, {_PG_VECTOR} AS v, %s::text AS notes) AS doc "
    "ON CONFLICT (ticket_id) DO UPDATE "
    "SET search_public = EXCLUDED.search_public, search_all = EXCLUDED.search_all"
)
_FTS_COLUMNS_PUBLIC = "{number title description comments}"
_FTS_WEIGHTS = "10.0, 10.0, 4.0, 2.0, 1.0"


# --- words and queries ------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower-case without accents: "Müller" and "muller" are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    return [word[:MAX_WORD_LENGTH] for word in WORD.findall(fold(text))]


@dataclass(frozen=True)
class Term:
    """Words that must stand together (one word, or a phrase); ``prefix``: the last may go on."""

    words: tuple[str, ...]
    prefix: bool = False


def parse(query: str) -> list[Term]:
    """Words ANDed, ``"quoted phrases"``, and the last unquoted word as a prefix (type-ahead).

    An unbalanced quote is ignored; anything that is not a letter or digit separates words.
    """
    terms: list[Term] = []
    parts = query.split('"')
    last_quoted = False
    for index, part in enumerate(parts):
        quoted = index % 2 == 1 and index < len(parts) - 1
        chunks = [part] if quoted else part.split()
        for chunk in chunks:
            found = tuple(words(chunk))
            if found and Term(found) not in terms:
                terms.append(Term(found))
                last_quoted = quoted
    terms = terms[:MAX_TERMS]
    if terms and not last_quoted:
        terms[-1] = Term(terms[-1].words, prefix=True)
    return terms


def _pg_tsquery(terms: Iterable[Term]) -> str:
    # Every word is letters and digits only, so quoting it cannot break out of the literal.
    parts = []
    for term in terms:
        lexemes = [f"'{word}'" for word in term.words]
        if term.prefix:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def _fts5_match(terms: Iterable[Term], *, notes: bool) -> str:
    # FTS5 strings in double quotes are literal; our words hold no quote to escape.
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.words) + '"'
        parts.append(phrase + ("*" if term.prefix else ""))
    expression = " ".join(parts)
    return expression if notes else f"{_FTS_COLUMNS_PUBLIC} : ({expression})"


class _Rank(Func):
    """The full-text rank of the outer query's ticket (a correlated subquery)."""

    output_field = FloatField()

    def __init__(self, sql: str, query: str) -> None:
        super().__init__(F("pk"))
        self.sql = sql
        self.query = query

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        return self.sql.format(pk=pk_sql), (self.query, *pk_params)


def _common_lately(column: str, text: str) -> bool:
    """Do at least ``PROBE_SHARE`` of the newest ``PROBE_ROWS`` entries match? Then the newest
    matches are found soonest by walking back from the newest ticket. PostgreSQL cannot
    estimate prefix queries (type-ahead), so this asks the data instead (a few ms)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT {column} AS doc FROM tickets_search "
            "ORDER BY ticket_id DESC LIMIT %s) AS newest WHERE doc @@ to_tsquery('simple', %s)",
            [PROBE_ROWS, text],
        )
        row = cursor.fetchone()
    return bool(row and row[0] >= PROBE_ROWS * PROBE_SHARE)


def may_search_notes(user: Any) -> bool:
    """Work notes count for those who may read them: staff with the comment permission."""
    return policy.has_model_permission(user, Comment, "view")


def search_tickets(user: Any, query: str, base: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """The tickets ``user`` may open that match ``query``, best first (``search_rank``).

    Of the tickets in ``base`` that ``user`` may open and that match, the newest
    ``MAX_RANKED`` are ranked, then ordered by rank, then newest; the ticket whose number is
    the query comes first. A query that matches more answers its newest matches: narrowing
    it (another word, a filter, a date range) reaches older ones. So apply every other filter
    to ``base`` first.
    """
    queryset = base if base is not None else Ticket.objects.all()
    visible: QuerySet[Ticket] = policy.scope(queryset, user, "view")
    terms = parse(query)
    if not terms:  # nothing searchable ("*", "-"): no match, but the same shape
        return visible.none().annotate(search_rank=Value(0.0, output_field=FloatField()))
    notes = may_search_notes(user)
    newest_first: Any = "-id"
    if connection.vendor == "postgresql":
        column = "search_all" if notes else "search_public"
        text = _pg_tsquery(terms)
        if _common_lately(column, text):
            # Common: walk back from the newest ticket; the first thousand matches come soon.
            # ``ts_match_vq`` is ``@@`` as a plain function, which no index serves, so the
            # planner cannot prefer collecting every match through the GIN index instead.
            test = f"ts_match_vq({column}, to_tsquery('simple', %s))"
        else:
            # Rare: let the GIN index find every match, then keep the newest. (``id + 0`` is
            # not the primary key's order, so the planner cannot walk the table backwards
            # hoping to meet a match soon: for a rare word it would read the whole table.)
            test = f"{column} @@ to_tsquery('simple', %s)"
            newest_first = (F("pk") + 0).desc()
        matches = RawSQL(f"SELECT ticket_id FROM tickets_search WHERE {test}", [text])
        rank: Any = _Rank(
            f"(SELECT ts_rank({column}, to_tsquery('simple', %s))::float8 "
            "FROM tickets_search WHERE ticket_id = {pk})",
            text,
        )
    else:
        text = _fts5_match(terms, notes=notes)
        matches = RawSQL(
            "SELECT rowid FROM tickets_search_fts WHERE tickets_search_fts MATCH %s", [text]
        )
        rank = _Rank(
            f"(SELECT -bm25(tickets_search_fts, {_FTS_WEIGHTS}) FROM tickets_search_fts "
            "WHERE tickets_search_fts MATCH %s AND rowid = {pk})",
            text,
        )
    number = Case(When(number=query.strip().upper(), then=Value(NUMBER_BOOST)), default=Value(0.0))
    # Read the few ids here: handed over as a subquery, the planner guesses the outer query
    # by the LIMIT (a thousand rows) and may walk the whole table in id order to meet one.
    newest = list(
        visible.filter(pk__in=matches)
        .order_by(newest_first)
        .values_list("pk", flat=True)[:MAX_RANKED]
    )
    return (
        visible.filter(pk__in=newest)
        .annotate(search_rank=ExpressionWrapper(rank + number, output_field=FloatField()))
        .order_by("-search_rank", "-opened_at", "-id")
    )


# --- the index --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A ticket's searchable text, folded into words, by part."""

    ticket_id: int
    number: str
    title: str
    description: str
    comments: str
    notes: str


def _text(value: str) -> str:
    return " ".join(words(value))


def _documents(
    ticket_ids: list[int], tickets: type[Model] = Ticket, comments: type[Model] = Comment
) -> list[Document]:
    rows = tickets._default_manager.filter(pk__in=ticket_ids).values_list(
        "pk", "number", "title", "description"
    )
    said: dict[int, list[str]] = defaultdict(list)
    noted: dict[int, list[str]] = defaultdict(list)
    replies = (
        comments._default_manager.filter(ticket_id__in=ticket_ids)
        .order_by("created_at", "pk")
        .values_list("ticket_id", "body", "is_public")
    )
    for ticket_id, body, is_public in replies:
        (said if is_public else noted)[ticket_id].append(body)
    return [
        _document(pk, number, title, description, said=said[pk], noted=noted[pk])
        for pk, number, title, description in rows
    ]


def _document(
    pk: int, number: str, title: str, description: str, *, said: list[str], noted: list[str]
) -> Document:
    return Document(
        ticket_id=pk,
        number=_text(number),
        title=_text(title),
        description=_text(description),
        comments=_text("\n".join(said)[:MAX_COMMENT_CHARS]),
        notes=_text("\n".join(noted)[:MAX_COMMENT_CHARS]),
    )


def _write(documents: list[Document], stale: Iterable[int] = ()) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for pk in stale:
                cursor.execute("DELETE FROM tickets_search WHERE ticket_id = %s", [pk])
            cursor.executemany(
                _PG_UPSERT,
                [
                    (d.ticket_id, f"{d.number} {d.title}", d.description, d.comments, d.notes)
                    for d in documents
                ],
            )
            return
        ids = [*stale, *(d.ticket_id for d in documents)]
        cursor.executemany("DELETE FROM tickets_search_fts WHERE rowid = %s", [(i,) for i in ids])
        cursor.executemany(
            "INSERT INTO tickets_search_fts (rowid, number, title, description, comments, notes) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (d.ticket_id, d.number, d.title, d.description, d.comments, d.notes)
                for d in documents
            ],
        )


def reindex(ticket_id: int) -> None:
    """Bring one ticket's search entry up to date (or remove it if the ticket is gone)."""
    documents = _documents([ticket_id])
    _write(documents, stale=() if documents else (ticket_id,))


def index_new(ticket: Ticket) -> None:
    """Write the search entry of a ticket created just now, from the values in hand (it has
    no comments yet), without reading it back."""
    _write(
        [_document(ticket.pk, ticket.number, ticket.title, ticket.description, said=[], noted=[])]
    )


def reindex_all(
    *, batch_size: int = BATCH_SIZE, tickets: type[Model] = Ticket, comments: type[Model] = Comment
) -> int:
    """Rebuild every ticket's entry, ``batch_size`` tickets at a time; returns how many.

    ``tickets`` and ``comments`` let a data migration pass its historical models.
    """
    done = 0
    last = 0
    manager = tickets._default_manager
    while True:
        ids = list(
            manager.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return done
        _write(_documents(ids, tickets, comments))
        done += len(ids)
        last = ids[-1]
