"""Problem management: problems and the known-error database.

``Problem`` extends ``tickets.Ticket`` (one level of multi-table inheritance) with what is
its own: the root-cause analysis (a method and its structured fields), the root cause, the
workaround, the change that fixes it, and when it became a known error. Parties, service,
CI, impact, urgency, priority, state and resolution are the ticket's.

Incidents are linked to their problem with the tickets' typed links ("incident *is caused
by* problem", ``tickets.TicketLink``), so the ticket page, the link API and the audit trail
of links serve problems as they serve every other ticket kind.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q

from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule
from steward.core.workflow import Category as StateCategory
from steward.problems.choices import RcaMethod
from steward.tickets.choices import LinkType
from steward.tickets.models import Ticket

INCIDENT_KIND = "incidents.incident"


def _mentions(word: str) -> Q:
    """A problem whose title, description, root cause or workaround contains ``word``."""
    return (
        Q(title__icontains=word)
        | Q(description__icontains=word)
        | Q(root_cause__icontains=word)
        | Q(workaround__icontains=word)
    )


class ProblemQuerySet(ScopedQuerySet["Problem"]):
    def open(self) -> ProblemQuerySet:
        return self.filter(state_category__in=StateCategory.OPEN)

    def known_errors(self) -> ProblemQuerySet:
        """Problems whose root cause and workaround are known (the known-error database)."""
        return self.filter(known_error_at__isnull=False)

    def search_known_errors(self, text: str) -> ProblemQuerySet:
        """Known errors whose number, title, description, root cause or workaround mention
        every word of ``text``."""
        found = self.known_errors()
        for word in text.split()[:8]:
            found = found.filter(Q(number__iexact=word) | _mentions(word))
        return found


#: Words shorter than this say little about an incident ("the", "is", "on").
SUGGEST_MIN_WORD = 4
#: How many known errors a suggestion weighs (the newest that share a word with the text).
SUGGEST_CANDIDATES = 200


def suggested_known_errors(
    queryset: ProblemQuerySet, text: str, *, limit: int = 5
) -> list[Problem]:
    """The known errors of ``queryset`` most like ``text`` (what is typed into an incident):
    those sharing the most of its words, a word in the title counting twice; newest first on
    a tie. One query; an empty list when the text has no telling word."""
    words: list[str] = []
    for raw in text.casefold().split():
        word = raw.strip(".,;:!?()[]{}<>\"'")
        if len(word) >= SUGGEST_MIN_WORD and word not in words:
            words.append(word)
    words = words[:8]
    if not words:
        return []
    shares = Q()
    for word in words:
        shares |= _mentions(word)
    candidates = list(
        queryset.known_errors()
        .filter(shares)
        .only("number", "title", "description", "root_cause", "workaround", "known_error_at")
        .order_by("-known_error_at", "-id")[:SUGGEST_CANDIDATES]
    )

    def score(problem: Problem) -> int:
        title = problem.title.casefold()
        body = f"{problem.description} {problem.root_cause} {problem.workaround}".casefold()
        return sum(2 * (w in title) + (w in body) for w in words)

    ranked = sorted(candidates, key=score, reverse=True)  # stable: newest first on a tie
    return ranked[:limit]


class Problem(Ticket):
    """The unknown cause of one or more incidents (ITIL), as a ticket.

    It becomes a *known error* once its root cause and a workaround are recorded
    (``known_error_at``); agents then find it in the known-error database and apply its
    workaround to incidents (``workaround_uses`` counts how often). Requesters see nothing
    of problems: only roles with the problem permissions do.
    """

    number_prefix: ClassVar[str] = "PRB"
    sequence_name: ClassVar[str] = "problem"
    takes_requester_organisation: ClassVar[bool] = False

    rca_method = models.CharField(
        "root-cause analysis method",
        max_length=20,
        choices=RcaMethod.choices,
        blank=True,
        editable=False,
    )
    rca_data = models.JSONField(
        "root-cause analysis",
        default=dict,
        blank=True,
        editable=False,
        help_text="The analysis in the method's own fields (checked per method by the service).",
    )
    root_cause = models.TextField(blank=True, editable=False, help_text="Markdown.")
    workaround = models.TextField(
        blank=True, editable=False, help_text="How to restore service meanwhile (Markdown)."
    )
    fix_ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fixed_problems",
        editable=False,
        help_text="The ticket (a change) that removes the cause.",
    )
    fix_reference = models.CharField(
        max_length=100,
        blank=True,
        editable=False,
        help_text="The change that removes the cause: its number, or a reference elsewhere.",
    )
    fix_ticket_id: int | None
    known_error_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When it became a known error."
    )
    workaround_uses = models.PositiveIntegerField(
        default=0, editable=False, help_text="How often its workaround was applied to incidents."
    )

    objects = ProblemQuerySet.as_manager()  # type: ignore[assignment,misc]
    # Staff only: no owner (not even whoever raised it) reaches a problem without the problem
    # permissions. Problems belong to no organisation (the services refuse one), so no
    # customer organisation shares them with its requesters, here or through the ticket;
    # staff restricted to some organisations therefore see no problems.
    policy_rule = Rule(organisation="organisation")

    class Meta:
        ordering = ["priority", "opened_at", "id"]
        indexes = [
            models.Index(
                fields=["known_error_at"],
                name="problem_known_error",
                condition=Q(known_error_at__isnull=False),
            ),
        ]

    @property
    def is_known_error(self) -> bool:
        return self.known_error_at is not None

    @property
    def has_fix(self) -> bool:
        return self.fix_ticket_id is not None or bool(self.fix_reference.strip())


def caused_by_links() -> Q:
    """The links that tie an incident (source) to its problem (target)."""
    return Q(
        link_type=LinkType.CAUSED_BY, source__kind=INCIDENT_KIND, target__kind="problems.problem"
    )
