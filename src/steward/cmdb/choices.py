"""Choices of the CMDB."""

from django.db import models


class CIStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_SERVICE = "in_service", "In service"
    MAINTENANCE = "maintenance", "Under maintenance"
    RETIRED = "retired", "Retired"


class CITypeKind(models.TextChoices):
    """What a type describes: business and technical services, or the parts they run on."""

    BUSINESS_SERVICE = "business_service", "Business service"
    TECHNICAL_SERVICE = "technical_service", "Technical service"
    COMPONENT = "component", "Component"

    @classmethod
    def services(cls) -> tuple[str, str]:
        return (cls.BUSINESS_SERVICE.value, cls.TECHNICAL_SERVICE.value)
