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

from typing import Any, ClassVar

from django.db import models
from django.db.models import Case, Exists, ExpressionWrapper, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Organisation, Person
from steward.cmdb.models import ConfigurationItem
from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule
from steward.core.workflow import Category as StateCategory
from steward.problems.choices import ProposalState, RcaMethod
from steward.tickets.choices import LinkType
from steward.tickets.models import Ticket, TicketLink

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


def _telling_words(text: str) -> list[str]:
    words: list[str] = []
    for raw in text.casefold().split():
        word = raw.strip(".,;:!?()[]{}<>\"'")
        if len(word) >= SUGGEST_MIN_WORD and word not in words:
            words.append(word)
    return words[:8]


def suggested_known_errors(
    queryset: ProblemQuerySet,
    text: str,
    *,
    configuration_item: int | None = None,
    service: int | None = None,
    category: int | None = None,
    limit: int = 5,
) -> list[Problem]:
    """The known errors of ``queryset`` most like the incident being typed.

    A known error on the incident's configuration item or service, or caused an incident of
    its category (or subcategory), ranks before those that only share words; within each
    rank, those sharing the most words of ``text`` (a word in the title counting twice),
    newest first on a tie. Such a known error is offered even before a telling word is
    typed. One query; an empty list when neither words nor context match.
    """
    words = _telling_words(text)
    shares = Q()
    for word in words:
        shares |= _mentions(word)
    if not words and configuration_item is None and service is None and category is None:
        return []
    place = Q()
    if configuration_item is not None:
        place |= Q(configuration_item_id=configuration_item)
    if service is not None:
        place |= Q(service_id=service)
    on_place: Any = Case(When(place, then=Value(2)), default=Value(0)) if place else Value(0)
    in_category: Any = Value(0)
    if category is not None:
        caused = TicketLink.objects.filter(caused_by_links(), target=OuterRef("pk")).filter(
            Q(source__incident__category_id=category) | Q(source__incident__subcategory_id=category)
        )
        in_category = Case(When(Exists(caused), then=Value(1)), default=Value(0))
    candidates = list(
        queryset.known_errors()
        .annotate(context_rank=ExpressionWrapper(on_place + in_category, models.IntegerField()))
        .filter(shares | Q(context_rank__gt=0) if words else Q(context_rank__gt=0))
        .only("number", "title", "description", "root_cause", "workaround", "known_error_at")
        .order_by("-context_rank", "-known_error_at", "-id")[:SUGGEST_CANDIDATES]
    )

    def score(problem: Problem) -> tuple[int, int]:
        title = problem.title.casefold()
        body = f"{problem.description} {problem.root_cause} {problem.workaround}".casefold()
        shared = sum(2 * (w in title) + (w in body) for w in words)
        return (int(problem.context_rank), shared)  # type: ignore[attr-defined]

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


class ProblemProposalQuerySet(ScopedQuerySet["ProblemProposal"]):
    def proposed(self) -> ProblemProposalQuerySet:
        return self.filter(state=ProposalState.PROPOSED)


class ProblemProposal(models.Model):
    """A cluster of recurring incidents that trend detection (``problems.trends``) thinks
    share a cause: same configuration item (or service), same category, similar text.

    A problem manager accepts it (a problem is raised with the incidents linked) or
    dismisses it with a reason; a dismissed cluster is proposed again only once it holds
    more incidents than when it was dismissed. Re-running detection updates the proposal
    of a cluster it already knows instead of adding another.
    """

    group_key = models.CharField(
        max_length=100,
        help_text="What the incidents share in the database: ``ci:12|category:4`` and the like.",
    )
    key = models.CharField(
        max_length=250, help_text="The group key and the cluster's leading words."
    )
    configuration_item = models.ForeignKey(
        ConfigurationItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    service = models.ForeignKey(
        ConfigurationItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        "incidents.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    terms = models.JSONField(
        default=list, blank=True, help_text="The words most of the incidents share."
    )
    title = models.CharField(max_length=200, help_text="The suggested problem title.")
    incidents = models.ManyToManyField(
        "incidents.Incident", blank=True, related_name="problem_proposals"
    )
    incident_count = models.PositiveIntegerField(default=0)
    score = models.FloatField(
        default=0.0,
        help_text="How alike the incidents' texts are: their mean cosine similarity to the "
        "cluster's centre (0 to 1).",
    )
    window_days = models.PositiveSmallIntegerField(default=30)
    first_incident_at = models.DateTimeField(null=True, blank=True)
    last_incident_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=12, choices=ProposalState.choices, default=ProposalState.PROPOSED
    )
    detected_at = models.DateTimeField(default=timezone.now, help_text="First detected.")
    updated_at = models.DateTimeField(default=timezone.now, help_text="Last detected or decided.")
    dismissed_count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How many incidents the cluster held when dismissed (proposed again above).",
    )
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    # Like problems, proposals belong to no organisation: staff restricted to serving some
    # organisations see none (the incidents behind one may be anybody's).
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, editable=False
    )
    version = models.PositiveIntegerField(default=1)

    objects = ProblemProposalQuerySet.as_manager()
    policy_rule = Rule(organisation="organisation")

    class Meta:
        ordering = ["-incident_count", "-score", "-id"]
        indexes = [
            models.Index(fields=["group_key", "state"], name="proposal_group"),
            models.Index(fields=["state", "-incident_count"], name="proposal_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=True), name="proposal_no_organisation"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="proposal_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Proposal {self.pk}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("problems:proposal_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state == ProposalState.PROPOSED
