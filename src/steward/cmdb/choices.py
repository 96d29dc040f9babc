"""Choices of the CMDB."""

from collections.abc import Sequence

from django.db import models


class CIStatus(models.TextChoices):
    """A CI's lifecycle, from the plan to its retirement."""

    PLANNED = "planned", "Planned"
    ORDERED = "ordered", "Ordered"
    IN_STOCK = "in_stock", "In stock"
    DEPLOYED = "deployed", "Deployed"
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


class AttributeKind(models.TextChoices):
    """The type of a class attribute's values."""

    STRING = "string", "Text"
    INTEGER = "integer", "Whole number"
    DECIMAL = "decimal", "Decimal number"
    BOOLEAN = "boolean", "Yes / no"
    DATE = "date", "Date"
    CHOICE = "choice", "Choice from a list"
    REFERENCE = "reference", "Reference to a CI"
    IP_ADDRESS = "ip_address", "IP address"
    URL = "url", "URL"


class ImpactDirection(models.TextChoices):
    """Which way a failure travels along a relationship of a type."""

    TO_SOURCE = "to_source", "Target affects source (the source relies on the target)"
    TO_TARGET = "to_target", "Source affects target (the target relies on the source)"
    BOTH = "both", "Both ways"
    NONE = "none", "No impact"


class ImpactWay(models.TextChoices):
    """Impact analysis: what a CI's failure affects, or what the CI relies on."""

    DOWNSTREAM = "downstream", "Downstream (what it affects)"
    UPSTREAM = "upstream", "Upstream (what it relies on)"


#: The deepest class hierarchy allowed (hardware > server > virtual server).
MAX_CLASS_DEPTH = 3
#: Deepest impact analysis asked for.
MAX_IMPACT_DEPTH = 10

#: Sources of attribute values, the most trusted first. A value from one source is not
#: overwritten by an import from a source further down the list (a discovery feed does not
#: overwrite what a person curated); unknown sources rank last.
SOURCE_PRECEDENCE = ("manual", "import", "discovery")
MANUAL = "manual"


def source_rank(source: str, order: Sequence[str] = ()) -> int:
    """Where ``source`` stands in ``order`` (a class's or an attribute's own precedence,
    most trusted first), else in :data:`SOURCE_PRECEDENCE`; lower is more trusted and
    sources not listed rank last."""
    order = tuple(order) or SOURCE_PRECEDENCE
    return order.index(source) if source in order else len(order)
