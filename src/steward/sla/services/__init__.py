"""Every write of service level management: definitions, clocks, the sweep."""

from steward.sla.services.clocks import (
    clocks_for,
    compute,
    explain,
    replay,
    resync,
    sync_clocks,
)
from steward.sla.services.definitions import (
    create_agreement,
    create_calendar,
    create_target,
    default_conditions,
    delete_target,
    known_states,
    update_agreement,
    update_calendar,
    update_target,
)
from steward.sla.services.sweep import SweepResult, sweep

__all__ = [
    "SweepResult",
    "clocks_for",
    "compute",
    "create_agreement",
    "create_calendar",
    "create_target",
    "default_conditions",
    "delete_target",
    "explain",
    "known_states",
    "replay",
    "resync",
    "sweep",
    "sync_clocks",
    "update_agreement",
    "update_calendar",
    "update_target",
]
