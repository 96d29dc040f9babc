"""The ``steward`` command for operators. Every subcommand is scriptable without prompts.

steward run                      migrate, demo data on first start, web + worker
steward worker                   background tasks and the periodic schedule
steward createadmin --email E --password P
steward token create E [--name N] [--days D]   prints only the new token
steward check                    configuration, database, migrations, worker
steward demo                     load the demo data set (idempotent)
steward manage <django command>  any Django management command
"""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line

SUBCOMMANDS = {
    "run": "run",
    "worker": "worker",
    "createadmin": "createadmin",
    "token": "token",
    "check": "stewardcheck",
    "demo": "demo",
}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    if len(args) < 2 or args[1] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    name = args[1]
    if name == "manage":
        execute_from_command_line(["steward", *args[2:]])
        return
    if name not in SUBCOMMANDS:
        print(f"steward: unknown command {name!r}\n{__doc__}", file=sys.stderr)
        sys.exit(2)
    execute_from_command_line(["steward", SUBCOMMANDS[name], *args[2:]])


if __name__ == "__main__":
    main()
