"""Importers of real public ITSM event logs, one per source (``steward import NAME PATH``).

See docs/development/interop.md: what each source becomes, the mapping tables
(``mappings``), the bulk path (``writer``) and how a run resumes (``base``).
"""

from __future__ import annotations

from steward.interop.importers.base import Importer


def importers() -> dict[str, type[Importer]]:
    """Every importer by its command-line name."""
    from steward.interop.importers.bpic2013 import Bpic2013Importer
    from steward.interop.importers.bpic2014 import Bpic2014Importer
    from steward.interop.importers.servicenow import ServiceNowImporter

    found: dict[str, type[Importer]] = {
        ServiceNowImporter.name: ServiceNowImporter,
        Bpic2013Importer.name: Bpic2013Importer,
        Bpic2014Importer.name: Bpic2014Importer,
    }
    return found
