"""The demo data set includes releases and a media library, loaded through the services."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from steward.releases.choices import ArtefactState, DeploymentState, Environment, ReleaseState
from steward.releases.demo import load
from steward.releases.models import Deployment, DmlArtefact, Release

pytestmark = pytest.mark.django_db


def test_the_demo_plans_releases_tries_one_in_test_and_fills_the_library() -> None:
    call_command("demo", stdout=io.StringIO(), stderr=io.StringIO())
    assert Release.objects.count() == 2
    major = Release.objects.get(release_version="4.2.0")
    assert major.state == ReleaseState.TEST
    assert major.artefacts.count() == 2
    tried = Deployment.objects.get(release=major, environment=Environment.TEST)
    assert tried.state == DeploymentState.SUCCEEDED and tried.deployed_by is not None
    assert Deployment.objects.filter(release=major, environment=Environment.STAGING).exists()
    states = sorted(DmlArtefact.objects.values_list("state", flat=True))
    assert states.count(ArtefactState.APPROVED) == 3 and ArtefactState.DRAFT in states
    assert load() == "Demo releases already present."
