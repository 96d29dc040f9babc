"""Choices of the accounts app."""

from django.db import models


class RoleCode(models.TextChoices):
    REQUESTER = "requester", "Requester"
    AGENT = "agent", "Agent"
    TEAM_LEAD = "team_lead", "Team lead"
    INCIDENT_MANAGER = "incident_manager", "Incident manager"
    PROBLEM_MANAGER = "problem_manager", "Problem manager"
    KNOWLEDGE_MANAGER = "knowledge_manager", "Knowledge manager"
    CHANGE_MANAGER = "change_manager", "Change manager"
    CONFIGURATION_MANAGER = "configuration_manager", "Configuration manager"
    SERVICE_LEVEL_MANAGER = "service_level_manager", "Service level manager"
    RELEASE_MANAGER = "release_manager", "Release manager"
    CATALOG_MANAGER = "catalog_manager", "Catalog manager"
    CAB_MEMBER = "cab_member", "CAB member"
    SERVICE_OWNER = "service_owner", "Service owner"
    AUDITOR = "auditor", "Auditor"
    ADMINISTRATOR = "administrator", "Administrator"


class OrganisationKind(models.TextChoices):
    PROVIDER = "provider", "Service provider"
    CUSTOMER = "customer", "Customer"
    DEPARTMENT = "department", "Department"
    SUPPLIER = "supplier", "Supplier"


class SupportLine(models.IntegerChoices):
    FIRST = 1, "1st line"
    SECOND = 2, "2nd line"
    THIRD = 3, "3rd line"
