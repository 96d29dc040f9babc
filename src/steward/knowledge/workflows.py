"""The life of a knowledge article, per process profile.

``full`` asks for a review: an author submits a draft for review, and a knowledge manager
(``knowledge.publish_article``) publishes it or sends it back. The smaller profiles have no
review step: the author publishes a draft. Retiring an article takes it off every list and
search; a retired article can be revived as a draft. ``knowledge.stamp_published`` records
when an article was published.
"""

from __future__ import annotations

from steward.core.workflow import Category, State, Transition, Workflow
from steward.knowledge.choices import ArticleState as S

DRAFT = State(S.DRAFT, S.DRAFT.label, Category.NEW)
IN_REVIEW = State(S.IN_REVIEW, S.IN_REVIEW.label, Category.WAITING)
PUBLISHED = State(S.PUBLISHED, S.PUBLISHED.label, Category.ACTIVE)
RETIRED = State(S.RETIRED, S.RETIRED.label, Category.CLOSED)

PUBLISH = "knowledge.publish_article"
PUBLISH_EFFECTS = ("knowledge.stamp_published",)

REVIEWED = Workflow(
    states=(DRAFT, IN_REVIEW, PUBLISHED, RETIRED),
    initial=S.DRAFT,
    transitions=(
        Transition((S.DRAFT,), S.IN_REVIEW, "Submit for review"),
        Transition((S.IN_REVIEW,), S.DRAFT, "Send back", permission=PUBLISH),
        Transition(
            (S.IN_REVIEW,), S.PUBLISHED, "Publish", permission=PUBLISH, effects=PUBLISH_EFFECTS
        ),
        Transition((S.PUBLISHED,), S.RETIRED, "Retire", permission=PUBLISH),
        Transition((S.RETIRED,), S.DRAFT, "Revive as draft"),
    ),
)

UNREVIEWED = Workflow(
    states=(DRAFT, PUBLISHED, RETIRED),
    initial=S.DRAFT,
    transitions=(
        Transition((S.DRAFT,), S.PUBLISHED, "Publish", effects=PUBLISH_EFFECTS),
        Transition((S.PUBLISHED,), S.RETIRED, "Retire"),
        Transition((S.RETIRED,), S.DRAFT, "Revive as draft"),
    ),
    remap={S.IN_REVIEW: S.DRAFT},
)

WORKFLOWS: dict[str, Workflow | None] = {
    "full": REVIEWED,
    "lite": UNREVIEWED,
    "fits": UNREVIEWED,
    "core": UNREVIEWED,
}


def requires_review(workflow: Workflow) -> bool:
    """Does this workflow publish only through a review?"""
    return workflow.find(S.DRAFT, S.PUBLISHED) is None
