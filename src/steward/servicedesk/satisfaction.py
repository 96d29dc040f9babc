"""Satisfaction ratings: the requester rates a resolved ticket, in the portal, the API or by
one click on a link in the resolution e-mail. Actor first, one transaction, audited.

The one-click links carry a signed token (``django.core.signing``) naming the ticket and its
requester; it expires after ``SATISFACTION_LINK_DAYS``. Following a link records that score at
once, and following it again changes nothing. A forged, expired or reassigned token records
nothing (``RatingLinkError``).

The report functions at the end aggregate in the database (averages and distributions per
team and per month), over the ratings a person may see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Person
from steward.core import audit, conf, policy
from steward.core.errors import Forbidden, RuleViolation
from steward.core.workflow import Category
from steward.servicedesk.models.satisfaction import (
    MAX_SCORE,
    MIN_SCORE,
    SCORE_LABELS,
    SatisfactionRating,
)
from steward.tickets.models import Ticket

TOKEN_SALT = "steward.servicedesk.satisfaction"
RATEABLE = (Category.RESOLVED, Category.CLOSED)
MAX_COMMENT_CHARS = 2000
AUDITED = ("score", "comment")
#: The permission of the managers' satisfaction report.
REPORT_PERMISSION = "servicedesk.view_satisfaction_report"


class RatingLinkError(Exception):
    """A one-click rating link that cannot be used; ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def is_rateable(ticket: Ticket) -> bool:
    """Is the ticket resolved or closed, so its requester may rate it?"""
    return ticket.state_category in RATEABLE


def may_rate(person: Any, ticket: Ticket) -> bool:
    """May ``person`` rate ``ticket`` now (its requester, once it is resolved or closed)?"""
    return bool(
        getattr(person, "is_authenticated", False)
        and ticket.requester_id == person.pk
        and is_rateable(ticket)
    )


def _check_score(score: Any) -> int:
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = 0
    if isinstance(score, bool) or not MIN_SCORE <= value <= MAX_SCORE:
        raise RuleViolation({"score": f"Choose a score from {MIN_SCORE} to {MAX_SCORE}."})
    return value


@transaction.atomic
def rate(*, actor: Person, ticket: Ticket, score: int, comment: str = "") -> SatisfactionRating:
    """Record (or change) the requester's rating of their resolved or closed ticket.

    Rating again with the same score and comment changes nothing and writes no audit entry.
    """
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    policy.require(actor, "view", locked)
    if locked.requester_id != actor.pk:
        raise Forbidden("Only the person who asked for this ticket may rate it.")
    if not is_rateable(locked):
        raise RuleViolation({"ticket": "A ticket can be rated once it is resolved."})
    value = _check_score(score)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise RuleViolation({"comment": f"At most {MAX_COMMENT_CHARS} characters."})
    rating = SatisfactionRating.objects.select_for_update().filter(ticket=locked).first()
    now = timezone.now()
    if rating is None:
        rating = SatisfactionRating(
            ticket=locked,
            score=value,
            comment=comment,
            rated_by=actor,
            rated_at=now,
            updated_at=now,
        )
        rating.full_clean()
        rating.save()
        audit.record(
            actor=actor,
            action="satisfaction_rating.created",
            obj=rating,
            changes={**audit.diff({}, audit.snapshot(rating, AUDITED)), "ticket": locked.number},
            object_repr=f"rating of {locked.number}",
        )
        return rating
    before = audit.snapshot(rating, AUDITED)
    rating.score, rating.comment = value, comment
    changed = audit.diff(before, audit.snapshot(rating, AUDITED))
    if not changed:
        return rating
    rating.rated_by = actor
    rating.updated_at = now
    rating.full_clean()
    rating.save()
    audit.record(
        actor=actor,
        action="satisfaction_rating.updated",
        obj=rating,
        changes={**changed, "ticket": locked.number},
        object_repr=f"rating of {locked.number}",
    )
    return rating


# --- one-click links ----------------------------------------------------------------------------


def make_token(ticket: Ticket) -> str:
    """A signed token naming the ticket and its requester (expiry is checked on reading)."""
    return signing.dumps({"t": ticket.pk, "p": ticket.requester_id}, salt=TOKEN_SALT)


def rating_links(ticket: Ticket) -> dict[int, str]:
    """Absolute one-click URLs, one per score, for the resolution e-mail."""
    base = str(conf.get("PUBLIC_URL")).rstrip("/")
    token = make_token(ticket)
    return {
        score: base + reverse("portal:rate_link", args=[token, score])
        for score in range(MIN_SCORE, MAX_SCORE + 1)
    }


def read_token(token: str) -> tuple[Ticket, Person]:
    """The ticket and requester a token names; ``RatingLinkError`` when it cannot be used."""
    max_age = int(conf.get("SATISFACTION_LINK_DAYS")) * 24 * 60 * 60
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise RatingLinkError(
            "This rating link has expired. You can still rate the ticket in the portal.", 410
        ) from exc
    except signing.BadSignature as exc:
        raise RatingLinkError("This rating link is not valid; nothing was recorded.") from exc
    if not isinstance(data, dict):
        raise RatingLinkError("This rating link is not valid; nothing was recorded.")
    ticket_id = data.get("t")
    ticket = (
        Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
        if isinstance(ticket_id, int)
        else None
    )
    if ticket is None or ticket.requester_id != data.get("p"):
        raise RatingLinkError("This rating link is no longer valid; nothing was recorded.", 404)
    if not ticket.requester.is_active:
        raise RatingLinkError("This rating link is no longer valid; nothing was recorded.", 403)
    return ticket, ticket.requester


def rate_by_link(
    *, token: str, score: Any, comment: str | None = None, signed_in: Any = None
) -> SatisfactionRating:
    """Record a rating from a one-click link, as the requester the token names.

    ``comment=None`` keeps the comment already given (the click itself); a person signed in
    as somebody else than the token's requester records nothing.
    """
    ticket, requester = read_token(token)
    if getattr(signed_in, "is_authenticated", False) and signed_in.pk != requester.pk:
        raise RatingLinkError(
            "This rating link belongs to somebody else; nothing was recorded.", 403
        )
    if comment is None:
        existing = SatisfactionRating.objects.filter(ticket=ticket).values_list(
            "comment", flat=True
        )
        comment = existing.first() or ""
    try:
        return rate(actor=requester, ticket=ticket, score=score, comment=comment)
    except RuleViolation as exc:
        status = 409 if "ticket" in exc.message_dict else 400
        raise RatingLinkError(" ".join(exc.messages), status) from exc


# --- the managers' report -----------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Average, count and distribution (count per score 1..5) of some ratings."""

    label: str
    average: float | None
    count: int
    distribution: dict[int, int]

    def bars(self) -> list[tuple[int, str, int, int]]:
        """(score, label, count, percent) per score, for the report's bars."""
        total = self.count or 1
        return [
            (score, SCORE_LABELS[score], n, round(100 * n / total))
            for score, n in self.distribution.items()
        ]


def _aggregates() -> dict[str, Any]:
    per_score = {
        f"s{score}": Count("pk", filter=Q(score=score)) for score in range(MIN_SCORE, MAX_SCORE + 1)
    }
    return {"average": Avg("score"), "count": Count("pk"), **per_score}


def _summary(label: str, row: Mapping[str, Any]) -> Summary:
    average = row.get("average")
    return Summary(
        label=label,
        average=round(float(average), 2) if average is not None else None,
        count=int(row.get("count") or 0),
        distribution={s: int(row.get(f"s{s}") or 0) for s in range(MIN_SCORE, MAX_SCORE + 1)},
    )


def ratings_for(user: Any) -> QuerySet[SatisfactionRating]:
    return SatisfactionRating.objects.visible_to(user)


def overall(ratings: QuerySet[SatisfactionRating]) -> Summary:
    """One aggregate query over ``ratings``."""
    return _summary("All", ratings.aggregate(**_aggregates()))


def per_team(ratings: QuerySet[SatisfactionRating]) -> list[Summary]:
    """One grouped query: a summary per team of the rated ticket ("No team" for none)."""
    rows = (
        ratings.order_by()
        .values("ticket__team__name")
        .annotate(**_aggregates())
        .order_by("ticket__team__name")
    )
    return [_summary(row["ticket__team__name"] or "No team", row) for row in rows]


def per_month(ratings: QuerySet[SatisfactionRating]) -> list[Summary]:
    """One grouped query: a summary per calendar month of rating, newest first."""
    rows = (
        ratings.order_by()
        .annotate(month=TruncMonth("rated_at"))
        .values("month")
        .annotate(**_aggregates())
        .order_by("-month")
    )
    labels: list[Summary] = []
    for row in rows:
        month: datetime | None = row["month"]
        labels.append(_summary(f"{month:%Y-%m}" if month else "-", row))
    return labels


def latest_comments(
    ratings: QuerySet[SatisfactionRating], limit: int = 20
) -> QuerySet[SatisfactionRating]:
    return (
        ratings.exclude(comment="")
        .select_related("ticket", "ticket__team", "rated_by")
        .order_by("-updated_at", "-id")[:limit]
    )
