"""Release, deployment and media-library services: rules, refusals, audit, roles."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from steward.accounts.tests.factories import make_agent, make_person
from steward.changes.tests.factories import make_change
from steward.core import workflow
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from steward.core.models import AuditEntry
from steward.releases import checksums, services
from steward.releases.choices import (
    ArtefactState,
    DeploymentState,
    Environment,
    ReleaseState,
    VerificationResult,
)
from steward.releases.models import Deployment, DmlArtefact, DmlVerification, Release
from steward.releases.tests.factories import (
    content_of,
    make_artefact,
    make_deployment,
    make_release,
    make_release_manager,
    make_scheduled_change,
    make_succeeded,
)
from steward.releases.workflows import RELEASE_WORKFLOWS

pytestmark = pytest.mark.django_db


def actions(obj: object) -> list[str]:
    return list(
        AuditEntry.objects.for_object(obj).order_by("id").values_list("action", flat=True)  # type: ignore[arg-type]
    )


def test_every_profile_declares_a_sound_release_workflow_with_fewer_states_when_smaller() -> None:
    sizes = {}
    for profile, declared in RELEASE_WORKFLOWS.items():
        assert declared is not None and declared.problems() == [], profile
        sizes[profile] = len(declared.states)
    assert sizes["full"] > sizes["lite"] > sizes["fits"] == sizes["core"]


# --- releases --------------------------------------------------------------------------------


def test_a_release_is_a_numbered_ticket_of_its_own_kind_in_planning() -> None:
    manager = make_release_manager()
    release = services.open_release(
        actor=manager, title="Portal 3", release_version=" 3.0.0 ", release_type="major"
    )
    assert release.number.startswith("RLS")
    assert release.kind == "releases.release"
    assert (release.state, release.release_version, release.requester) == (
        ReleaseState.PLANNING,
        "3.0.0",
        manager,
    )
    assert release.organisation is None
    assert actions(release) == ["release.created"]


def test_planning_is_refused_with_reasons_and_for_roles_without_the_right() -> None:
    manager = make_release_manager()
    start = timezone.now()
    with pytest.raises(RuleViolation) as refused:
        services.open_release(
            actor=manager,
            title="x",
            release_version="1",
            planned_start=start,
            planned_end=start - timedelta(hours=1),
        )
    assert "planned_end" in refused.value.message_dict
    with pytest.raises(RuleViolation):
        services.open_release(actor=manager, title="x", release_version="  ")
    with pytest.raises(Forbidden):
        services.open_release(actor=make_agent(), title="x", release_version="1")
    with pytest.raises(Forbidden):
        services.open_release(actor=make_person(), title="x", release_version="1")
    assert not Release.objects.exists()


def test_editing_a_release_is_audited_and_checks_the_version_read() -> None:
    manager = make_release_manager()
    release = make_release(actor=manager)
    edited = services.update_release(
        actor=manager, release=release, expected_version=release.version, release_version="9.9"
    )
    assert edited.release_version == "9.9"
    assert edited.version == release.version + 1
    with pytest.raises(Conflict):
        services.update_release(
            actor=manager, release=edited, expected_version=release.version, title="stale"
        )
    with pytest.raises(Forbidden):
        services.update_release(actor=make_agent(), release=edited, title="agent")
    assert Release.objects.get(pk=release.pk).title == release.title
    assert actions(release) == ["release.created", "release.updated"]


def test_retired_artefacts_are_not_shipped() -> None:
    release = make_release()
    retired = services.retire_artefact(actor=None, artefact=make_artefact())
    with pytest.raises(RuleViolation, match="retired"):
        services.set_release_artefacts(actor=None, release=release, artefacts=[retired])
    assert not release.artefacts.exists()


def test_changes_are_grouped_and_closed_ones_refused() -> None:
    manager = make_release_manager()
    release = make_release(actor=manager)
    change = make_change()
    release = services.set_release_changes(actor=manager, release=release, changes=[change])
    assert list(release.changes.all()) == [change]
    assert "release.changes_set" in actions(release)
    cancelled = workflow.transition(
        make_change(), to="cancelled", actor=None, values={"resolution": "Not needed."}
    )
    with pytest.raises(RuleViolation, match="cancelled"):
        services.set_release_changes(actor=manager, release=release, changes=[cancelled])
    assert list(release.changes.all()) == [change]


# --- the way to production -----------------------------------------------------------------


def _to_deploying(release: Release) -> Release:
    for state in (ReleaseState.BUILD, ReleaseState.TEST, ReleaseState.READY):
        release = services.transition_release(actor=None, release=release, to=state)
    return services.transition_release(actor=None, release=release, to=ReleaseState.DEPLOYING)


def test_production_needs_approved_changes_and_a_succeeded_test_or_staging_deployment() -> None:
    artefact = make_artefact(approved=True)
    release = make_release(artefacts=[artefact])
    waiting = make_change()
    services.set_release_changes(actor=None, release=release, changes=[waiting])
    for state in (ReleaseState.BUILD, ReleaseState.TEST, ReleaseState.READY):
        release = services.transition_release(actor=None, release=release, to=state)
    # a change not approved: refused, with the change named
    with pytest.raises(RuleViolation, match=waiting.number):
        services.transition_release(actor=None, release=release, to=ReleaseState.DEPLOYING)
    services.set_release_changes(actor=None, release=release, changes=[make_scheduled_change()])
    # approved changes, but never tried in test or staging (the policy)
    with pytest.raises(RuleViolation, match="test or staging"):
        services.transition_release(actor=None, release=release, to=ReleaseState.DEPLOYING)
    assert Release.objects.get(pk=release.pk).state == ReleaseState.READY
    make_succeeded(make_deployment(release=release, environment=Environment.STAGING))
    release = services.transition_release(actor=None, release=release, to=ReleaseState.DEPLOYING)
    assert release.actual_start is not None
    # deployed only once production succeeded
    with pytest.raises(RuleViolation, match="production"):
        services.transition_release(actor=None, release=release, to=ReleaseState.DEPLOYED)
    make_succeeded(make_deployment(release=release, environment=Environment.PRODUCTION))
    release = services.transition_release(actor=None, release=release, to=ReleaseState.DEPLOYED)
    assert release.actual_end is not None
    assert release.state_category == "resolved"


@override_settings(STEWARD={"RELEASE_PRODUCTION_NEEDS_PRE_PRODUCTION": False})
def test_the_policy_may_let_a_release_go_to_production_untried() -> None:
    release = make_release(artefacts=[make_artefact(approved=True)])
    release = _to_deploying(release)
    assert release.state == ReleaseState.DEPLOYING


def test_a_production_deployment_starts_only_while_the_release_is_deploying() -> None:
    release = make_release(artefacts=[make_artefact(approved=True)])
    production = make_deployment(release=release, environment=Environment.PRODUCTION)
    with pytest.raises(RuleViolation, match="Deploying"):
        services.transition_deployment(
            actor=None, deployment=production, to=DeploymentState.IN_PROGRESS
        )
    assert Deployment.objects.get(pk=production.pk).state == DeploymentState.PLANNED


# --- deployments -----------------------------------------------------------------------------


def test_a_deployment_records_who_deployed_when_and_is_audited() -> None:
    manager = make_release_manager()
    artefact = make_artefact(approved=True)
    release = make_release(actor=manager, artefacts=[artefact])
    deployment = services.plan_deployment(
        actor=manager, release=release, environment=Environment.TEST
    )
    assert list(deployment.artefacts.all()) == [artefact]  # the release's own
    deployment = services.transition_deployment(
        actor=manager, deployment=deployment, to=DeploymentState.IN_PROGRESS
    )
    assert deployment.deployed_by == manager and deployment.started_at is not None
    with pytest.raises(RuleViolation) as refused:  # a failure needs notes
        services.transition_deployment(
            actor=manager, deployment=deployment, to=DeploymentState.FAILED
        )
    assert "notes" in refused.value.message_dict
    deployment = services.transition_deployment(
        actor=manager, deployment=deployment, to=DeploymentState.FAILED, notes="Disk full."
    )
    assert deployment.finished_at is not None
    deployment = services.transition_deployment(
        actor=manager, deployment=deployment, to=DeploymentState.ROLLED_BACK, notes="Restored."
    )
    assert actions(deployment) == [
        "deployment.created",
        "deployment.transitioned",
        "deployment.transitioned",
        "deployment.transitioned",
    ]


def test_only_approved_artefacts_are_deployed_with_a_clear_reason() -> None:
    draft = make_artefact()
    release = make_release()
    with pytest.raises(RuleViolation) as refused:
        services.plan_deployment(
            actor=None, release=release, environment=Environment.TEST, artefacts=[draft]
        )
    assert f"{draft} (draft)" in refused.value.message_dict["artefacts"][0]
    assert "approved" in refused.value.message_dict["artefacts"][0]
    assert not Deployment.objects.exists()


@override_settings(STEWARD={"DEPLOYMENT_APPROVED_ARTEFACTS_ONLY": False})
def test_with_the_policy_off_drafts_deploy_but_retired_artefacts_never() -> None:
    release = make_release()
    draft = make_artefact()
    services.plan_deployment(
        actor=None, release=release, environment=Environment.TEST, artefacts=[draft]
    )
    retired = services.retire_artefact(actor=None, artefact=make_artefact())
    with pytest.raises(RuleViolation, match="Retired"):
        services.plan_deployment(
            actor=None, release=release, environment=Environment.TEST, artefacts=[retired]
        )


def test_an_artefact_retired_after_planning_stops_the_deployment_starting() -> None:
    deployment = make_deployment()
    services.retire_artefact(actor=None, artefact=deployment.artefacts.get())
    with pytest.raises(RuleViolation, match="approved"):
        services.transition_deployment(
            actor=None, deployment=deployment, to=DeploymentState.IN_PROGRESS
        )


def test_agents_and_requesters_neither_plan_nor_move_deployments() -> None:
    deployment = make_deployment()
    for person in (make_agent(), make_person()):
        with pytest.raises((Forbidden, NotFound)):
            services.plan_deployment(
                actor=person, release=deployment.release, environment=Environment.TEST
            )
        with pytest.raises((Forbidden, NotFound)):
            services.transition_deployment(
                actor=person, deployment=deployment, to=DeploymentState.IN_PROGRESS
            )
    assert Deployment.objects.get().state == DeploymentState.PLANNED


def test_a_closed_release_takes_no_deployments() -> None:
    release = make_release()
    release = services.transition_release(
        actor=None, release=release, to=ReleaseState.CANCELLED, values={"resolution": "Dropped."}
    )
    with pytest.raises(RuleViolation, match="no longer open"):
        services.plan_deployment(actor=None, release=release, environment=Environment.TEST)


# --- the media library --------------------------------------------------------------------------


def test_registering_by_file_streams_the_checksum(tmp_path: object) -> None:
    data = b"x" * (3 * 1024 * 1024 + 7)
    chunks = [data[i : i + 1000] for i in range(0, len(data), 1000)]
    artefact = services.register_artefact_from_file(
        actor=make_release_manager(),
        content=iter(chunks),
        name="portal",
        artefact_version="1.0",
        location="s3://dml/portal-1.0.tgz",
    )
    assert artefact.checksum == hashlib.sha256(data).hexdigest()
    assert artefact.size_bytes == len(data)
    assert artefact.state == ArtefactState.DRAFT
    assert actions(artefact) == ["dmlartefact.registered"]


def test_file_chunks_reads_a_file_piece_by_piece(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "build.bin"
    path.write_bytes(b"abc" * 1000)
    pieces = list(checksums.file_chunks(path, chunk_bytes=1000))
    assert [len(p) for p in pieces] == [1000, 1000, 1000]
    assert checksums.digest(pieces).checksum == hashlib.sha256(b"abc" * 1000).hexdigest()


def test_name_and_version_are_unique_and_a_bad_checksum_is_refused() -> None:
    make_artefact(name="portal", artefact_version="1.0")
    with pytest.raises(RuleViolation, match="already in the library"):
        make_artefact(name="portal", artefact_version="1.0")
    with pytest.raises(RuleViolation) as refused:
        make_artefact(checksum="not-a-checksum")
    assert "checksum" in refused.value.message_dict
    with pytest.raises(RuleViolation):
        make_artefact(size_bytes=-1)
    assert DmlArtefact.objects.count() == 1


def test_approval_needs_a_release_manager_and_keeps_who_and_when() -> None:
    artefact = make_artefact()
    with pytest.raises(Forbidden):
        services.approve_artefact(actor=make_agent(), artefact=artefact)
    with pytest.raises(NotFound):
        services.approve_artefact(actor=make_person(), artefact=artefact)
    assert DmlArtefact.objects.get(pk=artefact.pk).state == ArtefactState.DRAFT
    manager = make_release_manager()
    approved = services.approve_artefact(actor=manager, artefact=artefact)
    approved.refresh_from_db()
    assert (approved.state, approved.approved_by) == (ArtefactState.APPROVED, manager)
    assert approved.approved_at is not None
    assert actions(artefact)[-1] == "dmlartefact.transitioned"


def test_an_approved_artefact_keeps_its_identity_but_its_location_may_move() -> None:
    manager = make_release_manager()
    artefact = make_artefact(approved=True)
    with pytest.raises(RuleViolation) as refused:
        services.update_artefact(actor=manager, artefact=artefact, checksum="a" * 64)
    assert "checksum" in refused.value.message_dict
    moved = services.update_artefact(actor=manager, artefact=artefact, location="file:///dml/x")
    assert moved.location == "file:///dml/x"
    assert DmlArtefact.objects.get(pk=artefact.pk).checksum == artefact.checksum


def test_verification_matches_mismatches_and_finds_unknown_files_and_records_each() -> None:
    manager = make_release_manager()
    data = content_of(999)
    artefact = make_artefact(content=data, approved=True)
    match = services.verify_file(
        actor=manager, content=[data], file_name="a.tgz", artefact=artefact
    )
    mismatch = services.verify_file(
        actor=manager, content=[data + b"!"], file_name="b.tgz", artefact=artefact
    )
    found = services.verify_file(actor=manager, content=[data], file_name="c.tgz")
    unknown = services.verify_file(actor=None, content=[b"stranger"], file_name="d.tgz")
    assert [c.result for c in (match, mismatch, found, unknown)] == [
        VerificationResult.MATCH,
        VerificationResult.MISMATCH,
        VerificationResult.MATCH,
        VerificationResult.UNKNOWN,
    ]
    assert found.artefact == artefact and unknown.artefact is None
    assert match.checked_by == manager
    assert DmlVerification.objects.count() == 4
    assert AuditEntry.objects.filter(action="dmlverification.recorded").count() == 4
    with pytest.raises(Forbidden):
        services.verify_file(actor=make_agent(), content=[data], file_name="e.tgz")
    assert DmlVerification.objects.count() == 4


def test_find_artefact_reads_name_at_version() -> None:
    artefact = make_artefact(name="lib@core", artefact_version="2.0")
    assert services.find_artefact("lib@core@2.0") == artefact
    with pytest.raises(RuleViolation, match="NAME@VERSION"):
        services.find_artefact("no-version")
    with pytest.raises(RuleViolation, match="No artefact"):
        services.find_artefact("lib@core@3.0")
