"""Governance: what the platform proves about its own processes.

No tables yet: the KPI report, the variant view and the process-mining exports read live
records and the audit log. :class:`Report` only carries the rights to see them.
"""

from __future__ import annotations

from django.db import models

#: The right to see the service KPIs, the lifecycle variants and the process-mining exports.
VIEW_KPIS = "governance.view_kpis"


class Report(models.Model):
    """The governance reports (KPIs, variants, event-log exports): no table, only rights.

    Unmanaged and without default permissions: it exists so that ``governance.view_kpis``
    has a home that roles can be given (``accounts.roles``).
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_kpis", "Can see service KPIs, lifecycle variants and event-log exports")
        ]

    def __str__(self) -> str:
        return "Governance reports"
