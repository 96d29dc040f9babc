"""The ``steward`` command for operators. Every subcommand is scriptable without prompts.

steward run                      migrate, demo data on first start, web + worker
steward worker                   background tasks and the periodic schedule
steward createadmin --email E --password P
steward token create E [--name N] [--days D]   prints only the new token
steward check                    configuration, database, migrations, worker
steward demo                     load the demo data set (idempotent)
steward profile [set PROFILE]    show or switch the process profile (full, lite, fits, core)
steward audit verify|seal        check the audit log's hash chain (exit 1 if altered) | seal now
steward report fcr --from D --to D [--team ID] [--json]   first-contact resolution
steward report kpis --from D --to D [--group-by service|team|priority|category|month]
               [--kind incident] [--format json|csv|text]   service KPIs
steward report variants --from D --to D [--kind incident] [--limit N] [--format json|text]
                                 the most frequent lifecycle paths and the deviations
steward export xes|ocel --from D --to D [--kind incident] -o FILE
                                 ticket lifecycles as an XES / OCEL 2.0 event log
steward report changes --from D --to D [--json]   change success rate, emergency ratio
steward mail fetch [--mailbox NAME] | ingest FILE --mailbox NAME | lmtp [--port P]
                                 e-mail in: poll IMAP now, read one .eml, or listen (LMTP)
steward mail send-pending        e-mail out: send the notifications due now; prints counts
steward sla sweep [--at T] | replay NUMBER | explain NUMBER   service level clocks
steward cmdb library             install the CMDB's default classes and relationship types
steward cmdb impact CI [--upstream] [--depth N] [--json]   impact analysis from a CI
steward cmdb import FILE [--dry-run] [--apply-valid] [--as EMAIL]   reconcile CIs from CSV/JSON
steward changes conflicts NUMBER [--start T --end T] [--hops N] [--json]
                                 a change's schedule conflicts (exit 1 if one blocks)
steward knowledge reindex | search QUERY [--limit N] | due [--json]
                                 the knowledge base: rebuild its index, search it, reviews due
steward problems detect [--window DAYS] [--threshold N] [--json]
                                 propose problems for clusters of recurring incidents
steward dml register PATH --name N --version V --location URI [--licence L] [--as EMAIL]
steward dml verify PATH [--artefact NAME@VERSION] [--as EMAIL]   exit 1 on mismatch/unknown
steward dml list [--state S] [--json]   the definitive media library
steward import SOURCE FILE [--tz Z] [--quiet] [--json] [--stop-after N]
                                 import a public event log with its history: sources
                                 servicenow-incidents, bpic2013, bpic2014-changes
steward manage <django command>  any Django management command
"""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line

SUBCOMMANDS = {
    "run": "run",
    "worker": "worker",
    "createadmin": "createadmin",
    "token": "token",
    "check": "stewardcheck",
    "demo": "demo",
    "profile": "profile",
    "audit": "audit",
    "report": "report",
    "export": "export",
    "mail": "mail",
    "sla": "sla",
    "cmdb": "cmdb",
    "knowledge": "knowledge",
    "problems": "problems",
    "dml": "dml",
    "changes": "changes",
    "import": "importlog",
}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    if len(args) < 2 or args[1] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    name = args[1]
    if name != "manage" and name not in SUBCOMMANDS:
        print(f"steward: unknown command {name!r}\n{__doc__}", file=sys.stderr)
        sys.exit(2)
    command = args[2:] if name == "manage" else [SUBCOMMANDS[name], *args[2:]]
    try:
        execute_from_command_line(["steward", *command])
    except ImproperlyConfigured as exc:
        # A settings problem (weak SECRET_KEY, bad DATABASE_URL...) is the operator's to fix:
        # say what is wrong in one line instead of a traceback.
        print(f"steward: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
