"""Every write to the CMDB: classes, CIs, relationships. Actor first, one transaction, audit."""

from steward.cmdb.services.baselines import compare_baseline, create_baseline
from steward.cmdb.services.classes import (
    create_attribute,
    create_ci_type,
    create_relationship_type,
    rebuild_edges,
    remove_attribute,
    update_attribute,
    update_ci_type,
    update_relationship_type,
)
from steward.cmdb.services.items import CI_FIELDS, create_ci, set_ci_attributes, update_ci
from steward.cmdb.services.relationships import (
    check_relationship,
    create_relationship,
    delete_relationship,
)

__all__ = [
    "CI_FIELDS",
    "check_relationship",
    "compare_baseline",
    "create_baseline",
    "create_attribute",
    "create_ci",
    "create_ci_type",
    "create_relationship",
    "create_relationship_type",
    "delete_relationship",
    "rebuild_edges",
    "remove_attribute",
    "set_ci_attributes",
    "update_attribute",
    "update_ci",
    "update_ci_type",
    "update_relationship_type",
]
