"""People, organisations, teams, roles and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import Permission, PermissionsMixin
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from steward.accounts.choices import OrganisationKind, RoleCode, SupportLine
from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule

OWNER_VIEW = frozenset({"view"})
OWNER_ALL = frozenset({"view", "add", "change", "delete"})


class OrganisationQuerySet(ScopedQuerySet["Organisation"]):
    def active(self) -> OrganisationQuerySet:
        return self.filter(is_active=True)

    def subtree(self, organisation: Organisation) -> OrganisationQuerySet:
        """The organisation and everything nested under it."""
        return self.filter(path__startswith=organisation.path)


class Organisation(models.Model):
    """A customer, department, supplier or the service provider itself; nestable.

    ``path`` is the materialised chain of ancestor ids (``"00000001/00000004/"``), kept by
    ``accounts.services`` so a whole subtree is one indexed prefix query.
    """

    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=50, unique=True)
    kind = models.CharField(
        max_length=20, choices=OrganisationKind.choices, default=OrganisationKind.CUSTOMER
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    requesters_see_organisation = models.BooleanField(
        default=False,
        help_text="Requesters of this organisation may see each other's records.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganisationQuerySet.as_manager()
    policy_rule = Rule(organisation="self", owners={"people": OWNER_VIEW})

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:organisation_detail", args=[self.pk])

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1 if self.path else 0


class PersonQuerySet(ScopedQuerySet["Person"]):
    def active(self) -> PersonQuerySet:
        return self.filter(is_active=True)

    def with_role(self, code: str) -> PersonQuerySet:
        return self.filter(roles__code=code)


class _PersonBaseManager(BaseUserManager["Person"]):
    """Lookups by e-mail, case-insensitively. Creating people goes through services."""

    def get_by_natural_key(self, username: str | None) -> Person:
        return self.get(email__iexact=(username or "").strip())


PersonManager = _PersonBaseManager.from_queryset(PersonQuerySet)


class Person(AbstractBaseUser, PermissionsMixin):
    """Someone who signs in: a requester, an agent, a manager, an auditor, an administrator.

    Signs in by e-mail. Permissions come from roles (several per person). Staff may be
    restricted to serve only some organisations (and their sub-organisations).
    """

    email = models.EmailField(max_length=254, unique=True)  # stored lower-case
    full_name = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    job_title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    is_active = models.BooleanField(default=True)
    is_away = models.BooleanField(
        default=False, help_text="Away people are skipped by automatic assignment."
    )
    roles: models.ManyToManyField[Role, Any] = models.ManyToManyField(
        "Role", blank=True, related_name="people"
    )
    serves_organisations = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="served_by",
        help_text="Staff restricted to these organisations (and their children). Empty: all.",
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = PersonManager()
    policy_rule = Rule(
        organisation="organisation",
        owners={"self": OWNER_VIEW},
        shared_with_organisation=True,
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = "person"
        verbose_name_plural = "people"
        indexes = [
            # The default ordering and the API's orderings page through these (bench/).
            models.Index(fields=["full_name", "id"], name="accounts_person_name_idx"),
            models.Index(fields=["date_joined", "id"], name="accounts_person_joined_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("accounts:person_detail", args=[self.pk])

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @cached_property
    def _role_rows(self) -> tuple[tuple[str, bool], ...]:
        """(code, requires second factor) of each role, read once per request."""
        return tuple(self.roles.values_list("code", "requires_second_factor"))

    @cached_property
    def role_codes(self) -> frozenset[str]:
        return frozenset(code for code, _ in self._role_rows)

    def has_role(self, code: str) -> bool:
        return code in self.role_codes

    @property
    def is_staff_member(self) -> bool:
        """Holds any role beyond requester (sees the agent UI)."""
        return bool(self.role_codes - {RoleCode.REQUESTER})

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or self.has_role(RoleCode.ADMINISTRATOR)

    def requires_second_factor(self) -> bool:
        return any(required for _, required in self._role_rows)

    def organisation_scope(self) -> list[str] | None:
        """Organisation paths staff may serve; ``None`` when unrestricted."""
        if not hasattr(self, "_organisation_scope"):
            paths = [p for p in self.serves_organisations.values_list("path", flat=True) if p]
            self._organisation_scope: list[str] | None = paths or None
        return self._organisation_scope

    def shared_organisation_id(self) -> int | None:
        """The organisation whose records this person may see as a requester, if it shares."""
        if self.organisation_id is None:
            return None
        shares = getattr(self, "_shares_organisation", None)
        if shares is None:
            shares = Organisation.objects.filter(
                pk=self.organisation_id, requesters_see_organisation=True
            ).exists()
            self._shares_organisation = shares
        return self.organisation_id if shares else None


def actor_of(request: Any) -> Person:
    """The signed-in person behind a request (views call this after authentication)."""
    user = request.user
    if not isinstance(user, Person):
        raise TypeError("an authenticated person is required")
    return user


class RoleQuerySet(ScopedQuerySet["Role"]):
    pass


class Role(models.Model):
    """A named bundle of permissions (see ``accounts.roles``); a person may hold several."""

    code = models.CharField(max_length=40, unique=True, choices=RoleCode.choices)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    is_staff_role = models.BooleanField(default=True)
    requires_second_factor = models.BooleanField(
        default=False, help_text="People holding this role must use a second factor."
    )
    permissions = models.ManyToManyField(Permission, blank=True, related_name="roles")

    objects = RoleQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:role_detail", args=[self.pk])


class TeamQuerySet(ScopedQuerySet["Team"]):
    def active(self) -> TeamQuerySet:
        return self.filter(is_active=True)


class Team(models.Model):
    """An assignment group: members, a lead, a support line."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="teams"
    )
    support_line = models.PositiveSmallIntegerField(
        choices=SupportLine.choices, default=SupportLine.FIRST
    )
    lead = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    members = models.ManyToManyField(Person, through="TeamMembership", related_name="teams")
    is_active = models.BooleanField(default=True)

    objects = TeamQuerySet.as_manager()
    policy_rule = Rule(
        organisation="organisation",
        owners={"members": OWNER_VIEW, "lead": frozenset({"view", "change"})},
    )

    class Meta:
        ordering = ["support_line", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:team_detail", args=[self.pk])


class TeamMembership(models.Model):
    """A person's membership of a team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "person"], name="uniq_team_member"),
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.team}"


class ApiTokenQuerySet(ScopedQuerySet["ApiToken"]):
    def usable(self, at: Any = None) -> ApiTokenQuerySet:
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=at)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 digest is stored; the secret is shown once."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()
    policy_rule = Rule(organisation="person__organisation", owners={"person": OWNER_ALL})

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, at: Any = None) -> bool:
        return self.expires_at <= (at or timezone.now())

    def is_usable(self, at: Any = None) -> bool:
        return not self.is_revoked() and not self.is_expired(at)

    @property
    def status(self) -> str:
        if self.is_revoked():
            return "revoked"
        return "expired" if self.is_expired() else "active"
