"""Synthetic people, organisations, teams and roles, from 1k to 1M people.

Run against the database the environment configures (``DATABASE_URL``; migrate it first)::

    python -m bench.generate --people 100000 [--seed 1] [--batch-size 2000]

Proportions, for ``--people N``:

* **Organisations**: one per 200 people (at least 3). One is the service provider; 10% of
  all organisations are departments nested one level under a customer; the rest are
  customers. Customer sizes are uneven (log-normal weights): a few large, many small.
* **People**: 8% staff, all in the provider organisation; 92% requesters, spread over the
  customers and departments by those weights. 2% of requesters are deactivated, 1% of
  staff are away.
* **Roles**: every requester holds ``requester``. Staff hold one main role: each of the seven
  process-manager roles goes to 0.5% of staff, ``service_owner`` to 2%, ``auditor`` and
  ``administrator`` to 0.5% each (at least one of each, as far as staff go round), and
  everybody else is an ``agent``. On top, 3% of staff sit on the CAB (``cab_member``) and
  every team lead holds ``team_lead``.
* **Teams**: one per 8 memberships. Every staff member is in one team, a quarter of them in
  a second one, so teams average about 8 members; each team's lead is one of its members
  (an agent where the team has one).

Rows go in with ``bulk_create`` in batches, the many-to-many rows through their through
tables (``Person.roles.through``, ``TeamMembership``), all in one transaction. Every person
shares one password hash (``make_password`` runs once). Organisation paths follow
``accounts.services``: zero-padded 8-digit id segments, each ending in ``/``.

Reproducible: the same ``--seed`` and ``--people`` give the same names, e-mails, roles and
structure, whatever the ``--batch-size`` (and, on a fresh database, the same ids). Generated
rows bypass the services, so they have no audit entries; use a database of their own.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import secrets
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from steward.accounts.choices import OrganisationKind, RoleCode, SupportLine

if TYPE_CHECKING:
    from steward.accounts.models import Person

# Models are imported inside the functions, so ``python -m bench.generate`` can set Django up
# first.

# --- proportions ---------------------------------------------------------------------------

PEOPLE_PER_ORGANISATION = 200
MIN_ORGANISATIONS = 3
DEPARTMENT_SHARE = 0.10
STAFF_SHARE = 0.08
TEAM_MEMBERSHIPS_PER_TEAM = 8
SECOND_TEAM_SHARE = 0.25
INACTIVE_REQUESTER_SHARE = 0.02
AWAY_STAFF_SHARE = 0.01
CAB_SHARE = 0.03
#: Main roles other than ``agent``: (role, share of staff, minimum count).
SPECIALIST_ROLES: tuple[tuple[str, float, int], ...] = (
    (RoleCode.INCIDENT_MANAGER, 0.005, 1),
    (RoleCode.PROBLEM_MANAGER, 0.005, 1),
    (RoleCode.CHANGE_MANAGER, 0.005, 1),
    (RoleCode.CONFIGURATION_MANAGER, 0.005, 1),
    (RoleCode.SERVICE_LEVEL_MANAGER, 0.005, 1),
    (RoleCode.RELEASE_MANAGER, 0.005, 1),
    (RoleCode.CATALOG_MANAGER, 0.005, 1),
    (RoleCode.SERVICE_OWNER, 0.02, 1),
    (RoleCode.AUDITOR, 0.005, 1),
    (RoleCode.ADMINISTRATOR, 0.005, 1),
)
SUPPORT_LINE_WEIGHTS = {SupportLine.FIRST: 0.45, SupportLine.SECOND: 0.35, SupportLine.THIRD: 0.2}

MIN_PEOPLE = 100
MAX_PEOPLE = 5_000_000
DEFAULT_BATCH_SIZE = 2000

PROVIDER_CODE = "bench-provider"
DOMAIN = "bench.test"
#: Sign-up dates run from here, in id order, over ``SIGN_UP_SPAN`` (fixed for reproducibility).
SIGN_UP_START = datetime(2019, 1, 1, tzinfo=UTC)
SIGN_UP_SPAN = timedelta(days=6 * 365)

# --- word lists ----------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Aaliyah Adam Ahmed Aiko Alice Amara Ana Andrés Anna Arjun Aroha Ben Björn Camille Carlos "
    "Chen Chloé Chioma Daniel David Elena Emma Fatima Felix Freya Gabriel Grace Hana Hannah "
    "Hiroshi Ibrahim Ingrid Isabel Ivan Jakub James Jana Javier Jing Joao Kai Kenji Lars Laura "
    "Leila Lena Liam Lucas Luca Maja Maria Mateo Mei Mia Mohammed Nadia Nikos Noah Nora Olivia "
    "Omar Oscar Paul Priya Rahul Rosa Ruth Sam Sara Sean Siobhan Sofia Tariq Tomás Uma Wei "
    "Yara Yusuf Zanele Zoe"
)
LAST_NAMES = _words(
    "Adeyemi Ahmed Andersen Bakker Bianchi Brown Carter Chen Costa Dubois Eriksson Fernández "
    "Fischer García Gonzalez Haddad Hansen Hernández Ito Ivanova Jensen Johnson Kaplan Kim "
    "Kowalski Kumar Larsen Lee Lopez Martin Mensah Moreau Müller Nakamura Nguyen Novak Nowak "
    "O'Brien Okafor Olsen Ortega Patel Petrov Popescu Quinn Raman Rossi Sato Schmidt Silva "
    "Singh Smith Sousa Suzuki Tanaka Taylor Thompson Vargas Wagner Walker Wang Williams "
    "Wilson Yamamoto Yilmaz Zhang"
)
COMPANY_WORDS = _words(
    "Northwind Contoso Fabrikam Tailspin Wingtip Litware Adatum Proseware Lucerne Fourth "
    "Coffee Alpine Blue Yonder Margie Trey Humongous Wide World Graphic Southridge Consolidated "
    "Woodgrove Bellows Datum Relecloud Munson Alderaan Borealis Cascade Meridian"
)
COMPANY_KINDS = _words(
    "Logistics Clinics Schools Insurance Bank Energy Retail Foods Airlines Press Foundry Labs "
    "Council Hospital University Manufacturing Telecom Pharma Hotels Museum"
)
COMPANY_SUFFIXES = ("Ltd", "plc", "GmbH", "BV", "SA", "Inc.", "Group", "Trust", "")
DEPARTMENT_NAMES = (
    "Finance",
    "Human Resources",
    "Sales",
    "Marketing",
    "Operations",
    "Legal",
    "Research",
    "Facilities",
    "Procurement",
    "Customer Care",
)
TEAM_AREAS = (
    "Service Desk",
    "Desktop Support",
    "Network Operations",
    "Platform Engineering",
    "Database Administration",
    "Identity and Access",
    "Security Operations",
    "Application Support",
    "Field Services",
    "Cloud Infrastructure",
    "Telephony",
    "Storage and Backup",
)
STAFF_TITLES = (
    "Service desk analyst",
    "Support engineer",
    "Systems administrator",
    "Network engineer",
    "Database administrator",
    "Security analyst",
    "Cloud engineer",
    "Field technician",
)
REQUESTER_TITLES = (
    "Accountant",
    "Teacher",
    "Nurse",
    "Sales manager",
    "Engineer",
    "Clerk",
    "Analyst",
    "Receptionist",
    "Pharmacist",
    "Buyer",
    "Consultant",
    "Warehouse operative",
)
TIME_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Madrid",
    "America/New_York",
    "America/Chicago",
    "Asia/Singapore",
    "Australia/Sydney",
)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


FIRST_SLUGS = [_slug(name) for name in FIRST_NAMES]
LAST_SLUGS = [_slug(name) for name in LAST_NAMES]


# --- the plan ------------------------------------------------------------------------------


class GenerationError(Exception):
    """The database is not ready for generation (not migrated, or generated already)."""


@dataclass
class Counts:
    """How many of each thing a run of ``--people N`` makes (fixed by N alone)."""

    people: int
    staff: int
    requesters: int
    organisations: int
    departments: int
    customers: int
    teams: int

    @classmethod
    def for_people(cls, people: int) -> Counts:
        if not MIN_PEOPLE <= people <= MAX_PEOPLE:
            raise ValueError(f"people must be between {MIN_PEOPLE} and {MAX_PEOPLE}")
        organisations = max(MIN_ORGANISATIONS, round(people / PEOPLE_PER_ORGANISATION))
        departments = max(1, round(organisations * DEPARTMENT_SHARE))
        customers = organisations - 1 - departments  # one is the provider
        staff = max(1, round(people * STAFF_SHARE))
        memberships = staff * (1 + SECOND_TEAM_SHARE)
        teams = max(1, round(memberships / TEAM_MEMBERSHIPS_PER_TEAM))
        return cls(
            people=people,
            staff=staff,
            requesters=people - staff,
            organisations=organisations,
            departments=departments,
            customers=customers,
            teams=teams,
        )


@dataclass
class StaffPlan:
    """Roles and teams of staff, by staff ordinal (0 .. staff-1), decided before inserting."""

    roles: list[list[str]]
    team_members: list[list[int]]
    team_leads: list[int]


@dataclass
class GenerationResult:
    """What a run created and how long it took."""

    counts: Counts
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _plan_staff(rng: random.Random, counts: Counts) -> StaffPlan:
    staff, team_count = counts.staff, counts.teams
    # Main roles: specialists first from a shuffled order, everybody else is an agent.
    main = [str(RoleCode.AGENT)] * staff
    order = list(range(staff))
    rng.shuffle(order)
    position = 0
    for code, share, minimum in SPECIALIST_ROLES:
        for ordinal in order[position : position + max(minimum, round(staff * share))]:
            main[ordinal] = str(code)
            position += 1
    roles = [[code] for code in main]
    for ordinal in rng.sample(range(staff), min(staff, max(1, round(staff * CAB_SHARE)))):
        roles[ordinal].append(str(RoleCode.CAB_MEMBER))

    # Teams: deal everybody into one team, then a quarter into a second one.
    dealt = list(range(staff))
    rng.shuffle(dealt)
    members: list[list[int]] = [[] for _ in range(team_count)]
    first_team = [0] * staff
    for position, ordinal in enumerate(dealt):
        members[position % team_count].append(ordinal)
        first_team[ordinal] = position % team_count
    if team_count > 1:
        for ordinal in range(staff):
            if rng.random() < SECOND_TEAM_SHARE:
                team = rng.randrange(team_count - 1)
                team += team >= first_team[ordinal]  # any team but the first one
                members[team].append(ordinal)

    # A lead per team, among those for whom it is their first team: an agent if possible.
    # First teams are distinct per person, so nobody leads two teams.
    leads: list[int] = []
    for team, team_members in enumerate(members):
        candidates = [o for o in team_members if first_team[o] == team]
        agents = [o for o in candidates if main[o] == RoleCode.AGENT]
        lead = (agents or candidates)[0]
        leads.append(lead)
        roles[lead].append(str(RoleCode.TEAM_LEAD))
    return StaffPlan(roles=roles, team_members=members, team_leads=leads)


def _company_name(rng: random.Random, number: int) -> str:
    suffix = rng.choice(COMPANY_SUFFIXES)
    name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {suffix}".strip()
    return f"{name} ({number})"


def _path(parent_path: str, pk: int) -> str:
    """The materialised path, as ``accounts.services`` keeps it."""
    return f"{parent_path}{pk:08d}/"


# --- writing -------------------------------------------------------------------------------


@dataclass
class _Organisations:
    provider_id: int
    requester_org_ids: list[int]
    requester_org_weights: list[float]
    domains: dict[int, str]
    time_zones: dict[int, str]


def _create_organisations(rng: random.Random, counts: Counts, batch_size: int) -> _Organisations:
    from steward.accounts.models import Organisation

    provider = Organisation(
        name="Bench IT Services", code=PROVIDER_CODE, kind=OrganisationKind.PROVIDER
    )
    customers = [
        Organisation(
            name=_company_name(rng, n),
            code=f"bench-c{n:07d}",
            kind=OrganisationKind.CUSTOMER,
            requesters_see_organisation=rng.random() < 0.2,
        )
        for n in range(1, counts.customers + 1)
    ]
    top = [provider, *customers]
    Organisation.objects.bulk_create(top, batch_size=batch_size)
    for organisation in top:
        organisation.path = _path("", organisation.pk)
    Organisation.objects.bulk_update(top, ["path"], batch_size=batch_size)

    departments = []
    for n in range(1, counts.departments + 1):
        parent = rng.choice(customers) if customers else provider
        departments.append(
            Organisation(
                name=f"{parent.name}: {rng.choice(DEPARTMENT_NAMES)}",
                code=f"bench-d{n:07d}",
                kind=OrganisationKind.DEPARTMENT,
                parent=parent,
            )
        )
    Organisation.objects.bulk_create(departments, batch_size=batch_size)
    for department in departments:
        assert department.parent is not None
        department.path = _path(department.parent.path, department.pk)
    Organisation.objects.bulk_update(departments, ["path"], batch_size=batch_size)

    requester_orgs = [*customers, *departments] or [provider]
    return _Organisations(
        provider_id=provider.pk,
        requester_org_ids=[o.pk for o in requester_orgs],
        requester_org_weights=[rng.lognormvariate(0.0, 1.0) for _ in requester_orgs],
        domains={o.pk: f"{o.code}.{DOMAIN}" for o in (*top, *departments)},
        time_zones={o.pk: rng.choice(TIME_ZONES) for o in (*top, *departments)},
    )


def _person(
    rng: random.Random,
    *,
    index: int,
    total: int,
    staff: bool,
    organisation_id: int,
    orgs: _Organisations,
    password_hash: str,
) -> Person:
    from steward.accounts.models import Person

    first, last = rng.randrange(len(FIRST_NAMES)), rng.randrange(len(LAST_NAMES))
    joined = SIGN_UP_START + SIGN_UP_SPAN * (index / total) + timedelta(seconds=rng.randrange(3600))
    if staff:
        title = rng.choice(STAFF_TITLES)
        active, away = True, rng.random() < AWAY_STAFF_SHARE
    else:
        title = rng.choice(REQUESTER_TITLES) if rng.random() < 0.7 else ""
        active, away = rng.random() >= INACTIVE_REQUESTER_SHARE, False
    phone = f"+44 20 7946 0{rng.randrange(1000):03d}" if rng.random() < 0.6 else ""
    local_part = f"{FIRST_SLUGS[first]}.{LAST_SLUGS[last]}.{index + 1}"
    return Person(
        email=f"{local_part}@{orgs.domains[organisation_id]}",
        full_name=f"{FIRST_NAMES[first]} {LAST_NAMES[last]}",
        organisation_id=organisation_id,
        job_title=title,
        phone=phone,
        time_zone=orgs.time_zones[organisation_id],
        is_active=active,
        is_away=away,
        date_joined=joined,
        password=password_hash,
    )


def _role_ids() -> dict[str, int]:
    from steward.accounts.models import Role

    ids = dict(Role.objects.values_list("code", "id"))
    missing = sorted(set(RoleCode.values) - set(ids))
    if missing:
        raise GenerationError(
            f"Role rows missing ({', '.join(missing)}): run `migrate` on this database first."
        )
    return ids


def generate(
    *,
    people: int,
    seed: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    password: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> GenerationResult:
    """Create ``people`` people with their organisations, teams and roles; see the module doc.

    ``password`` is everybody's password (default: a random one nobody knows).
    """
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from steward.accounts.models import Organisation, Person, Team, TeamMembership

    started = time.perf_counter()
    say = progress or (lambda message: None)
    counts = Counts.for_people(people)
    rng = random.Random(seed)
    role_ids = _role_ids()
    if Organisation.objects.filter(code=PROVIDER_CODE).exists():
        raise GenerationError("This database holds generated data already; use a fresh one.")
    password_hash = make_password(password or secrets.token_urlsafe(24))
    plan = _plan_staff(rng, counts)
    staff_ordinal = {
        index: ordinal
        for ordinal, index in enumerate(sorted(rng.sample(range(people), counts.staff)))
    }
    PersonRole = Person.roles.through
    result = GenerationResult(counts=counts)

    with transaction.atomic():
        orgs = _create_organisations(rng, counts, batch_size)
        result.rows[Organisation._meta.db_table] = counts.organisations
        say(f"{counts.organisations} organisations")

        cumulative = list(itertools.accumulate(orgs.requester_org_weights))
        staff_pks = [0] * counts.staff
        person_rows = role_rows = 0
        next_report = max(batch_size, people // 20)
        for start in range(0, people, batch_size):
            indices = range(start, min(start + batch_size, people))
            batch = []
            for index in indices:
                # One draw per person, never per batch, so --batch-size leaves the data alone.
                is_staff = index in staff_ordinal
                organisation_id = (
                    orgs.provider_id
                    if is_staff
                    else rng.choices(orgs.requester_org_ids, cum_weights=cumulative)[0]
                )
                batch.append(
                    _person(
                        rng,
                        index=index,
                        total=people,
                        staff=is_staff,
                        organisation_id=organisation_id,
                        orgs=orgs,
                        password_hash=password_hash,
                    )
                )
            Person.objects.bulk_create(batch, batch_size=batch_size)
            links = []
            for index, person in zip(indices, batch, strict=True):
                ordinal = staff_ordinal.get(index)
                if ordinal is None:
                    codes: list[str] = [RoleCode.REQUESTER]
                else:
                    staff_pks[ordinal] = person.pk
                    codes = plan.roles[ordinal]
                links += [PersonRole(person_id=person.pk, role_id=role_ids[c]) for c in codes]
            PersonRole.objects.bulk_create(links, batch_size=batch_size)
            person_rows += len(batch)
            role_rows += len(links)
            if person_rows >= next_report or person_rows == people:
                say(f"{person_rows}/{people} people ({time.perf_counter() - started:.1f}s)")
                next_report += max(batch_size, people // 20)
        result.rows[Person._meta.db_table] = person_rows
        result.rows[PersonRole._meta.db_table] = role_rows

        teams = [
            Team(
                name=f"{TEAM_AREAS[n % len(TEAM_AREAS)]} {n // len(TEAM_AREAS) + 1}",
                email=f"team-{n + 1}@{orgs.domains[orgs.provider_id]}",
                organisation_id=orgs.provider_id,
                support_line=rng.choices(
                    list(SUPPORT_LINE_WEIGHTS), weights=list(SUPPORT_LINE_WEIGHTS.values())
                )[0],
                lead_id=staff_pks[plan.team_leads[n]],
            )
            for n in range(counts.teams)
        ]
        Team.objects.bulk_create(teams, batch_size=batch_size)
        memberships = [
            TeamMembership(team_id=team.pk, person_id=staff_pks[ordinal])
            for team, members in zip(teams, plan.team_members, strict=True)
            for ordinal in members
        ]
        TeamMembership.objects.bulk_create(memberships, batch_size=batch_size)
        result.rows[Team._meta.db_table] = len(teams)
        result.rows[TeamMembership._meta.db_table] = len(memberships)
        say(f"{len(teams)} teams, {len(memberships)} memberships")

    result.seconds = time.perf_counter() - started
    return result


# --- command line --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description="Fill the configured (migrated) database with synthetic people.",
    )
    parser.add_argument("--people", type=int, default=10_000, help="how many (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--password", help="everybody's password (default: random, unknown)")
    args = parser.parse_args(argv)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    django.setup()
    try:
        result = generate(
            people=args.people,
            seed=args.seed,
            batch_size=args.batch_size,
            password=args.password,
            progress=lambda message: print(message, file=sys.stderr),
        )
    except (GenerationError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for table, rows in result.rows.items():
        print(f"{table:28} {rows:>10}")
    print(
        f"Generated {result.total_rows} rows for {args.people} people "
        f"in {result.seconds:.1f}s ({result.total_rows / result.seconds:.0f} rows/s)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
