"""The release and media-library pages: lists (matrix, query counts), planning, the release
panel, deployments, registering by upload, approving, verifying; who reaches what."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_person
from steward.releases import services
from steward.releases.choices import ArtefactState, DeploymentState, Environment
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

pytestmark = pytest.mark.django_db


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_requesters_reach_no_release_or_library_page(settings: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}
    deployment = make_deployment()
    artefact = deployment.artefacts.get()
    client = signed_in(make_person())
    for url in (
        reverse("releases:release_list"),
        reverse("releases:release_create"),
        reverse("releases:artefact_list"),
        reverse("releases:artefact_create"),
        reverse("releases:verify"),
        reverse("releases:artefact_detail", args=[artefact.pk]),
        reverse("releases:deployment_detail", args=[deployment.pk]),
        reverse("releases:release_edit", args=[deployment.release.number]),
    ):
        assert client.get(url).status_code == 404, url


def test_agents_read_but_get_no_forms() -> None:
    deployment = make_deployment()
    artefact = deployment.artefacts.get()
    client = signed_in(make_agent())
    listed = client.get(reverse("releases:release_list"))
    assert deployment.release.number in listed.content.decode()
    assert b"new-release" not in listed.content
    page = client.get(deployment.release.get_absolute_url()).content.decode()
    assert 'data-testid="deployment-matrix"' in page
    assert 'data-testid="plan-deployment"' not in page
    detail = client.get(reverse("releases:artefact_detail", args=[artefact.pk]))
    assert b'data-testid="move-approved"' not in detail.content
    assert b'data-testid="verify"' not in detail.content
    assert client.get(reverse("releases:release_create")).status_code == 403
    assert client.get(reverse("releases:artefact_create")).status_code == 403
    moved = client.post(
        reverse("releases:deployment_move", args=[deployment.pk]),
        {"to": "in_progress", "version": deployment.version},
    )
    assert moved.status_code == 302
    assert Deployment.objects.get(pk=deployment.pk).state == DeploymentState.PLANNED


def test_the_list_shows_the_latest_deployment_per_environment_in_a_fixed_number_of_queries() -> (
    None
):
    client = signed_in(make_release_manager())

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("releases:release_list")).status_code == 200
        return len(queries)

    first = make_deployment(environment=Environment.TEST)
    make_succeeded(first)
    few = count()
    for _ in range(5):
        make_succeeded(make_deployment(environment=Environment.STAGING))
    assert count() == few
    page = client.get(reverse("releases:release_list")).content.decode()
    assert first.release.number in page
    assert "Succeeded" in page


def test_planning_and_editing_a_release_from_the_pages() -> None:
    manager = make_release_manager()
    client = signed_in(manager)
    bad = client.post(
        reverse("releases:release_create"),
        {
            "title": "Portal 7",
            "release_version": "7.0",
            "release_type": "major",
            "planned_start": "2026-12-02T10:00",
            "planned_end": "2026-12-01T10:00",
        },
    )
    assert bad.status_code == 200
    assert "before the planned start" in bad.content.decode()
    assert not Release.objects.exists()
    done = client.post(
        reverse("releases:release_create"),
        {"title": "Portal 7", "release_version": "7.0", "release_type": "major"},
    )
    release = Release.objects.get()
    assert done.status_code == 302 and done["Location"] == release.get_absolute_url()
    edited = client.post(
        reverse("releases:release_edit", args=[release.number]),
        {
            "title": "Portal 7",
            "release_version": "7.0.1",
            "release_type": "minor",
            "version": release.version,
        },
    )
    assert edited.status_code == 302
    assert Release.objects.get().release_version == "7.0.1"


def test_the_release_page_groups_changes_and_artefacts_and_plans_deployments() -> None:
    manager = make_release_manager()
    client = signed_in(manager)
    release, change = make_release(), make_scheduled_change()
    artefact = make_artefact(approved=True)
    client.post(
        reverse("releases:release_changes", args=[release.number]),
        {"numbers": f"{change.number}", "version": release.version},
    )
    release.refresh_from_db()
    client.post(
        reverse("releases:release_artefacts", args=[release.number]),
        {"artefacts": [artefact.pk], "version": release.version},
    )
    release.refresh_from_db()
    assert list(release.changes.all()) == [change]
    assert list(release.artefacts.all()) == [artefact]
    unknown = client.post(
        reverse("releases:release_changes", args=[release.number]),
        {"numbers": "CHG9999999", "version": release.version},
        follow=True,
    )
    assert "No change CHG9999999" in unknown.content.decode()
    assert list(release.changes.all()) == [change]
    page = client.get(release.get_absolute_url()).content.decode()
    assert change.number in page and str(artefact) in page
    planned = client.post(
        reverse("releases:deployment_create", args=[release.number]),
        {"environment": "test", "notes": ""},
    )
    deployment = Deployment.objects.get()
    assert planned["Location"] == deployment.get_absolute_url()
    move = reverse("releases:deployment_move", args=[deployment.pk])
    client.post(move, {"to": "in_progress", "version": deployment.version})
    deployment.refresh_from_db()
    client.post(move, {"to": "succeeded", "notes": "Green.", "version": deployment.version})
    deployment.refresh_from_db()
    assert (deployment.state, deployment.deployed_by) == (DeploymentState.SUCCEEDED, manager)
    detail = client.get(deployment.get_absolute_url()).content.decode()
    assert "deployment.transitioned" in detail


def test_planning_a_deployment_of_a_draft_shows_the_reason() -> None:
    client = signed_in(make_release_manager())
    release, draft = make_release(), make_artefact()
    refused = client.post(
        reverse("releases:deployment_create", args=[release.number]),
        {"environment": "test", "artefacts": [draft.pk]},
    )
    assert refused.status_code == 400
    assert "Only approved DML artefacts" in refused.content.decode()
    assert not Deployment.objects.exists()


def test_registering_by_upload_approving_and_verifying_from_the_pages() -> None:
    manager = make_release_manager()
    client = signed_in(manager)
    data = content_of(4242)
    created = client.post(
        reverse("releases:artefact_create"),
        {
            "name": "portal",
            "artefact_version": "8.0",
            "location": "s3://dml/portal-8.0.tgz",
            "file": SimpleUploadedFile("portal.tgz", data),
        },
    )
    artefact = DmlArtefact.objects.get()
    assert created["Location"] == artefact.get_absolute_url()
    assert artefact.checksum == hashlib.sha256(data).hexdigest()
    missing = client.post(
        reverse("releases:artefact_create"),
        {"name": "portal", "artefact_version": "9.0", "location": "x"},
    )
    assert missing.status_code == 400 and "upload the file" in missing.content.decode()
    client.post(
        reverse("releases:artefact_move", args=[artefact.pk, "approved"]),
        {"version": artefact.version},
    )
    artefact.refresh_from_db()
    assert (artefact.state, artefact.approved_by) == (ArtefactState.APPROVED, manager)
    verified = client.post(
        reverse("releases:artefact_verify", args=[artefact.pk]),
        {"file": SimpleUploadedFile("copy.tgz", data + b"x")},
        follow=True,
    )
    assert "does NOT match" in verified.content.decode()
    found = client.post(
        reverse("releases:verify"), {"file": SimpleUploadedFile("c.tgz", data)}, follow=True
    )
    assert "matches portal@8.0" in found.content.decode()
    history = found.content.decode()
    assert history.count("copy.tgz") == 1 and "c.tgz" in history
    assert DmlVerification.objects.count() == 2


def test_the_library_list_filters_and_costs_the_same_for_more_rows() -> None:
    client = signed_in(make_agent())
    make_artefact(name="portal", approved=True)
    make_artefact(name="mailer")

    def fetch(**params: str) -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("releases:artefact_list"), params)
        return response.content.decode(), len(queries)

    page, few = fetch(state="approved")
    assert "portal" in page and "mailer" not in page
    for _ in range(5):
        make_artefact()
    assert fetch()[1] == few


def test_a_stale_artefact_edit_is_a_form_error() -> None:
    manager = make_release_manager()
    artefact = make_artefact()
    services.update_artefact(actor=manager, artefact=artefact, licence="GPL")
    stale = signed_in(manager).post(
        reverse("releases:artefact_edit", args=[artefact.pk]),
        {
            "name": artefact.name,
            "artefact_version": artefact.artefact_version,
            "checksum": artefact.checksum,
            "size_bytes": artefact.size_bytes,
            "location": "elsewhere",
            "version": artefact.version,
        },
    )
    assert stale.status_code == 400 and "changed meanwhile" in stale.content.decode()
    assert DmlArtefact.objects.get().location == artefact.location


def test_a_change_page_lists_the_releases_that_group_it() -> None:
    release, change = make_release(), make_scheduled_change()
    services.set_release_changes(actor=None, release=release, changes=[change])
    page = signed_in(make_agent()).get(change.get_absolute_url()).content.decode()
    assert 'data-testid="change-releases"' in page and release.number in page
