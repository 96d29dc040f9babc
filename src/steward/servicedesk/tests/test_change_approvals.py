"""Change approvals by e-mail: the request mail carries a signed, single-use token; a reply
quoting it votes; a forged, replayed or out-of-date token is quarantined with the reason."""

from __future__ import annotations

import pytest

from steward.accounts.choices import RoleCode
from steward.accounts.models import Person
from steward.accounts.tests.factories import make_person
from steward.changes import services as changes
from steward.changes.models import Change, Vote
from steward.changes.services import approvals
from steward.changes.tests.factories import make_assessed, make_board
from steward.core.models import AuditEntry
from steward.servicedesk import inbound
from steward.servicedesk.models.inbound import InboundMessage
from steward.servicedesk.notify import sending
from steward.servicedesk.tests import smtp_server as smtp
from steward.servicedesk.tests.inbound_factories import make_raw
from steward.servicedesk.tests.smtp_server import Collector

pytestmark = pytest.mark.django_db
smtp_server = smtp.smtp_server  # the fixture


def _asked(server: Collector) -> tuple[Change, Person, str]:
    member = make_person(roles=[RoleCode.CAB_MEMBER], email="cab@steward.example")
    make_board(name="CAB", members=[member])
    change = changes.transition_change(actor=None, change=make_assessed(), to="approval")
    sending.send_due()
    (mail,) = server.to("cab@steward.example")
    part = mail.get_body(("plain",))
    assert part is not None
    text = str(part.get_content())
    token_line = next(line for line in text.splitlines() if line.startswith("Approval token:"))
    assert f"[{change.number}] Approval requested" in str(mail["Subject"])
    return change, member, token_line


def _reply(first_line: str, token_line: str, sender: str = "cab@steward.example") -> InboundMessage:
    raw = make_raw(sender=sender, subject="Re: approval", body=f"{first_line}\n\n> {token_line}\n")
    return inbound.ingest(mailbox=None, raw=raw)


def test_a_reply_approves_once_and_a_replay_is_quarantined(smtp_server: Collector) -> None:
    change, member, token_line = _asked(smtp_server)
    message = _reply("APPROVE looks good", token_line)
    assert message.status == "processed"
    vote = Vote.objects.get()
    assert (vote.person, vote.decision, vote.channel) == (member, "approve", "email")
    assert vote.comment == "looks good"
    assert Change.objects.get(pk=change.pk).state == "scheduled"
    replay = _reply("REJECT", token_line)
    assert (replay.status, replay.reason) == ("quarantined", "refused")
    assert "already used" in replay.detail
    assert Vote.objects.count() == 1
    entry = AuditEntry.objects.filter(action="inbound_message.quarantined").get()
    assert "already used" in entry.changes["detail"]


def test_forged_and_out_of_date_tokens_do_nothing(smtp_server: Collector) -> None:
    change, _member, token_line = _asked(smtp_server)
    forged = _reply("APPROVE", token_line[:-3] + "xyz")
    assert forged.status == "quarantined" and "not valid" in forged.detail
    changes.update_change(actor=None, change=change, test_plan="Send a test mail.")
    stale = _reply("APPROVE", token_line)
    assert stale.status == "quarantined" and "revision" in stale.detail
    stranger = make_person(roles=[RoleCode.CAB_MEMBER], email="other@steward.example")
    fresh = approvals.token_for(change.pk, _member.pk)
    by_stranger = _reply("APPROVE", fresh, sender=stranger.email)
    assert by_stranger.status == "quarantined" and "stand in" in by_stranger.detail
    assert not Vote.objects.exists()
    assert Change.objects.get(pk=change.pk).state == "approval"


def test_an_expired_token_or_a_reply_without_a_decision_does_nothing(
    smtp_server: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    change, _member, token_line = _asked(smtp_server)
    undecided = _reply("Looks fine to me", token_line)
    assert undecided.status == "quarantined" and "APPROVE or REJECT" in undecided.detail
    monkeypatch.setattr(approvals, "TOKEN_MAX_AGE", -1)  # every token is past its age
    expired = _reply("APPROVE", token_line)
    assert expired.status == "quarantined" and "expired" in expired.detail
    assert not Vote.objects.exists()
    assert Change.objects.get(pk=change.pk).state == "approval"
