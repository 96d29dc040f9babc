"""Proactive problem management: clusters of recurring incidents proposed as problems."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from steward.accounts.tests.factories import make_agent, make_organisation, make_person
from steward.cmdb.tests.factories import make_ci, make_service
from steward.core.errors import Forbidden, NotFound, RuleViolation
from steward.core.models import AuditEntry
from steward.incidents.models import Incident
from steward.incidents.tests.factories import make_category, make_incident
from steward.problems import trends
from steward.problems.choices import ProposalState
from steward.problems.models import Problem, ProblemProposal
from steward.problems.services import links, proposals
from steward.problems.tests.factories import make_problem, make_problem_manager

pytestmark = pytest.mark.django_db

VPN_TEXTS = [
    ("VPN drops every ten minutes", "The VPN client disconnects and reconnects."),
    ("VPN disconnects again", "Client drops the VPN tunnel after a few minutes."),
    ("VPN connection drops", "VPN tunnel drops while working from home."),
    ("VPN keeps dropping", "The VPN client drops the tunnel."),
    ("Dropped VPN tunnel", "VPN disconnects every few minutes."),
    ("VPN drops at home", "The tunnel drops, the VPN client reconnects."),
]


def make_cluster(count: int = 6, *, days_ago: int = 2, **values: Any) -> list[Incident]:
    """``count`` alike VPN incidents on one CI and category, opened ``days_ago``."""
    made = []
    for n in range(count):
        title, description = VPN_TEXTS[n % len(VPN_TEXTS)]
        made.append(make_incident(title=title, description=description, **values))
    Incident.objects.filter(pk__in=[i.pk for i in made]).update(
        opened_at=timezone.now() - timedelta(days=days_ago)
    )
    return made


def test_text_similarity_groups_alike_reports_and_keeps_others_apart() -> None:
    # given VPN reports and printer reports
    texts = [trends.terms(t, d) for t, d in VPN_TEXTS]
    texts += [trends.terms("Printer jams on the second floor", "Paper jam in tray two.")] * 2
    frequency: Any = trends.Counter()
    for counted in texts:
        frequency.update(counted.keys())
    vectors = trends.tfidf(texts, frequency, len(texts))
    # when clustered
    clusters = trends.cluster_texts(vectors, 0.25)
    # then the VPN reports make one cluster, the printer ones another
    assert sorted(len(c.members) for c in clusters) == [2, 6]
    assert trends.cosine(vectors[0], vectors[0]) == pytest.approx(1.0)
    assert trends.words("The VPN, it dropped 42 times!") == ["vpn", "drop", "time"]


def test_detection_proposes_a_cluster_with_its_evidence() -> None:
    # given six alike incidents on one CI and category, and noise that does not qualify
    ci, category = make_ci(name="vpn-gw-01"), make_category(name="Network")
    cluster = make_cluster(configuration_item=ci, category=category)
    make_cluster(4, configuration_item=make_ci(), category=category)  # below the threshold
    make_cluster(6, days_ago=45, configuration_item=ci, category=category)  # outside the window
    make_incident(title="Printer jams", configuration_item=ci, category=category)
    # when detection runs
    outcome = proposals.detect_problems(actor=None)
    # then one proposal names the CI, the category, the shared words and the incidents
    assert len(outcome.created) == 1
    proposal = outcome.created[0]
    assert proposal.state == ProposalState.PROPOSED
    assert proposal.group_key == f"ci:{ci.pk}|category:{category.pk}"
    assert proposal.configuration_item == ci and proposal.category == category
    assert "vpn" in proposal.terms
    assert sorted(proposal.incidents.values_list("pk", flat=True)) == sorted(i.pk for i in cluster)
    assert proposal.incident_count == 6 and 0 < proposal.score <= 1
    assert "vpn-gw-01" in proposal.title and "Network" in proposal.title
    assert AuditEntry.objects.filter(action="problem_proposal.proposed").count() == 1


def test_rerunning_updates_the_open_proposal_instead_of_duplicating() -> None:
    service = make_service()
    cluster = make_cluster(service=service)
    first = proposals.detect_problems(actor=None)
    # when run again unchanged, nothing is written
    again = proposals.detect_problems(actor=None)
    assert [p.pk for p in again.unchanged] == [first.created[0].pk]
    assert not again.created and not again.updated
    # when the cluster grows, the same proposal is updated and audited
    more = make_cluster(2, service=service)
    grown = proposals.detect_problems(actor=None)
    assert [p.pk for p in grown.updated] == [first.created[0].pk]
    proposal = ProblemProposal.objects.get()
    assert proposal.incident_count == 8 == proposal.incidents.count()
    assert proposal.group_key == f"service:{service.pk}|category:-"
    assert {i.pk for i in [*cluster, *more]} == set(proposal.incidents.values_list("pk", flat=True))
    assert AuditEntry.objects.filter(action="problem_proposal.updated").count() == 1


def test_a_dismissed_cluster_returns_only_when_it_grows() -> None:
    ci = make_ci()
    make_cluster(configuration_item=ci)
    manager = make_problem_manager()
    proposal = proposals.detect_problems(actor=None).created[0]
    # a reason is required, and nothing changes without one
    with pytest.raises(RuleViolation):
        proposals.dismiss_proposal(actor=manager, proposal=proposal, reason=" ")
    assert ProblemProposal.objects.get().state == ProposalState.PROPOSED
    proposals.dismiss_proposal(actor=manager, proposal=proposal, reason="Planned VPN work.")
    # when detection runs again with the same incidents, it stays dismissed
    outcome = proposals.detect_problems(actor=None)
    assert [p.pk for p in outcome.still_dismissed] == [proposal.pk]
    assert ProblemProposal.objects.get().state == ProposalState.DISMISSED
    # when one more alike incident arrives, the cluster is proposed again (same row)
    make_cluster(1, configuration_item=ci)
    outcome = proposals.detect_problems(actor=None)
    assert [p.pk for p in outcome.reproposed] == [proposal.pk]
    back = ProblemProposal.objects.get()
    assert back.state == ProposalState.PROPOSED and back.incident_count == 7
    assert back.dismissed_count == 6
    assert AuditEntry.objects.filter(action="problem_proposal.reproposed").count() == 1


def test_accepting_raises_a_problem_with_the_incidents_linked() -> None:
    ci = make_ci()
    cluster = make_cluster(configuration_item=ci, category=make_category())
    proposal = proposals.detect_problems(actor=None).created[0]
    manager = make_problem_manager()
    # when the problem manager accepts it
    accepted = proposals.accept_proposal(actor=manager, proposal=proposal, title="VPN drops")
    # then a problem on the CI exists with every incident linked, and the proposal says so
    problem = accepted.problem
    assert problem.title == "VPN drops" and problem.configuration_item == ci
    assert set(links.linked_incidents(problem).values_list("pk", flat=True)) == {
        i.pk for i in cluster
    }
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED and proposal.problem == problem
    assert proposal.decided_by == manager
    entry = AuditEntry.objects.get(action="problem_proposal.accepted")
    assert entry.changes["problem"] == problem.number
    # and the linked incidents are explained now: detection proposes nothing more
    assert proposals.detect_problems(actor=None).detection.clusters == []
    # a decided proposal cannot be decided again
    with pytest.raises(RuleViolation):
        proposals.dismiss_proposal(actor=manager, proposal=proposal, reason="late")


def test_accepting_leaves_out_incidents_another_problem_explains_meanwhile() -> None:
    cluster = make_cluster(configuration_item=make_ci())
    proposal = proposals.detect_problems(actor=None).created[0]
    manager = make_problem_manager()
    other = make_problem(actor=manager)
    links.link_incidents(actor=manager, problem=other, incidents=[cluster[0]])
    accepted = proposals.accept_proposal(actor=manager, proposal=proposal)
    assert [i.pk for i, _ in accepted.skipped] == [cluster[0].pk]
    assert len(accepted.linked) == 5


def test_only_problem_managers_decide_and_restricted_staff_see_nothing() -> None:
    make_cluster(configuration_item=make_ci())
    proposal = proposals.detect_problems(actor=None).created[0]
    agent = make_agent()
    # an agent sees the proposal but may neither accept nor dismiss it
    assert ProblemProposal.objects.visible_to(agent).count() == 1
    with pytest.raises(Forbidden):
        proposals.accept_proposal(actor=agent, proposal=proposal)
    with pytest.raises(Forbidden):
        proposals.dismiss_proposal(actor=agent, proposal=proposal, reason="no")
    with pytest.raises(Forbidden):
        proposals.detect_problems(actor=agent)
    # a requester and staff restricted to one organisation see no proposal at all
    requester = make_person()
    assert ProblemProposal.objects.visible_to(requester).count() == 0
    with pytest.raises(NotFound):
        proposals.dismiss_proposal(actor=requester, proposal=proposal, reason="no")
    restricted = make_agent()
    restricted.serves_organisations.add(make_organisation())
    assert ProblemProposal.objects.visible_to(restricted).count() == 0
    assert ProblemProposal.objects.get().state == ProposalState.PROPOSED
    assert Problem.objects.count() == 0


def test_bad_detection_arguments_are_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        proposals.detect_problems(actor=None, window_days=0, threshold=1)
    assert set(refused.value.message_dict) == {"window_days", "threshold"}


def test_the_schedule_runs_detection_hourly() -> None:
    from steward.core import scheduler
    from steward.problems.tasks import detect_trends

    names = {s.name for s in scheduler.schedules()}
    assert "problems.detect_trends" in names
    make_cluster(configuration_item=make_ci())
    result: Any = detect_trends.call()
    assert len(result["created"]) == 1
    assert detect_trends.call()["unchanged"] == result["created"]
