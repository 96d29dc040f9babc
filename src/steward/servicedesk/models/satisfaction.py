"""How satisfied a requester was with the handling of their ticket: one rating per ticket."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from steward.accounts.models import Person
from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule
from steward.tickets.models import Ticket

#: The lowest and highest score (1 = very dissatisfied, 5 = very satisfied).
MIN_SCORE = 1
MAX_SCORE = 5
SCORE_LABELS: dict[int, str] = {
    1: "Very dissatisfied",
    2: "Dissatisfied",
    3: "Neutral",
    4: "Satisfied",
    5: "Very satisfied",
}


class SatisfactionRatingQuerySet(ScopedQuerySet["SatisfactionRating"]):
    def for_ticket(self, ticket: Ticket) -> SatisfactionRatingQuerySet:
        return self.filter(ticket=ticket)


class SatisfactionRating(models.Model):
    """The requester's rating of a resolved or closed ticket (1-5 and a comment).

    One per ticket: rating again changes it (``updated_at``) and is audited each time. Only
    the ticket's requester rates (``satisfaction.rate``); staff with the service desk's
    permissions read them within the organisations they serve.
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="satisfaction_rating"
    )
    score = models.PositiveSmallIntegerField(
        choices=[(score, f"{score} {label}") for score, label in SCORE_LABELS.items()]
    )
    comment = models.TextField(blank=True, max_length=2000)
    rated_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="satisfaction_ratings"
    )
    rated_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SatisfactionRatingQuerySet.as_manager()
    policy_rule = Rule(
        organisation="ticket__organisation",
        owners={"rated_by": frozenset({"view"}), "ticket__requester": frozenset({"view"})},
    )

    class Meta:
        ordering = ["-rated_at", "-id"]
        permissions = [("view_satisfaction_report", "Can see the satisfaction report")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=MIN_SCORE) & models.Q(score__lte=MAX_SCORE),
                name="satisfaction_score_range",
            )
        ]

    def __str__(self) -> str:
        return f"rating {self.pk}: {self.score} of 5"

    @property
    def score_label(self) -> str:
        return SCORE_LABELS.get(self.score, str(self.score))
