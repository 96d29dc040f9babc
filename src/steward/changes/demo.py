"""Demo change management: a risk questionnaire, a CAB, an ECAB and the service owners'
board, an approved standard-change template, and a few changes: a standard change
scheduled from the template, a normal change waiting for the CAB, an emergency change
implemented and reviewed, and a CAB meeting with the normal change on its agenda."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from steward.accounts.demo import DEMO_DOMAIN
from steward.accounts.models import Person, Team
from steward.changes import services
from steward.changes.models import ApprovalBoard, Change, RiskQuestion
from steward.changes.services import approvals, cab, risk, templates
from steward.cmdb.models import ConfigurationItem

QUESTIONS = [
    ("Does the change need downtime of a service?", [("No", 0), ("Yes", 20)]),
    ("Has the change been tested in a test environment?", [("Yes", 0), ("Partly", 10), ("No", 25)]),
    ("Can it be backed out within the window?", [("Yes, tested", 0), ("Yes", 5), ("No", 25)]),
]


def load() -> str:
    if Change.objects.exists():
        return "Demo changes already present."
    people = {p.email.split("@")[0]: p for p in Person.objects.filter(email__endswith=DEMO_DOMAIN)}
    manager, owner, agent = (
        people.get("olivia.brown"),
        people.get("henrik.larsen"),
        people.get("mei.chen"),
    )
    if manager is None or owner is None or agent is None:
        return "Demo changes skipped (demo people missing)."
    items = {ci.name: ci for ci in ConfigurationItem.objects.filter(name__in=_CI_NAMES)}
    team = Team.objects.filter(name="Platform Engineering").first()
    payroll = items.get("Payroll")
    if payroll is not None and payroll.owner_id is None:
        ConfigurationItem.objects.filter(pk=payroll.pk).update(owner=owner)
    for position, (text, choices) in enumerate(QUESTIONS, start=1):
        risk.save_question(actor=manager, text=text, options=choices, position=position)
    approvals.create_board(
        actor=manager,
        name="CAB",
        kind="cab",
        rule="majority",
        paths=["moderate", "high"],
        members=[manager, owner],
    )
    approvals.create_board(
        actor=manager, name="ECAB", kind="ecab", rule="any", paths=["emergency"], members=[manager]
    )
    approvals.create_board(
        actor=manager,
        name="Change manager",
        kind="change_manager",
        paths=["low"],
        members=[manager],
    )
    approvals.create_board(
        actor=manager,
        name="Service owners",
        kind="service_owners",
        rule="all",
        paths=["high"],
        members=[],
    )
    restart = templates.create_template(
        actor=manager,
        name="Restart the payroll application",
        title="Restart payroll-app",
        description="When payroll-app needs a restart outside an incident (memory growth).",
        implementation_plan="1. Announce in the service channel.\n2. `systemctl restart payroll`.",
        backout_plan="Nothing to undo; if it does not come up, raise an incident.",
        test_plan="Log in to payroll and open a payslip.",
        service=payroll,
        team=team,
        tasks=[{"title": "Announce the restart"}, {"title": "Restart the service"}],
    )
    restart = templates.approve_template(actor=manager, template=restart)
    tonight = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    affected = [items[name] for name in ("payroll-app",) if name in items]
    services.open_standard_change(
        actor=agent,
        template=restart,
        planned_start=tonight,
        planned_end=tonight + timedelta(minutes=30),
        affected_cis=affected,
    )
    upgrade = services.open_change(
        actor=agent,
        title="Upgrade payroll-db to PostgreSQL 17",
        description="Major version upgrade of the payroll database.",
        justification="Version 16 leaves vendor support next year.",
        implementation_plan="1. Stop payroll-app.\n2. `pg_upgrade` payroll-db.\n3. Start.",
        backout_plan="Restore the snapshot taken before the upgrade.",
        test_plan="Run the payroll smoke tests.",
        planned_start=tonight + timedelta(days=6),
        planned_end=tonight + timedelta(days=6, hours=4),
        service=payroll,
        team=team,
        affected_cis=[items[n] for n in ("payroll-db",) if n in items],
        impact=2,
        urgency=3,
    )
    upgrade = services.transition_change(actor=manager, change=upgrade, to="assessment")
    answers = {}
    for question in RiskQuestion.objects.prefetch_related("options"):
        options = list(question.options.order_by("position"))
        answers[question.pk] = options[1].pk if question.position == 1 else options[0].pk
    upgrade, _ = risk.assess_risk(actor=manager, change=upgrade, answers=answers)
    upgrade = services.transition_change(actor=manager, change=upgrade, to="approval")
    board = ApprovalBoard.objects.filter(name="CAB").first()
    if board is not None:
        cab.create_meeting(
            actor=manager,
            board=board,
            starts_at=tonight + timedelta(days=2),
            location="Room 2.14 and video",
            agenda=[upgrade],
        )
    fix = services.open_change(
        actor=agent,
        change_type="emergency",
        title="Replace the failed power supply of esx-01",
        implementation_plan="Swap the PSU (hot-swappable).",
        backout_plan="Put the old PSU back.",
        planned_start=timezone.now() - timedelta(hours=5),
        planned_end=timezone.now() - timedelta(hours=4),
        affected_cis=[items[n] for n in ("esx-01",) if n in items],
        team=team,
    )
    fix = services.transition_change(actor=manager, change=fix, to="approval")
    ecab = fix.approvals.filter(board__name="ECAB").first()
    if ecab is not None:
        approvals.vote(actor=manager, request=ecab, decision="approve", comment="Go ahead.")
    fix = Change.objects.get(pk=fix.pk)
    fix = services.transition_change(actor=manager, change=fix, to="implementing")
    fix = services.transition_change(actor=manager, change=fix, to="review")
    services.record_review(
        actor=manager,
        change=fix,
        outcome="successful",
        review_notes="Swapped in 10 minutes; monitoring flagged the PSU a day late.",
    )
    return "Demo changes: 3 changes, 4 boards, 1 template, 1 CAB meeting."


_CI_NAMES = ("Payroll", "payroll-app", "payroll-db", "esx-01")
