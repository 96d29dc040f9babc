"""Approvals of changes: the boards a change's approval path names are asked, for one plan
revision; their approvers vote (themselves, or a delegate while they are away); each
board's rule decides. When every board approved, the change is scheduled; when a board
rejects, the change is cancelled with the board's reason.

A board's rule counts the approvers asked (``ApprovalRequest.approvers``): it *approves*
once the approvals reach what it needs (any: 1, all: every one, majority: more than half,
quorum N: N, at most all of them) and *rejects* once that can no longer happen.

Votes come from the web, the API or a reply to the approval e-mail, whose signed token
(``django.core.signing``, salted, carrying the invitation and the revision) works once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from steward.accounts.models import Person
from steward.changes import impact
from steward.changes.choices import (
    ApprovalPath,
    ApprovalRule,
    ApprovalState,
    BoardKind,
    ChangeState,
    ChangeType,
    Decision,
    VoteChannel,
)
from steward.changes.models import (
    ApprovalBoard,
    ApprovalInvitation,
    ApprovalRequest,
    Change,
    Delegation,
    Vote,
)
from steward.core import audit, policy, workflow
from steward.core.errors import Forbidden, RuleViolation

TOKEN_SALT = "steward.changes.approval"
#: How long an approval e-mail's token is good for.
TOKEN_MAX_AGE = 14 * 24 * 3600
#: The line of an approval e-mail that carries its token (a reply quotes it).
TOKEN_PREFIX = "Approval token:"


# --- who is asked ----------------------------------------------------------------------------


def approval_path(change: Change) -> str | None:
    """The path a change's approval takes: emergencies have their own; normal changes
    follow their risk class; standard changes need none."""
    if change.change_type == ChangeType.STANDARD:
        return None
    if change.change_type == ChangeType.EMERGENCY:
        return ApprovalPath.EMERGENCY
    return change.risk_class or None


def boards_for(change: Change) -> list[ApprovalBoard]:
    """The active boards on the change's approval path (boards are few: filtered here)."""
    path = approval_path(change)
    if path is None:
        return []
    return [b for b in ApprovalBoard.objects.filter(is_active=True) if b.on_path(path)]


def approvers_of(board: ApprovalBoard, change: Change) -> list[Person]:
    """The people who approve for ``board``: its members, or the owners of the services the
    change affects for the service owners' board."""
    if board.kind == BoardKind.SERVICE_OWNERS:
        owners = {
            s.owner.pk: s.owner
            for s in impact.affected_services(change.pk)
            if s.owner is not None and s.owner.is_active
        }
        return sorted(owners.values(), key=lambda p: p.pk)
    return list(board.members.filter(is_active=True).order_by("pk"))


def current_requests(change: Change) -> list[ApprovalRequest]:
    """The requests for the change's current plan revision that still count."""
    return list(
        ApprovalRequest.objects.filter(change=change, revision=change.plan_revision)
        .exclude(state=ApprovalState.WITHDRAWN)
        .select_related("board")
    )


def approval_refusal(change: Change) -> str | None:
    """Why the change is not approved for its current revision (``None``: it is)."""
    requests = current_requests(change)
    if not requests:
        if not boards_for(change):
            return "No board is set up to approve this change; ask an administrator."
        return "Approval has not been asked for this revision of the plan."
    waiting = [r.board.name for r in requests if r.state != ApprovalState.APPROVED]
    if waiting:
        return f"Not approved yet by: {', '.join(sorted(waiting))}."
    return None


def open_requests(change: Change, *, actor: Any) -> list[ApprovalRequest]:
    """Ask each board of the change's path to approve its current revision (idempotent).

    A service owners' board with no owner to ask approves at once (nobody to ask, said in
    the audit entry); another board without members stays pending (``approval_refusal``
    names it) until an administrator gives it members and the change is sent again.
    """
    made = []
    for board in boards_for(change):
        request, created = ApprovalRequest.objects.get_or_create(
            change=change,
            board=board,
            revision=change.plan_revision,
            defaults={"rule": board.rule, "quorum": board.quorum},
        )
        if not created:
            continue
        people = approvers_of(board, change)
        request.approvers.set(people)
        for person in people:
            ApprovalInvitation.objects.create(request=request, person=person)
        audit.record(
            actor=actor,
            action="change.approval_requested",
            obj=change,
            changes={
                "board": board.name,
                "revision": change.plan_revision,
                "approvers": [p.pk for p in people],
            },
            object_repr=change.number,
        )
        if not people and board.kind == BoardKind.SERVICE_OWNERS:
            _decide(request, ApprovalState.APPROVED, actor=actor, note="no service owner to ask")
        made.append(request)
    return made


def withdraw_pending(change: Change, *, actor: Any, reason: str) -> int:
    """Withdraw the change's pending requests (a new revision, the change left approval)."""
    pending = list(
        ApprovalRequest.objects.filter(change=change, state=ApprovalState.PENDING).select_related(
            "board"
        )
    )
    now = timezone.now()
    for request in pending:
        request.state = ApprovalState.WITHDRAWN
        request.decided_at = now
        request.save(update_fields=["state", "decided_at"])
        audit.record(
            actor=actor,
            action="change.approval_withdrawn",
            obj=change,
            changes={"board": request.board.name, "revision": request.revision, "reason": reason},
            object_repr=change.number,
        )
    return len(pending)


# --- counting --------------------------------------------------------------------------------


def needed(rule: str, quorum: int | None, approvers: int) -> int:
    """How many approvals a rule needs of ``approvers`` people."""
    if rule == ApprovalRule.ALL:
        return approvers
    if rule == ApprovalRule.MAJORITY:
        return approvers // 2 + 1
    if rule == ApprovalRule.QUORUM:
        return min(quorum or 1, approvers)
    return 1 if approvers else 0


def outcome_of(rule: str, quorum: int | None, approvers: int, yes: int, no: int) -> str:
    """Pending, approved or rejected, from the votes so far."""
    need = needed(rule, quorum, approvers)
    if approvers and yes >= need:
        return ApprovalState.APPROVED
    if approvers and yes + (approvers - yes - no) < need:
        return ApprovalState.REJECTED
    return ApprovalState.PENDING


def _decide(request: ApprovalRequest, state: str, *, actor: Any, note: str = "") -> None:
    request.state = state
    request.decided_at = timezone.now()
    request.save(update_fields=["state", "decided_at"])
    change = request.change
    audit.record(
        actor=actor,
        action="change.approval_decided",
        obj=change,
        changes={
            "board": request.board.name,
            "revision": request.revision,
            "state": state,
            **({"note": note} if note else {}),
        },
        object_repr=change.number,
    )
    if change.state != ChangeState.APPROVAL:
        return
    if state == ApprovalState.APPROVED and approval_refusal(change) is None:
        workflow.transition(change, to=ChangeState.SCHEDULED, actor=None)
    elif state == ApprovalState.REJECTED:
        withdraw_pending(change, actor=actor, reason=f"rejected by {request.board.name}")
        current = workflow.workflow_for(Change)
        target = ChangeState.CANCELLED if current.state(ChangeState.CANCELLED) else None
        target = target or ChangeState.CLOSED
        workflow.transition(
            change,
            to=target,
            actor=None,
            values={"resolution": f"Rejected by {request.board.name}."},
        )


# --- voting ----------------------------------------------------------------------------------


def delegation_covers(delegate: Person, person: Person, at: datetime | None = None) -> bool:
    """Does ``delegate`` vote for ``person`` now? A dated delegation while its period
    lasts; an open-ended one while ``person`` is marked away."""
    at = at or timezone.now()
    periods = Delegation.objects.filter(person=person, delegate=delegate, starts_at__lte=at)
    while_away = Q(ends_at__isnull=True, person__is_away=True)
    return periods.filter(Q(ends_at__gt=at) | while_away).exists()


def votable_for(actor: Person, request: ApprovalRequest) -> list[Person]:
    """The approvers of ``request`` ``actor`` may vote for (themselves, and whom they stand
    in for) who have not voted yet."""
    voted = set(request.votes.values_list("on_behalf_of_id", flat=True))
    found = []
    for person in request.approvers.all():
        if person.pk in voted:
            continue
        if person.pk == actor.pk or delegation_covers(actor, person):
            found.append(person)
    return found


@transaction.atomic
def vote(
    *,
    actor: Person,
    request: ApprovalRequest,
    decision: str,
    comment: str = "",
    on_behalf_of: Person | None = None,
    revision: int | None = None,
    channel: str = VoteChannel.WEB,
) -> Vote:
    """``actor`` approves or rejects for themselves (or for ``on_behalf_of``, whom they stand
    in for). Refused, changing nothing: a decided or withdrawn request, a plan edited since
    (``revision`` is the one the voter saw), somebody not asked, a second vote."""
    locked = (
        ApprovalRequest.objects.select_for_update()
        .select_related("board", "change")
        .get(pk=request.pk)
    )
    change = Change.objects.select_for_update().get(pk=locked.change_id)
    locked.change = change
    policy.require(actor, "view", change)
    if decision not in Decision.values:
        raise RuleViolation({"decision": "Approve or reject."})
    if not isinstance(comment, str) or len(comment) > 5000:
        raise RuleViolation({"comment": "At most 5,000 characters of text."})
    if locked.revision != change.plan_revision or (
        revision is not None and revision != change.plan_revision
    ):
        raise RuleViolation(
            {
                "revision": f"The change was edited after approval was asked (revision "
                f"{revision or locked.revision}, now {change.plan_revision}): vote on the "
                "current revision."
            }
        )
    if locked.state != ApprovalState.PENDING:
        raise RuleViolation(
            {"request": f"{locked.board.name} has already decided ({locked.get_state_display()})."}
        )
    member = on_behalf_of or actor
    if not locked.approvers.filter(pk=member.pk).exists():
        if on_behalf_of is None:
            raise Forbidden(f"You are not an approver of {locked.board.name} for this change.")
        raise RuleViolation({"on_behalf_of": f"{member} is not an approver of this change."})
    if member.pk != actor.pk and not delegation_covers(actor, member):
        raise Forbidden(f"You do not stand in for {member} now.")
    if Vote.objects.filter(request=locked, on_behalf_of=member).exists():
        raise RuleViolation({"decision": f"{member} has already voted on this request."})
    cast = Vote.objects.create(
        request=locked,
        person=actor,
        on_behalf_of=member,
        decision=decision,
        comment=comment,
        channel=channel,
    )
    audit.record(
        actor=actor,
        action="change.voted",
        obj=change,
        changes={
            "board": locked.board.name,
            "revision": locked.revision,
            "decision": decision,
            "on_behalf_of": member.pk,
            "channel": channel,
            **({"comment": comment} if comment else {}),
        },
        object_repr=change.number,
    )
    counts = list(locked.votes.values_list("decision", flat=True))
    state = outcome_of(
        locked.rule,
        locked.quorum,
        locked.approvers.count(),
        counts.count(Decision.APPROVE),
        counts.count(Decision.REJECT),
    )
    if state != ApprovalState.PENDING:
        _decide(locked, state, actor=actor)
    return cast


# --- approval by e-mail ----------------------------------------------------------------------


def make_token(invitation: ApprovalInvitation) -> str:
    """The signed token of one approval e-mail: the invitation and the revision asked."""
    return signing.dumps(
        {"i": invitation.pk, "r": invitation.request.revision},
        salt=TOKEN_SALT,
        compress=False,
    )


def token_for(change_id: int, person_id: int | None) -> str:
    """The token line for ``person``'s pending approval of the change (empty if none)."""
    if person_id is None:
        return ""
    invitation = (
        ApprovalInvitation.objects.filter(
            request__change_id=change_id,
            request__state=ApprovalState.PENDING,
            person_id=person_id,
            used_at__isnull=True,
        )
        .select_related("request")
        .order_by("-request__revision", "-id")
        .first()
    )
    return f"{TOKEN_PREFIX} {make_token(invitation)}" if invitation else ""


def find_token(text: str) -> str | None:
    """The approval token quoted in an e-mail's text, if any."""
    for line in text.splitlines():
        stripped = line.lstrip("> \t")
        if stripped.startswith(TOKEN_PREFIX):
            token = stripped[len(TOKEN_PREFIX) :].strip()
            return token or None
    return None


_APPROVE = {"approve", "approved", "yes", "accept", "accepted", "ok"}
_REJECT = {"reject", "rejected", "no", "decline", "declined", "refuse"}


def decision_of(text: str) -> tuple[str, str]:
    """The decision (the first word of the reply) and the rest as the comment."""
    lines = [line.strip() for line in text.strip().splitlines()]
    body = [line for line in lines if line and not line.startswith(">")]
    if not body:
        raise RuleViolation({"decision": "Start the reply with APPROVE or REJECT."})
    first, _, rest = body[0].partition(" ")
    word = first.strip(".,!:;").casefold()
    comment = "\n".join([rest.strip(), *body[1:]]).strip()
    comment = "\n".join(line for line in comment.splitlines() if TOKEN_PREFIX not in line)
    if word in _APPROVE:
        return Decision.APPROVE, comment
    if word in _REJECT:
        return Decision.REJECT, comment
    raise RuleViolation({"decision": "Start the reply with APPROVE or REJECT."})


def _read_token(token: str) -> tuple[ApprovalInvitation, int]:
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise RuleViolation({"token": "The approval token has expired."}) from exc
    except signing.BadSignature as exc:
        raise RuleViolation(
            {"token": "The approval token is not valid (forged or damaged)."}
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise RuleViolation({"token": "The approval token is not valid (forged or damaged)."})
    invitation = (
        ApprovalInvitation.objects.select_for_update()
        .select_related("request", "person")
        .filter(pk=data["i"])
        .first()
    )
    if invitation is None:
        raise RuleViolation({"token": "The approval this token was for no longer exists."})
    return invitation, int(data.get("r", 0))


@transaction.atomic
def vote_by_email(*, sender: str, token: str, reply_text: str) -> Change:
    """A reply to an approval e-mail: the sender votes as its first word says. Refused,
    changing nothing, when the token is forged, expired, used before, for another revision,
    or the sender is neither the approver asked nor their delegate now."""
    invitation, revision = _read_token(token)
    if invitation.used_at is not None:
        raise RuleViolation({"token": "This approval token was already used."})
    request = invitation.request
    change = Change.objects.get(pk=request.change_id)
    if revision != request.revision or revision != change.plan_revision:
        raise RuleViolation(
            {
                "token": f"The token is for revision {revision} of {change.number}'s plan; it "
                f"is now at revision {change.plan_revision}."
            }
        )
    person = Person.objects.filter(email__iexact=sender, is_active=True).first()
    if person is None:
        raise RuleViolation({"token": f"{sender} is not a known, active person."})
    decision, comment = decision_of(reply_text)
    vote(
        actor=person,
        request=request,
        decision=decision,
        comment=comment,
        on_behalf_of=invitation.person if invitation.person_id != person.pk else None,
        revision=revision,
        channel=VoteChannel.EMAIL,
    )
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    return change


# --- boards and delegations (administration) -------------------------------------------------

BOARD_FIELDS = ("name", "kind", "rule", "quorum", "paths", "is_active")


def _check_board(values: dict[str, Any]) -> None:
    if values.get("rule") == ApprovalRule.QUORUM and not values.get("quorum"):
        raise RuleViolation({"quorum": "Say how many approvals make the quorum."})
    paths = values.get("paths", [])
    if not isinstance(paths, list) or any(p not in ApprovalPath.values for p in paths):
        raise RuleViolation({"paths": "Choose among low, moderate, high and emergency."})


def _require_board_admin(actor: Person | None, action: str) -> None:
    if actor is not None and not policy.has_model_permission(actor, ApprovalBoard, action):
        raise Forbidden("Only change managers and administrators set up approval boards.")


@transaction.atomic
def create_board(
    *, actor: Person | None, members: Iterable[Person] = (), **values: Any
) -> ApprovalBoard:
    """Set up a board: its kind, rule, members and the approval paths it is asked on."""
    _require_board_admin(actor, "add")
    unknown = set(values) - set(BOARD_FIELDS)
    if unknown:
        raise RuleViolation({name: "This field cannot be set." for name in sorted(unknown)})
    _check_board(values)
    board = ApprovalBoard(**values)
    board.full_clean()
    board.save()
    board.members.set(list(members))
    audit.record(
        actor=actor,
        action="approval_board.created",
        obj=board,
        changes={
            **audit.diff({}, audit.snapshot(board, BOARD_FIELDS)),
            "members": [[], sorted(p.pk for p in members)],
        },
        object_repr=board.name,
    )
    return board


@transaction.atomic
def update_board(
    *,
    actor: Person | None,
    board: ApprovalBoard,
    members: Iterable[Person] | None = None,
    **changes: Any,
) -> ApprovalBoard:
    """Change a board (requests already made keep the rule and approvers they had)."""
    _require_board_admin(actor, "change")
    unknown = set(changes) - set(BOARD_FIELDS)
    if unknown:
        raise RuleViolation({name: "This field cannot be changed." for name in sorted(unknown)})
    locked = ApprovalBoard.objects.select_for_update().get(pk=board.pk)
    before = audit.snapshot(locked, BOARD_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    _check_board({name: getattr(locked, name) for name in BOARD_FIELDS})
    locked.full_clean()
    locked.save()
    changed = audit.diff(before, audit.snapshot(locked, BOARD_FIELDS))
    if members is not None:
        old = sorted(locked.members.values_list("pk", flat=True))
        new = sorted(p.pk for p in members)
        if old != new:
            locked.members.set(list(members))
            changed["members"] = [old, new]
    if changed:
        audit.record(
            actor=actor,
            action="approval_board.updated",
            obj=locked,
            changes=changed,
            object_repr=locked.name,
        )
    return locked


@transaction.atomic
def add_delegation(
    *,
    actor: Person,
    person: Person,
    delegate: Person,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Delegation:
    """``delegate`` votes for ``person`` in a period (no end: while ``person`` is away).
    People set up their own delegations; change managers anybody's."""
    if person.pk != actor.pk and not policy.has_model_permission(actor, Delegation, "add"):
        raise Forbidden("You may only hand your own votes to a delegate.")
    if delegate.pk == person.pk:
        raise RuleViolation({"delegate": "Choose somebody else."})
    if not delegate.is_active or not delegate.is_staff_member:
        raise RuleViolation({"delegate": "Choose active staff."})
    start = starts_at or timezone.now()
    if ends_at is not None and ends_at <= start:
        raise RuleViolation({"ends_at": "The end must be after the start."})
    delegation = Delegation.objects.create(
        person=person, delegate=delegate, starts_at=start, ends_at=ends_at
    )
    audit.record(
        actor=actor,
        action="delegation.created",
        obj=delegation,
        changes={
            "person": person.pk,
            "delegate": delegate.pk,
            "starts_at": start.isoformat(),
            "ends_at": ends_at.isoformat() if ends_at else None,
        },
        object_repr=str(delegation),
    )
    return delegation


@transaction.atomic
def end_delegation(*, actor: Person, delegation: Delegation) -> Delegation:
    """End a delegation now (its holder, or a change manager)."""
    if delegation.person_id != actor.pk and not policy.has_model_permission(
        actor, Delegation, "change"
    ):
        raise Forbidden("You may only end your own delegations.")
    now = timezone.now()
    if delegation.ends_at is not None and delegation.ends_at <= now:
        raise RuleViolation({"ends_at": "This delegation has already ended."})
    before = delegation.ends_at
    delegation.ends_at = max(now, delegation.starts_at + timedelta(seconds=1))
    delegation.save(update_fields=["ends_at"])
    audit.record(
        actor=actor,
        action="delegation.ended",
        obj=delegation,
        changes={
            "ends_at": [before.isoformat() if before else None, delegation.ends_at.isoformat()]
        },
        object_repr=str(delegation),
    )
    return delegation
