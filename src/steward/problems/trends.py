"""Trend detection: clusters of recurring incidents that may share a cause.

Two steps, so that a million incidents never reach Python:

1. **In the database** (``candidate_groups``): the incidents opened in the window that no
   problem explains yet (no "caused by" link to a problem) and that name a configuration item
   or a service are grouped by configuration item (or, without one, service) and category.
   Only groups holding at least ``threshold`` incidents are kept, the largest
   ``MAX_GROUPS`` of them. Then the newest ``MAX_GROUP_ROWS`` incidents of each kept group
   are read (a window function numbers them inside the database), titles and the start of
   descriptions only.
2. **In Python, inside each group** (``cluster_texts``): the texts are compared as TF-IDF
   vectors of words and word pairs (two-word shingles), weighted by how rare a term is among
   all incidents read, and clustered in one pass: each incident, oldest first, joins the
   cluster whose centre is most like it (cosine similarity at least ``min_similarity``) or
   starts a new one. Clusters of at least ``threshold`` incidents become proposals.

The similarity is computed here, not by a library or a database extension, because it is a
few dozen lines over a few hundred short texts per group, the same on SQLite and PostgreSQL,
needs nothing installed and nothing over the network (see docs/development/problems.md).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, When, Window
from django.db.models.functions import RowNumber, Substr
from django.utils import timezone

from steward.core import conf
from steward.incidents.models import Incident
from steward.tickets.choices import LinkType
from steward.tickets.models import TicketLink

#: The largest groups examined per run (a proposal queue of thousands helps nobody).
MAX_GROUPS = 500
#: The newest incidents of a group whose texts are compared (and linked on acceptance).
MAX_GROUP_ROWS = 400
#: PostgreSQL's memory for the grouping query's hash table (``SET LOCAL``).
GROUPING_WORK_MEM = "64MB"
#: How much of a description is read: the start says what happened.
DESCRIPTION_CHARS = 400
MAX_WINDOW_DAYS = 366
MAX_THRESHOLD = 10_000

_STOP_TEXT = """
    a about after again all also am an and any are as at be been before being but by can
    cannot could did do does doing done for from had has have having he her here his how
    i if in into is it its just me more most my no nor not now of off on once only or
    other our out over please same she should so some still such than that the their them
    then there these they this those through to too under until up very was we were what
    when where which while who why will with would you your yet get got gets since
"""
#: Words that say nothing about what went wrong.
STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def default_window_days() -> int:
    return int(conf.get("PROBLEM_TREND_WINDOW_DAYS"))


def default_threshold() -> int:
    return int(conf.get("PROBLEM_TREND_THRESHOLD"))


def default_min_similarity() -> float:
    return float(conf.get("PROBLEM_TREND_MIN_SIMILARITY"))


# --- text ------------------------------------------------------------------------------------


def stem(word: str) -> str:
    """A light English stem, so "drops", "dropped" and "dropping" count as one word."""
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # dropp -> drop
            return word
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """The telling words of ``text``: folded, no stop words, no bare numbers, 3+ letters,
    lightly stemmed."""
    return [
        stem(w)
        for w in _WORD.findall(text.casefold())
        if len(w) >= 3 and w not in STOP_WORDS and not w.isdigit()
    ]


def terms(title: str, description: str) -> Counter[str]:
    """Term counts of an incident: words and two-word shingles (half a word's weight); the
    title counts twice."""
    counted: Counter[str] = Counter()
    for text, weight in ((title, 4), (description, 2)):
        found = words(text)
        for word in found:
            counted[word] += weight
        for first, second in zip(found, found[1:], strict=False):
            counted[f"{first} {second}"] += weight // 2
    return counted


Vector = dict[str, float]


def _normalised(vector: Vector) -> Vector:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {t: v / norm for t, v in vector.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    """Cosine similarity of two normalised sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def tfidf(documents: Sequence[Counter[str]], frequency: Counter[str], total: int) -> list[Vector]:
    """Normalised TF-IDF vectors: sublinear term frequency, smoothed inverse document
    frequency over ``total`` documents whose document frequencies are ``frequency``."""
    vectors = []
    for counted in documents:
        vector = {
            t: (1.0 + math.log(n)) * (math.log((1 + total) / (1 + frequency[t])) + 1.0)
            for t, n in counted.items()
        }
        vectors.append(_normalised(vector))
    return vectors


@dataclass
class TextCluster:
    """Incidents (positions in the group) whose texts are alike, and their centre."""

    members: list[int] = field(default_factory=list)
    total: Vector = field(default_factory=dict)

    def centre(self) -> Vector:
        return _normalised(self.total)

    def add(self, position: int, vector: Vector) -> None:
        self.members.append(position)
        for t, v in vector.items():
            self.total[t] = self.total.get(t, 0.0) + v


def _nearest(vector: Vector, centres: Sequence[Vector], least: float) -> int:
    best, best_score = -1, least
    for index, centre in enumerate(centres):
        score = cosine(vector, centre)
        if score >= best_score:
            best, best_score = index, score
    return best


def cluster_texts(vectors: Sequence[Vector], min_similarity: float) -> list[TextCluster]:
    """Leader clustering refined once: in order, each vector joins the most similar cluster
    centre at or above ``min_similarity`` or starts a cluster of its own; then every vector
    is placed again by the final centres of the clusters with more than one member (so an
    early report is not left alone because its cluster had not formed yet)."""
    first: list[TextCluster] = []
    centres: list[Vector] = []
    for position, vector in enumerate(vectors):
        best = _nearest(vector, centres, min_similarity)
        if best < 0:
            first.append(TextCluster())
            centres.append({})
            best = len(first) - 1
        first[best].add(position, vector)
        centres[best] = first[best].centre()
    settled = [c.centre() for c in first if len(c.members) > 1]
    clusters = [TextCluster() for _ in settled]
    for position, vector in enumerate(vectors):
        best = _nearest(vector, settled, min_similarity)
        if best < 0:
            clusters.append(TextCluster())
            best = len(clusters) - 1
        clusters[best].add(position, vector)
    return [c for c in clusters if c.members]


# --- the database's part ---------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """Incidents in the window sharing a configuration item (or service) and category."""

    configuration_item_id: int | None
    service_id: int | None
    category_id: int | None
    count: int

    @property
    def key(self) -> str:
        place = (
            f"ci:{self.configuration_item_id}"
            if self.configuration_item_id is not None
            else f"service:{self.service_id}"
        )
        return f"{place}|category:{self.category_id if self.category_id is not None else '-'}"


def _unexplained(since: datetime, until: datetime) -> Any:
    """Incidents opened in [since, until) with a CI or service and no problem yet."""
    explained = TicketLink.objects.filter(
        source=OuterRef("pk"), link_type=LinkType.CAUSED_BY, target__kind="problems.problem"
    )
    return (
        Incident.objects.filter(opened_at__gte=since, opened_at__lt=until)
        .filter(Q(configuration_item__isnull=False) | Q(service__isnull=False))
        .filter(~Exists(explained))
        .annotate(
            place_service=Case(
                When(configuration_item__isnull=True, then=F("service_id")),
                default=None,
                output_field=IntegerField(),
            )
        )
    )


def candidate_groups(
    since: datetime, until: datetime, threshold: int, limit: int = MAX_GROUPS
) -> list[Group]:
    """The largest groups of at least ``threshold`` unexplained incidents (one query)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # Hundreds of thousands of small groups: hashed in memory, not spilled to disk
        # (measured at 1M incidents: 6.1 s with the default 4 MB, 4.4 s; this transaction only).
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [GROUPING_WORK_MEM])
    rows = (
        _unexplained(since, until)
        .order_by()
        .values("configuration_item_id", "place_service", "category_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=threshold)
        .order_by("-n", "configuration_item_id", "place_service", "category_id")[:limit]
    )
    return [
        Group(r["configuration_item_id"], r["place_service"], r["category_id"], r["n"])
        for r in rows
    ]


@dataclass(frozen=True)
class IncidentText:
    pk: int
    number: str
    title: str
    description: str
    opened_at: datetime
    group_key: str


def group_texts(
    groups: Sequence[Group], since: datetime, until: datetime, per_group: int = MAX_GROUP_ROWS
) -> dict[str, list[IncidentText]]:
    """The newest ``per_group`` incidents of each group, oldest first (one query)."""
    if not groups:
        return {}
    # ``field=None`` matches nothing in SQL: ask "is null" for the groups without one.
    chosen = Q()
    for group in groups:
        condition = Q()
        for name, value in (
            ("configuration_item_id", group.configuration_item_id),
            ("place_service", group.service_id),
            ("category_id", group.category_id),
        ):
            condition &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
        chosen |= condition
    # A coarse condition the foreign-key indexes answer first, so the exact one (a branch
    # per group) is checked on the groups' rows only, not on every incident of the window.
    cis = {g.configuration_item_id for g in groups if g.configuration_item_id is not None}
    services = {g.service_id for g in groups if g.configuration_item_id is None}
    coarse = Q(configuration_item_id__in=sorted(cis)) | Q(
        configuration_item__isnull=True, service_id__in=sorted(s for s in services if s)
    )
    rows = (
        _unexplained(since, until)
        .filter(coarse)
        .filter(chosen)
        .annotate(
            short_description=Substr("description", 1, DESCRIPTION_CHARS),
            newest=Window(
                RowNumber(),
                partition_by=[F("configuration_item_id"), F("place_service"), F("category_id")],
                order_by=[F("opened_at").desc(), F("pk").desc()],
            ),
        )
        .filter(newest__lte=per_group)
        .values_list(
            "pk",
            "number",
            "title",
            "short_description",
            "opened_at",
            "configuration_item_id",
            "place_service",
            "category_id",
        )
        .order_by("opened_at", "pk")
    )
    texts: dict[str, list[IncidentText]] = {}
    for pk, number, title, description, opened_at, ci, service, category in rows:
        key = Group(ci, service, category, 0).key
        texts.setdefault(key, []).append(
            IncidentText(pk, number, title, description or "", opened_at, key)
        )
    return texts


# --- detection -------------------------------------------------------------------------------


@dataclass
class Cluster:
    """Incidents that look like one recurring problem, with why they were grouped."""

    group: Group
    incidents: list[IncidentText]
    terms: list[str]
    score: float

    @property
    def key(self) -> str:
        return f"{self.group.key}|{' '.join(sorted(self.terms[:3]))}"[:250]

    @property
    def incident_ids(self) -> list[int]:
        return [i.pk for i in self.incidents]


@dataclass
class Detection:
    """What one run looked at and found."""

    since: datetime
    until: datetime
    window_days: int
    threshold: int
    min_similarity: float
    groups: int = 0
    incidents_read: int = 0
    clusters: list[Cluster] = field(default_factory=list)


def _shared_terms(documents: Iterable[Counter[str]], size: int, centre: Vector) -> list[str]:
    """Single words most of the cluster's incidents use (the most used first)."""
    used: Counter[str] = Counter()
    for counted in documents:
        used.update(t for t in counted if " " not in t)
    common = [t for t, n in used.items() if n * 2 >= size]
    common.sort(key=lambda t: (-used[t], -centre.get(t, 0.0), t))
    if common:
        return common[:6]
    return sorted((t for t in centre if " " not in t), key=lambda t: -centre[t])[:3]


def detect(
    *,
    window_days: int | None = None,
    threshold: int | None = None,
    min_similarity: float | None = None,
    at: datetime | None = None,
) -> Detection:
    """Find the clusters of recurring incidents in the ``window_days`` before ``at``."""
    until = at or timezone.now()
    days = window_days if window_days is not None else default_window_days()
    least = threshold if threshold is not None else default_threshold()
    similarity = min_similarity if min_similarity is not None else default_min_similarity()
    since = until - timedelta(days=days)
    found = Detection(since, until, days, least, similarity)
    groups = candidate_groups(since, until, least)
    found.groups = len(groups)
    texts = group_texts(groups, since, until)
    documents = {key: [terms(i.title, i.description) for i in rows] for key, rows in texts.items()}
    frequency: Counter[str] = Counter()
    for counted_list in documents.values():
        for counted in counted_list:
            frequency.update(counted.keys())
    total = sum(len(rows) for rows in texts.values())
    found.incidents_read = total
    for group in groups:
        rows = texts.get(group.key, [])
        if len(rows) < least:
            continue
        vectors = tfidf(documents[group.key], frequency, total)
        for text_cluster in cluster_texts(vectors, similarity):
            if len(text_cluster.members) < least:
                continue
            centre = text_cluster.centre()
            members = text_cluster.members
            score = sum(cosine(vectors[m], centre) for m in members) / len(members)
            found.clusters.append(
                Cluster(
                    group=group,
                    incidents=[rows[m] for m in members],
                    terms=_shared_terms(
                        [documents[group.key][m] for m in members], len(members), centre
                    ),
                    score=round(min(max(score, 0.0), 1.0), 3),
                )
            )
    found.clusters.sort(key=lambda c: (-len(c.incidents), -c.score, c.key))
    return found
