"""Choices of release management: release types and states, environments, deployment and
artefact states, verification results."""

from django.db import models


class ReleaseType(models.TextChoices):
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    EMERGENCY = "emergency", "Emergency"


class ReleaseState(models.TextChoices):
    """Every state a release may be in, across the process profiles (``workflows.py``)."""

    PLANNING = "planning", "Planning"
    BUILD = "build", "Build"
    TEST = "test", "Test"
    READY = "ready", "Ready"
    DEPLOYING = "deploying", "Deploying"
    DEPLOYED = "deployed", "Deployed"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class Environment(models.TextChoices):
    """Where a release is deployed, in the order a release travels."""

    DEVELOPMENT = "development", "Development"
    TEST = "test", "Test"
    STAGING = "staging", "Staging"
    PRODUCTION = "production", "Production"


#: Environments a release is tried in before production ("passed test/staging").
PRE_PRODUCTION = (Environment.TEST, Environment.STAGING)


class DeploymentState(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    ROLLED_BACK = "rolled_back", "Rolled back"


class ArtefactState(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    RETIRED = "retired", "Retired"


class VerificationResult(models.TextChoices):
    MATCH = "match", "Match"
    MISMATCH = "mismatch", "Mismatch"
    UNKNOWN = "unknown", "Unknown artefact"
