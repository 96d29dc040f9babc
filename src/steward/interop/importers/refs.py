"""The people, teams, organisations, categories and CIs an import refers to.

Each is made once, through its app's own service (validated and audited like any other
creation), the first time a file names it, and remembered as an ``ImportedRecord`` so a
rerun (or the next file of the same source) finds it again. They are committed as they are
made, before the cases that use them: a stopped import leaves no half case, only reference
records the next run reuses.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from steward.accounts import services as accounts
from steward.accounts.choices import OrganisationKind, RoleCode
from steward.accounts.models import Organisation, Person, Role, Team, TeamMembership
from steward.accounts.services import PERSON_FIELDS
from steward.cmdb.choices import CITypeKind
from steward.cmdb.models import CIType, ConfigurationItem
from steward.cmdb.services import classes as ci_classes
from steward.cmdb.services import items as ci_items
from steward.core import audit
from steward.incidents.models import Category
from steward.incidents.services import categories
from steward.incidents.services.categories import CATEGORY_FIELDS
from steward.interop.models import ImportedRecord

#: Imported people cannot sign in (no password) and their addresses go nowhere.
EMAIL_DOMAIN = "import.invalid"


def _slug(text: str, limit: int = 40) -> str:
    return (slugify(text) or "x")[:limit].strip("-") or "x"


class Refs:
    """Get-or-create of one source's reference records, cached for the run."""

    def __init__(self, source: str, *, run_id: int | None = None) -> None:
        self.source = source
        self.run_id = run_id
        self.tag = _slug(source, 20)
        self.reload()

    def reload(self) -> None:
        """Forget what this run made (after a rolled-back batch) and read it all again."""
        self.created: dict[str, int] = {}
        self._ids: dict[tuple[str, str], int] = {
            (kind, external): int(object_id)
            for kind, external, object_id in ImportedRecord.objects.filter(
                source=self.source
            ).values_list("kind", "external_id", "object_id")
        }
        self._people: dict[int, Person] = {}
        self._member_cache: set[tuple[int, int]] | None = None
        self._teams: dict[int, Team] = {}
        self._ci_types: dict[str, CIType] = {}

    # --- bookkeeping --------------------------------------------------------------------------

    def known(self, kind: str, external: str) -> int | None:
        return self._ids.get((kind, external))

    def _remember(self, kind: str, external: str, obj: Any) -> int:
        ImportedRecord.objects.create(
            source=self.source,
            kind=kind,
            external_id=external[:200],
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            run_id=self.run_id,
        )
        self._ids[(kind, external)] = int(obj.pk)
        self.created[kind] = self.created.get(kind, 0) + 1
        return int(obj.pk)

    # --- organisations ------------------------------------------------------------------------

    def organisation(self, external: str, name: str, *, parent: int | None = None) -> int:
        found = self.known("organisation", external)
        if found is not None:
            return found
        with transaction.atomic(durable=False):
            code = f"{self.tag}-{_slug(external, 28)}"
            existing = Organisation.objects.filter(code=code).first()
            organisation = existing or accounts.create_organisation(
                actor=None,
                name=name[:200],
                code=code,
                kind=OrganisationKind.CUSTOMER,
                parent=Organisation.objects.get(pk=parent) if parent else None,
            )
            return self._remember("organisation", external, organisation)

    # --- people -------------------------------------------------------------------------------

    def person(self, external: str, *, organisation: int | None = None, staff: bool = False) -> int:
        found = self.known("person", external)
        if found is not None:
            return found
        with transaction.atomic(durable=False):
            email = self._email(external)
            if Person.objects.filter(email=email).exists():
                email = self._email(external, distinct=True)
            person = Person.objects.filter(email=email).first() or accounts.create_person(
                actor=None,
                email=email,
                full_name=external[:200],
                organisation=Organisation.objects.get(pk=organisation) if organisation else None,
                roles=(RoleCode.AGENT,) if staff else (RoleCode.REQUESTER,),
            )
            self._people[person.pk] = person
            return self._remember("person", external, person)

    def people(self, wanted: dict[str, tuple[int | None, bool]]) -> None:
        """Make every person of ``wanted`` (name -> organisation, staff?) not made yet, in a
        few statements: the rows ``accounts.services.create_person`` writes (the person
        with no usable password, the role, the ``person.created`` entry), in bulk."""
        missing = {
            name: spec for name, spec in wanted.items() if self.known("person", name) is None
        }
        if not missing:
            return
        plain = {name: self._email(name) for name in missing}
        taken = set(Person.objects.filter(email__in=plain.values()).values_list("email", flat=True))
        emails: dict[str, str] = {}
        for name, email in plain.items():
            # two names with one slug ("Anne Claire", "Anne-Claire") stay two people
            clash = email in taken or email in emails.values()
            emails[name] = self._email(name, distinct=True) if clash else email
        existing = dict(Person.objects.filter(email__in=emails.values()).values_list("email", "pk"))
        fresh: list[Person] = []
        for name, (organisation, _staff) in missing.items():
            if emails[name] in existing:
                continue
            person = Person(email=emails[name], full_name=name[:200], organisation_id=organisation)
            person.set_unusable_password()
            fresh.append(person)
        Person.objects.bulk_create(fresh)
        roles = dict(
            Role.objects.filter(code__in=(RoleCode.AGENT, RoleCode.REQUESTER)).values_list(
                "code", "pk"
            )
        )
        by_email = {p.email: p for p in fresh}
        links = []
        for name, (_organisation, staff) in missing.items():
            made = by_email.get(emails[name])
            if made is not None:
                code = RoleCode.AGENT if staff else RoleCode.REQUESTER
                links.append(Person.roles.through(person_id=made.pk, role_id=roles[code]))
        Person.roles.through.objects.bulk_create(links)
        audit.record_many(
            {
                "actor": None,
                "action": "person.created",
                "obj": person,
                "changes": audit.diff(
                    {},
                    {
                        **audit.snapshot(person, PERSON_FIELDS),
                        "roles": [link.role_id for link in links if link.person_id == person.pk],
                        "serves_organisations": [],
                    },
                ),
            }
            for person in fresh
        )
        records = []
        for name in missing:
            pk = by_email[emails[name]].pk if emails[name] in by_email else existing[emails[name]]
            records.append(
                ImportedRecord(
                    source=self.source,
                    kind="person",
                    external_id=name[:200],
                    object_type=Person._meta.label_lower,
                    object_id=str(pk),
                    run_id=self.run_id,
                )
            )
            self._ids[("person", name)] = int(pk)
        ImportedRecord.objects.bulk_create(records)
        self.created["person"] = self.created.get("person", 0) + len(records)

    def _email(self, external: str, *, distinct: bool = False) -> str:
        local = _slug(external, 60)
        if distinct:
            local = f"{local[:50]}-{hashlib.sha1(external.encode()).hexdigest()[:8]}"
        return f"{local}@{self.tag}.{EMAIL_DOMAIN}"

    def person_obj(self, pk: int) -> Person:
        """A person as the audit log needs it (id and e-mail), read once per run."""
        person = self._people.get(pk)
        if person is None:
            person = Person.objects.only("id", "email").get(pk=pk)
            self._people[pk] = person
        return person

    # --- teams --------------------------------------------------------------------------------

    def team(self, external: str, *, support_line: int = 1, organisation: int | None = None) -> int:
        found = self.known("team", external)
        if found is not None:
            return found
        with transaction.atomic(durable=False):
            name = external.strip()[:120]
            if Team.objects.filter(name__iexact=name).exists():
                name = f"{name} ({self.source})"[:120]
            team = Team.objects.filter(name__iexact=name).first() or accounts.create_team(
                actor=None,
                name=name,
                support_line=support_line,
                organisation=Organisation.objects.get(pk=organisation) if organisation else None,
                description=f"Imported from {self.source}.",
            )
            return self._remember("team", external, team)

    def membership(self, team: int, person: int) -> None:
        """``person`` works in ``team`` (as the source shows them assigned there)."""
        if self._member_cache is None:  # the memberships of this source's teams, read once
            teams = [pk for (kind, _), pk in self._ids.items() if kind == "team"]
            self._member_cache = set(
                TeamMembership.objects.filter(team_id__in=teams).values_list("team_id", "person_id")
            )
        if (team, person) in self._member_cache:
            return
        if team not in self._teams:
            self._teams[team] = Team.objects.get(pk=team)
        accounts.add_team_member(actor=None, team=self._teams[team], person=Person(pk=person))
        self.created["membership"] = self.created.get("membership", 0) + 1
        self._member_cache.add((team, person))

    # --- incident categories ------------------------------------------------------------------

    def categories(self, pairs: set[tuple[str, str]]) -> None:
        """Make the categories and subcategories of ``pairs`` (category, subcategory or "")
        not made yet, in bulk: the rows and the ``category.created`` entries
        ``incidents.services.create_category`` writes (parents first)."""
        roots = {name for name, _ in pairs if self.known("category", name) is None}
        self._bulk_categories({name: None for name in roots})
        wanted: dict[str, tuple[str, int]] = {}
        for name, sub in pairs:
            parent = self.known("category", name)
            if sub and parent is not None and self.known("category", f"{parent}/{sub}") is None:
                wanted[f"{parent}/{sub}"] = (sub, parent)
        children: dict[str, int | None] = {key: parent for key, (_, parent) in wanted.items()}
        self._bulk_categories(children, names={key: sub for key, (sub, _) in wanted.items()})

    def _bulk_categories(
        self, wanted: dict[str, int | None], *, names: dict[str, str] | None = None
    ) -> None:
        if not wanted:
            return
        existing: dict[tuple[int | None, str], int] = {
            (parent, name): pk
            for pk, parent, name in Category.objects.filter(
                name__in=[(names or {}).get(k, k) for k in wanted]
            ).values_list("pk", "parent_id", "name")
        }
        fresh: dict[str, Category] = {}
        found: dict[str, int] = {}
        for key, parent in wanted.items():
            name = (names or {}).get(key, key).strip()
            if (parent, name) in existing:
                found[key] = existing[(parent, name)]
                continue
            suffix = _slug(name, 30)
            code = f"{self.tag}-{parent}-{suffix}" if parent else f"{self.tag}-{suffix}"
            fresh[key] = Category(name=name, code=code[:50], parent_id=parent)
        Category.objects.bulk_create(fresh.values())
        audit.record_many(
            {
                "actor": None,
                "action": "category.created",
                "obj": category,
                "changes": audit.diff({}, audit.snapshot(category, CATEGORY_FIELDS)),
            }
            for category in fresh.values()
        )
        made = {**found, **{key: int(category.pk) for key, category in fresh.items()}}
        ImportedRecord.objects.bulk_create(
            ImportedRecord(
                source=self.source,
                kind="category",
                external_id=key[:200],
                object_type=Category._meta.label_lower,
                object_id=str(pk),
                run_id=self.run_id,
            )
            for key, pk in made.items()
        )
        self._ids.update({("category", key): pk for key, pk in made.items()})
        self.created["category"] = self.created.get("category", 0) + len(made)

    def category(self, name: str, *, parent: int | None = None) -> int:
        external = f"{parent}/{name}" if parent else name
        found = self.known("category", external)
        if found is not None:
            return found
        with transaction.atomic(durable=False):
            existing = Category.objects.filter(parent_id=parent, name=name.strip()).first()
            suffix = _slug(name, 30)
            code = f"{self.tag}-{parent}-{suffix}" if parent else f"{self.tag}-{suffix}"
            category = existing or categories.create_category(
                actor=None,
                name=name,
                code=code[:50],
                parent=Category.objects.get(pk=parent) if parent else None,
            )
            return self._remember("category", external, category)

    # --- configuration items ------------------------------------------------------------------

    def ci_type(self, code: str, name: str, kind: str = CITypeKind.COMPONENT) -> CIType:
        if code not in self._ci_types:
            with transaction.atomic(durable=False):
                self._ci_types[code] = CIType.objects.filter(
                    code=code
                ).first() or ci_classes.create_ci_type(actor=None, code=code, name=name, kind=kind)
        return self._ci_types[code]

    def ci(self, external: str, *, type_code: str, type_name: str, **values: Any) -> int:
        found = self.known("ci", external)
        if found is not None:
            return found
        ci_type = self.ci_type(type_code, type_name)
        with transaction.atomic(durable=False):
            item = ci_items.create_ci(
                actor=None, name=external[:200], ci_type=ci_type, source="import", **values
            )
            return self._remember("ci", external, item)

    def cis(self, wanted: dict[str, tuple[CIType, str]]) -> None:
        """Make every CI of ``wanted`` (name -> class, description) not made yet, in bulk:
        the row and the ``ci.created`` entry ``cmdb.services.create_ci`` writes."""
        missing = {name: spec for name, spec in wanted.items() if self.known("ci", name) is None}
        if not missing:
            return
        fresh = [
            ConfigurationItem(
                name=name.removeprefix("service:")[:200],
                ci_type=ci_type,
                description=description,
                attribute_sources={},
            )
            for name, (ci_type, description) in missing.items()
        ]
        ConfigurationItem.objects.bulk_create(fresh)
        audit.record_many(
            {
                "actor": None,
                "action": "ci.created",
                "obj": item,
                "changes": audit.diff(
                    {}, {**audit.snapshot(item, ci_items.PLAIN_FIELDS), "customers": []}
                ),
            }
            for item in fresh
        )
        ImportedRecord.objects.bulk_create(
            ImportedRecord(
                source=self.source,
                kind="ci",
                external_id=name[:200],
                object_type=ConfigurationItem._meta.label_lower,
                object_id=str(item.pk),
                run_id=self.run_id,
            )
            for name, item in zip(missing, fresh, strict=True)
        )
        for name, item in zip(missing, fresh, strict=True):
            self._ids[("ci", name)] = int(item.pk)
        self.created["ci"] = self.created.get("ci", 0) + len(fresh)

    def ci_pk(self, external: str) -> int | None:
        return self.known("ci", external)


_LINE = re.compile(r"\s+(1st|2nd|3rd)$")


def split_support_line(team: str) -> tuple[str, str]:
    """``"V5 3rd"`` -> (``"V5"``, ``"3rd"``); no suffix -> (team, "")."""
    match = _LINE.search(team)
    if not match:
        return team, ""
    return team[: match.start()], match.group(1)


def ci_exists(pk: int) -> bool:
    return ConfigurationItem.objects.filter(pk=pk).exists()
