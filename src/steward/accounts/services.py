"""Every change to people, organisations, teams, roles, tokens and second factors."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from steward.accounts.choices import OrganisationKind, RoleCode
from steward.accounts.models import ApiToken, Organisation, Person, Role, Team, TeamMembership
from steward.core import audit, conf, policy
from steward.core.errors import Forbidden, RuleViolation, refuse_unknown

TOKEN_PREFIX = "stw_"
PERSON_FIELDS = (
    "email",
    "full_name",
    "organisation",
    "job_title",
    "phone",
    "time_zone",
    "is_active",
    "is_away",
)
ORGANISATION_FIELDS = ("name", "code", "kind", "parent", "requesters_see_organisation", "is_active")
TEAM_FIELDS = ("name", "description", "email", "organisation", "support_line", "lead", "is_active")


class TokenRejected(Exception):
    """An API token that is unknown, malformed, expired or revoked."""


# --- organisations -------------------------------------------------------------------------


def _path_for(organisation: Organisation) -> str:
    prefix = organisation.parent.path if organisation.parent_id and organisation.parent else ""
    return f"{prefix}{organisation.pk:08d}/"


@transaction.atomic
def create_organisation(
    *,
    actor: Person | None,
    name: str,
    code: str,
    kind: str = OrganisationKind.CUSTOMER,
    parent: Organisation | None = None,
    requesters_see_organisation: bool = False,
) -> Organisation:
    if actor is not None:
        policy.require_add(actor, Organisation)
        if parent is not None:
            policy.require(actor, "view", parent)
    if Organisation.objects.filter(code=code).exists():
        raise RuleViolation({"code": "An organisation with this code already exists."})
    if parent is not None:
        parent = Organisation.objects.get(pk=parent.pk)  # its current path, not a stale copy
    organisation = Organisation(
        name=name,
        code=code,
        kind=kind,
        parent=parent,
        requesters_see_organisation=requesters_see_organisation,
    )
    organisation.full_clean(exclude=["path"])
    organisation.save()
    organisation.path = _path_for(organisation)
    organisation.save(update_fields=["path"])
    audit.record(
        actor=actor,
        action="organisation.created",
        obj=organisation,
        changes=audit.diff({}, audit.snapshot(organisation, ORGANISATION_FIELDS)),
    )
    return organisation


@transaction.atomic
def update_organisation(
    *, actor: Person | None, organisation: Organisation, **changes: Any
) -> Organisation:
    refuse_unknown(changes, ORGANISATION_FIELDS)
    if actor is not None:
        policy.require(actor, "change", organisation)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = audit.snapshot(organisation, ORGANISATION_FIELDS)
    new_parent = changes.get("parent", organisation.parent)
    if "parent" in changes and new_parent is not None:
        # The caller's copy may predate another move; its stale path would let a cycle in.
        new_parent = Organisation.objects.select_for_update().get(pk=new_parent.pk)
        changes["parent"] = new_parent
        if new_parent.path.startswith(organisation.path):
            raise RuleViolation({"parent": "An organisation cannot sit inside itself."})
        if actor is not None:
            policy.require(actor, "view", new_parent)
    for name, value in changes.items():
        setattr(organisation, name, value)
    organisation.full_clean(exclude=["path"], validate_unique=True)
    old_path = organisation.path
    organisation.path = _path_for(organisation)
    organisation.save()
    if organisation.path != old_path:
        _move_subtree(old_path, organisation.path)
    changed = audit.diff(before, audit.snapshot(organisation, ORGANISATION_FIELDS))
    if changed:
        audit.record(actor=actor, action="organisation.updated", obj=organisation, changes=changed)
    return organisation


def _move_subtree(old_path: str, new_path: str) -> None:
    descendants = Organisation.objects.filter(path__startswith=old_path).exclude(path=old_path)
    for child in descendants.only("pk", "path"):
        child.path = new_path + child.path[len(old_path) :]
        child.save(update_fields=["path"])


# --- people --------------------------------------------------------------------------------


def _validate_password(password: str, person: Person | None) -> None:
    try:
        password_validation.validate_password(password, person)
    except ValidationError as exc:
        raise RuleViolation({"password": exc.messages}) from exc


def _roles(codes: Iterable[str]) -> list[Role]:
    wanted = set(codes)
    roles = list(Role.objects.filter(code__in=wanted))
    missing = wanted - {role.code for role in roles}
    if missing:
        raise RuleViolation({"roles": f"Unknown roles: {', '.join(sorted(missing))}."})
    return roles


def _require_role_admin(actor: Person | None) -> None:
    if actor is not None and not policy.has_model_permission(actor, Role, "change"):
        raise Forbidden("Only administrators may grant or take away roles.")


@transaction.atomic
def create_person(
    *,
    actor: Person | None,
    email: str,
    full_name: str,
    organisation: Organisation | None = None,
    roles: Iterable[str] = (RoleCode.REQUESTER,),
    password: str | None = None,
    job_title: str = "",
    phone: str = "",
    time_zone: str = "UTC",
    serves_organisations: Iterable[Organisation] = (),
) -> Person:
    role_codes = list(roles)
    if actor is not None:
        policy.require_add(actor, Person)
        if organisation is not None:
            policy.require(actor, "view", organisation)
        if set(role_codes) - {RoleCode.REQUESTER}:
            _require_role_admin(actor)
    email = email.strip().lower()
    if Person.objects.filter(email__iexact=email).exists():
        raise RuleViolation({"email": "Somebody already signs in with this e-mail address."})
    person = Person(
        email=email,
        full_name=full_name.strip(),
        organisation=organisation,
        job_title=job_title,
        phone=phone,
        time_zone=time_zone,
    )
    if password:
        _validate_password(password, person)
        person.set_password(password)
    else:
        person.set_unusable_password()
    person.full_clean(exclude=["password", "roles", "serves_organisations"])
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:
        raise RuleViolation(
            {"email": "Somebody already signs in with this e-mail address."}
        ) from exc
    person.roles.set(_roles(role_codes))
    person.serves_organisations.set(list(serves_organisations))
    audit.record(
        actor=actor,
        action="person.created",
        obj=person,
        changes=audit.diff(
            {}, audit.snapshot(person, (*PERSON_FIELDS, "roles", "serves_organisations"))
        ),
    )
    return person


@transaction.atomic
def update_person(*, actor: Person | None, person: Person, **changes: Any) -> Person:
    """Change a person's details; ``roles`` (codes) and ``serves_organisations`` too."""
    allowed = {*PERSON_FIELDS, "roles", "serves_organisations"}
    refuse_unknown(changes, allowed)
    if actor is not None:
        policy.require(actor, "change", person)
        if {"roles", "serves_organisations"} & set(changes):
            _require_role_admin(actor)
        if changes.get("organisation") is not None:
            policy.require(actor, "view", changes["organisation"])
        if actor.pk == person.pk and changes.get("is_active") is False:
            raise RuleViolation({"is_active": "You cannot deactivate yourself."})
    person = Person.objects.select_for_update().get(pk=person.pk)
    fields = (*PERSON_FIELDS, "roles", "serves_organisations")
    before = audit.snapshot(person, fields)
    if "email" in changes:
        changes["email"] = str(changes["email"]).strip().lower()
        clash = Person.objects.filter(email__iexact=changes["email"]).exclude(pk=person.pk)
        if clash.exists():
            raise RuleViolation({"email": "Somebody already signs in with this e-mail address."})
    role_codes = changes.pop("roles", None)
    serves = changes.pop("serves_organisations", None)
    for name, value in changes.items():
        setattr(person, name, value)
    person.full_clean(exclude=["password", "roles", "serves_organisations"])
    person.save()
    if role_codes is not None:
        roles = _roles(role_codes)
        if (
            actor is not None
            and actor.pk == person.pk
            and person.has_role(RoleCode.ADMINISTRATOR)
            and RoleCode.ADMINISTRATOR not in {r.code for r in roles}
        ):
            raise RuleViolation({"roles": "You cannot take the administrator role from yourself."})
        person.roles.set(roles)
    if serves is not None:
        person.serves_organisations.set(list(serves))
    if changes.get("is_active") is False:
        _revoke_all_tokens(actor=actor, person=person)
    changed = audit.diff(before, audit.snapshot(person, fields))
    if changed:
        audit.record(actor=actor, action="person.updated", obj=person, changes=changed)
    return person


@transaction.atomic
def set_password(
    *, actor: Person | None, person: Person, password: str, current_password: str | None = None
) -> Person:
    """Set a password: people change their own (with the current one), administrators reset."""
    if actor is not None:
        if actor.pk == person.pk:
            if current_password is None or not person.check_password(current_password):
                raise RuleViolation({"current_password": "Your current password is wrong."})
        else:
            policy.require(actor, "change", person)
            _require_role_admin(actor)
    _validate_password(password, person)
    person.set_password(password)
    person.save(update_fields=["password"])
    audit.record(actor=actor, action="person.password_set", obj=person)
    return person


# --- teams ---------------------------------------------------------------------------------


@transaction.atomic
def create_team(
    *,
    actor: Person | None,
    name: str,
    organisation: Organisation | None = None,
    lead: Person | None = None,
    members: Iterable[Person] = (),
    support_line: int = 1,
    description: str = "",
    email: str = "",
) -> Team:
    if actor is not None:
        policy.require_add(actor, Team)
    if Team.objects.filter(name__iexact=name.strip()).exists():
        raise RuleViolation({"name": "A team with this name already exists."})
    team = Team(
        name=name.strip(),
        organisation=organisation,
        lead=lead,
        support_line=support_line,
        description=description,
        email=email,
    )
    team.full_clean()
    team.save()
    people = list(members)
    if lead is not None and lead not in people:
        people.append(lead)
    TeamMembership.objects.bulk_create([TeamMembership(team=team, person=p) for p in people])
    audit.record(
        actor=actor,
        action="team.created",
        obj=team,
        changes=audit.diff({}, {**audit.snapshot(team, TEAM_FIELDS), "members": people}),
    )
    return team


@transaction.atomic
def update_team(*, actor: Person | None, team: Team, **changes: Any) -> Team:
    refuse_unknown(changes, TEAM_FIELDS)
    if actor is not None:
        policy.require(actor, "change", team)
        if not policy.has_model_permission(actor, Team, "change") and (
            set(changes) - {"description", "email"}
        ):
            raise Forbidden("Team leads may change the description and e-mail only.")
    team = Team.objects.select_for_update().get(pk=team.pk)
    before = audit.snapshot(team, TEAM_FIELDS)
    for name, value in changes.items():
        setattr(team, name, value)
    team.full_clean()
    team.save()
    if team.lead_id and not team.memberships.filter(person_id=team.lead_id).exists():
        TeamMembership.objects.create(team=team, person_id=team.lead_id)
    changed = audit.diff(before, audit.snapshot(team, TEAM_FIELDS))
    if changed:
        audit.record(actor=actor, action="team.updated", obj=team, changes=changed)
    return team


@transaction.atomic
def add_team_member(*, actor: Person | None, team: Team, person: Person) -> TeamMembership:
    if actor is not None:
        policy.require(actor, "change", team)
        policy.require(actor, "view", person)
    membership, created = TeamMembership.objects.get_or_create(team=team, person=person)
    if created:
        audit.record(
            actor=actor,
            action="team.member_added",
            obj=team,
            changes={"members": [None, person.pk]},
        )
    return membership


@transaction.atomic
def remove_team_member(*, actor: Person | None, team: Team, person: Person) -> Team:
    if actor is not None:
        policy.require(actor, "change", team)
    if team.lead_id == person.pk:
        raise RuleViolation({"person": "Choose another lead before removing the team's lead."})
    deleted, _ = TeamMembership.objects.filter(team=team, person=person).delete()
    if deleted:
        audit.record(
            actor=actor,
            action="team.member_removed",
            obj=team,
            changes={"members": [person.pk, None]},
        )
    return team


# --- roles ---------------------------------------------------------------------------------


@transaction.atomic
def update_role(
    *,
    actor: Person | None,
    role: Role,
    requires_second_factor: bool | None = None,
    description: str | None = None,
) -> Role:
    if actor is not None:
        policy.require(actor, "change", role)
    before = audit.snapshot(role, ("requires_second_factor", "description"))
    if requires_second_factor is not None:
        role.requires_second_factor = requires_second_factor
    if description is not None:
        role.description = description
    role.save()
    changed = audit.diff(before, audit.snapshot(role, ("requires_second_factor", "description")))
    if changed:
        audit.record(actor=actor, action="role.updated", obj=role, changes=changed)
    return role


# --- API tokens ----------------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_token(
    *, actor: Person | None, person: Person, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``person``; returns it with the secret, which is never stored."""
    if actor is not None:
        policy.require_add(actor, ApiToken, owner=person)
        policy.require(actor, "view", person)
    if not person.is_active:
        raise RuleViolation({"person": "Deactivated people cannot hold API tokens."})
    name = name.strip()
    if not name:
        raise RuleViolation({"name": "Give the token a name, so you recognise it later."})
    days = expires_in_days if expires_in_days is not None else conf.get("API_TOKEN_DEFAULT_DAYS")
    max_days = conf.get("API_TOKEN_MAX_DAYS")
    if not 1 <= days <= max_days:
        raise RuleViolation({"expires_in_days": f"Choose between 1 and {max_days} days."})
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        person=person,
        name=name[:100],
        prefix=prefix,
        digest=_digest(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit.record(
        actor=actor,
        action="api_token.created",
        obj=token,
        changes={"person": person.pk, "expires_at": token.expires_at},
    )
    return token, secret


@transaction.atomic
def revoke_api_token(*, actor: Person | None, token: ApiToken) -> ApiToken:
    if actor is not None:
        policy.require(actor, "delete", token)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="api_token.revoked", obj=token)
    return token


def _revoke_all_tokens(*, actor: Person | None, person: Person) -> None:
    for token in ApiToken.objects.usable().filter(person=person):
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="api_token.revoked", obj=token)


LAST_USED_RESOLUTION = timedelta(minutes=1)


def authenticate_api_token(*, raw: str) -> ApiToken:
    """The usable token behind ``raw``, or ``TokenRejected`` saying why not."""
    parts = raw.split("_")
    if len(parts) < 3 or f"{parts[0]}_" != TOKEN_PREFIX:
        raise TokenRejected("Invalid token.")
    token = ApiToken.objects.select_related("person").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(raw)):
        raise TokenRejected("Invalid token.")
    if token.is_revoked():
        raise TokenRejected("This token has been revoked.")
    now = timezone.now()
    if token.is_expired(now):
        raise TokenRejected("This token has expired.")
    if not token.person.is_active:
        raise TokenRejected("This account is deactivated.")
    # Recording use at minute resolution keeps a busy client from writing on every request.
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- second factor -------------------------------------------------------------------------


def confirmed_device(person: Person) -> TOTPDevice | None:
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=person, confirmed=True).first()
    return device


def second_factor_pending(user: Any) -> bool:
    """Signed in with a password, but the confirmed second factor is not verified yet."""
    if not getattr(user, "is_authenticated", False):
        return False
    verified = getattr(user, "is_verified", None)
    if verified is None or verified():
        return False
    return confirmed_device(user) is not None


def second_factor_enrolment_required(user: Any) -> bool:
    """A role demands a second factor and the person has not enrolled one."""
    if not getattr(user, "is_authenticated", False) or not isinstance(user, Person):
        return False
    return user.requires_second_factor() and confirmed_device(user) is None


@transaction.atomic
def start_second_factor_enrolment(*, actor: Person) -> TOTPDevice:
    """A fresh, unconfirmed TOTP device for the actor (replacing an earlier unconfirmed one)."""
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    device: TOTPDevice = TOTPDevice.objects.create(
        user=actor, name="Authenticator app", confirmed=False
    )
    return device


@transaction.atomic
def confirm_second_factor(*, actor: Person, code: str) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
    if device is None:
        raise RuleViolation({"code": "Start the enrolment again."})
    if not device.verify_token(code.strip()):
        raise RuleViolation({"code": "That code is not valid. Check the time on your phone."})
    TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor=actor, action="person.second_factor_enrolled", obj=actor)
    return device


@transaction.atomic
def remove_second_factor(*, actor: Person | None, person: Person) -> Person:
    """Remove a person's second factor: their own, or anybody's for an administrator."""
    if actor is not None and actor.pk != person.pk:
        policy.require(actor, "change", person)
        _require_role_admin(actor)
    if actor is not None and actor.pk == person.pk and person.requires_second_factor():
        raise RuleViolation({"device": "Your role requires a second factor; enrol a new one."})
    deleted, _ = TOTPDevice.objects.filter(user=person).delete()
    if deleted:
        audit.record(actor=actor, action="person.second_factor_removed", obj=person)
    return person


# --- bootstrap -----------------------------------------------------------------------------


@transaction.atomic
def bootstrap_administrator(*, email: str, password: str, full_name: str = "") -> Person:
    """Create (or re-key) an administrator from the command line, as the system."""
    existing = Person.objects.filter(email__iexact=email.strip()).first()
    if existing is not None:
        update_person(actor=None, person=existing, is_active=True)
        existing.roles.add(Role.objects.get(code=RoleCode.ADMINISTRATOR))
        set_password(actor=None, person=existing, password=password)
        audit.record(actor=None, action="person.made_administrator", obj=existing, changes={})
        return existing
    return create_person(
        actor=None,
        email=email,
        full_name=full_name or "Administrator",
        roles=[RoleCode.ADMINISTRATOR],
        password=password,
    )
