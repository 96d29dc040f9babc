"""The release, deployment and media-library API through the shared permission harness,
plus their actions (changes, artefacts, transitions, approval, verification by file)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_person
from steward.core.testing import ApiResourceTests, assert_problem
from steward.releases.choices import ArtefactState, DeploymentState, Environment
from steward.releases.models import Deployment, DmlArtefact, DmlVerification, Release
from steward.releases.tests.factories import (
    make_artefact,
    make_deployment,
    make_release,
    make_release_manager,
    make_scheduled_change,
)


def client_for(user: Person) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


class TestReleaseApi(ApiResourceTests):
    basename = "release"
    organisation_scoped = False  # releases belong to no organisation
    filter_cases = [
        ({"release_type": "major"}, lambda r: r.release_type == "major"),
        ({"release_state": "planning"}, lambda r: r.state == "planning"),
    ]

    def make_object(self, organisation: Any) -> Release:
        n = Release.objects.count()
        return make_release(release_type=("major", "minor", "emergency")[n % 3])

    def allowed_user(self, organisation: Any) -> Person:
        return make_release_manager(organisation=organisation)

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {"title": "Portal 5", "release_version": "5.0.0", "release_type": "major"}

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"release_version": f"{obj.release_version}-rc"}


class TestDmlArtefactApi(ApiResourceTests):
    basename = "dmlartefact"
    organisation_scoped = False
    filter_cases = [
        ({"state": "approved"}, lambda a: a.state == "approved"),
        ({"licence": "mit"}, lambda a: a.licence == "MIT"),
    ]

    def make_object(self, organisation: Any) -> DmlArtefact:
        n = DmlArtefact.objects.count()
        return make_artefact(approved=n % 2 == 0, licence=("MIT", "GPL-3.0")[n % 2])

    def allowed_user(self, organisation: Any) -> Person:
        return make_release_manager(organisation=organisation)

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {
            "name": "portal",
            "artefact_version": "5.0.0",
            "checksum": "ab" * 32,
            "size_bytes": 1234,
            "location": "s3://dml/portal-5.0.0.tgz",
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"location": f"{obj.location}.moved"}


class TestDeploymentApi(ApiResourceTests):
    basename = "deployment"
    organisation_scoped = False
    list_query_budget = 9
    filter_cases = [
        ({"environment": "staging"}, lambda d: d.environment == "staging"),
        ({"state": "planned"}, lambda d: d.state == "planned"),
    ]

    def make_object(self, organisation: Any) -> Deployment:
        n = Deployment.objects.count()
        return make_deployment(environment=(Environment.TEST, Environment.STAGING)[n % 2])

    def allowed_user(self, organisation: Any) -> Person:
        return make_release_manager(organisation=organisation)

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        release = make_release(artefacts=[make_artefact(approved=True)])
        return {"release": release.pk, "environment": "development"}


class TestDmlVerificationApi(ApiResourceTests):
    basename = "dmlverification"
    organisation_scoped = False
    filter_cases = [({"result": "unknown"}, lambda v: v.result == "unknown")]

    def make_object(self, organisation: Any) -> DmlVerification:
        from steward.releases import services

        artefact = make_artefact()
        content = [b"x"] if DmlVerification.objects.count() % 2 else [b"unrelated"]
        return services.verify_file(
            actor=None,
            content=content,
            file_name="f.bin",
            artefact=artefact if content == [b"x"] else None,
        )

    def allowed_user(self, organisation: Any) -> Person:
        return make_agent(organisation=organisation)  # agents read the history

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)


@pytest.mark.django_db
def test_agents_read_the_library_but_neither_register_nor_approve() -> None:
    artefact, agent = make_artefact(), make_agent()
    client = client_for(agent)
    assert client.get(reverse("dmlartefact-detail", args=[artefact.pk])).status_code == 200
    payload = {"name": "x", "artefact_version": "1", "checksum": "a" * 64, "size_bytes": 1}
    assert_problem(client.post(reverse("dmlartefact-list"), payload, format="json"), 403)
    assert_problem(client.post(reverse("dmlartefact-approve", args=[artefact.pk])), 403)
    assert DmlArtefact.objects.get(pk=artefact.pk).state == ArtefactState.DRAFT


@pytest.mark.django_db
def test_a_release_manager_registers_by_file_approves_and_verifies() -> None:
    client = client_for(make_release_manager())
    data = b"portal build " * 5000
    upload = SimpleUploadedFile("portal.tgz", data)
    created = client.post(
        reverse("dmlartefact-list"),
        {"name": "portal", "artefact_version": "6.0", "location": "s3://dml/p6", "file": upload},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["checksum"] == hashlib.sha256(data).hexdigest()
    assert body["size_bytes"] == len(data)
    approved = client.post(reverse("dmlartefact-approve", args=[body["id"]]), {}, format="json")
    assert approved.json()["state"] == "approved" and approved.json()["approved_by"]
    verified = client.post(
        reverse("dmlartefact-verify-one", args=[body["id"]]),
        {"file": SimpleUploadedFile("copy.tgz", data + b"tampered")},
        format="multipart",
    )
    assert verified.json()["result"] == "mismatch"
    found = client.post(
        reverse("dmlartefact-verify-any"),
        {"file": SimpleUploadedFile("copy.tgz", data)},
        format="multipart",
    )
    assert (found.json()["result"], found.json()["artefact"]) == ("match", body["id"])
    history = client.get(reverse("dmlverification-list"), {"artefact": body["id"]})
    assert len(history.json()["results"]) == 2


@pytest.mark.django_db
def test_a_duplicate_or_incomplete_artefact_is_a_400_problem() -> None:
    client = client_for(make_release_manager())
    make_artefact(name="portal", artefact_version="1.0")
    payload = {
        "name": "portal",
        "artefact_version": "1.0",
        "checksum": "a" * 64,
        "size_bytes": 3,
        "location": "x",
    }
    body = assert_problem(client.post(reverse("dmlartefact-list"), payload, format="json"), 400)
    assert "already in the library" in str(body)
    payload["artefact_version"] = "2.0"
    del payload["checksum"]
    assert_problem(client.post(reverse("dmlartefact-list"), payload, format="json"), 400)
    assert DmlArtefact.objects.count() == 1


@pytest.mark.django_db
def test_a_deployment_of_a_draft_artefact_is_refused_with_the_reason() -> None:
    client = client_for(make_release_manager())
    release, draft = make_release(), make_artefact()
    refused = client.post(
        reverse("deployment-list"),
        {"release": release.pk, "environment": "test", "artefacts": [draft.pk]},
        format="json",
    )
    body = assert_problem(refused, 400)
    assert "Only approved DML artefacts" in str(body)
    assert not Deployment.objects.exists()


@pytest.mark.django_db
def test_release_changes_artefacts_and_a_deployment_through_the_api() -> None:
    manager = make_release_manager()
    client = client_for(manager)
    release, change = make_release(), make_scheduled_change()
    artefact = make_artefact(approved=True)
    done = client.post(
        reverse("release-set-changes", args=[release.pk]), {"changes": [change.pk]}, format="json"
    )
    assert done.status_code == 200, done.content
    assert done.json()["changes"] == [change.pk]
    done = client.post(
        reverse("release-set-artefacts", args=[release.pk]),
        {"artefacts": [artefact.pk]},
        format="json",
    )
    assert done.json()["artefacts"] == [artefact.pk]
    created = client.post(
        reverse("deployment-list"), {"release": release.pk, "environment": "test"}, format="json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["artefacts"] == [artefact.pk]
    url = reverse("deployment-transition", args=[pk])
    started = client.post(url, {"to": "in_progress"}, format="json")
    assert started.json()["state"] == "in_progress"
    assert started.json()["deployed_by"] == manager.pk
    body = assert_problem(client.post(url, {"to": "failed"}, format="json"), 400)
    assert "notes" in str(body)
    finished = client.post(url, {"to": "succeeded", "notes": "Fine."}, format="json")
    assert finished.json()["state"] == DeploymentState.SUCCEEDED


@pytest.mark.django_db
def test_agents_read_releases_but_do_not_write_them() -> None:
    release, agent = make_release(), make_agent()
    client = client_for(agent)
    assert client.get(reverse("release-detail", args=[release.pk])).status_code == 200
    payload = {"title": "x", "release_version": "1"}
    assert_problem(client.post(reverse("release-list"), payload, format="json"), 403)
    patched = client.patch(
        reverse("release-detail", args=[release.pk]), {"title": "x"}, format="json"
    )
    assert_problem(patched, 403)
    assert Release.objects.get(pk=release.pk).title == release.title
