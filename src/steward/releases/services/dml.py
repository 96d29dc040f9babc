"""Every write to the definitive media library: registering an artefact (by its metadata or
by computing the checksum of its file, streamed), editing it, approving and retiring it
(release managers), and verifying a file against it (each check recorded)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from steward.accounts.models import Person
from steward.core import audit, policy, workflow
from steward.core.errors import Conflict, RuleViolation
from steward.releases import checksums
from steward.releases.choices import ArtefactState, VerificationResult
from steward.releases.models import DmlArtefact, DmlVerification

#: What an artefact is: fixed once it is approved.
IDENTITY_FIELDS = ("name", "artefact_version", "checksum", "size_bytes")
#: Where it is kept and under which terms: editable until it is retired.
INFO_FIELDS = ("location", "licence", "description")
FIELDS = (*IDENTITY_FIELDS, *INFO_FIELDS)
AUDITED = (*FIELDS, "state")


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    for name in ("name", "artefact_version", "location", "licence"):
        if name in cleaned:
            if not isinstance(cleaned[name], str):
                raise RuleViolation({name: "Write text."})
            cleaned[name] = cleaned[name].strip()
    if "checksum" in cleaned:
        if not isinstance(cleaned["checksum"], str):
            raise RuleViolation({"checksum": "Write the SHA-256 as 64 hex digits."})
        cleaned["checksum"] = checksums.normalise(cleaned["checksum"])
    if "size_bytes" in cleaned:
        size = cleaned["size_bytes"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise RuleViolation({"size_bytes": "The size is a whole number of bytes (0 or more)."})
    for name in ("name", "artefact_version", "location"):
        if name in cleaned and not cleaned[name]:
            raise RuleViolation({name: "This field is required."})
    return cleaned


def _clean(artefact: DmlArtefact) -> None:
    """The row's own checks (checksum format, lengths), as a rule violation per field."""
    try:
        artefact.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise RuleViolation(exc.message_dict) from exc


def _taken(artefact: DmlArtefact) -> bool:
    return (
        DmlArtefact.objects.filter(name=artefact.name, artefact_version=artefact.artefact_version)
        .exclude(pk=artefact.pk)
        .exists()
    )


def _save_unique(artefact: DmlArtefact) -> None:
    """Save, answering a taken (name, version) as a rule violation (also when a concurrent
    registration wins the race: the unique constraint decides)."""
    taken = {
        "artefact_version": (
            f"{artefact.name}@{artefact.artefact_version} is already in the library."
        )
    }
    if _taken(artefact):
        raise RuleViolation(taken)
    try:
        with transaction.atomic():
            artefact.save()
    except IntegrityError as exc:
        raise RuleViolation(taken) from exc


@transaction.atomic
def register_artefact(
    *,
    actor: Person | None,
    name: str,
    artefact_version: str,
    checksum: str,
    size_bytes: int,
    location: str,
    licence: str = "",
    description: str = "",
) -> DmlArtefact:
    """Register a build in the library by its metadata, as a draft (release managers)."""
    if actor is not None:
        policy.require_add(actor, DmlArtefact)
    values = _clean_values(
        {
            "name": name,
            "artefact_version": artefact_version,
            "checksum": checksum,
            "size_bytes": size_bytes,
            "location": location,
            "licence": licence,
            "description": description,
        }
    )
    artefact = DmlArtefact(**values, registered_by=actor)
    artefact.registered_at = artefact.updated_at = timezone.now()
    workflow.apply_state(artefact, workflow.initial_state(DmlArtefact))
    _clean(artefact)
    _save_unique(artefact)
    audit.record(
        actor=actor,
        action="dmlartefact.registered",
        obj=artefact,
        changes=audit.diff({}, audit.snapshot(artefact, AUDITED)),
        object_repr=str(artefact),
    )
    return artefact


@transaction.atomic
def register_artefact_from_file(
    *,
    actor: Person | None,
    content: Iterable[bytes],
    name: str,
    artefact_version: str,
    location: str,
    licence: str = "",
    description: str = "",
) -> DmlArtefact:
    """Register a build by its file: the checksum and size are computed from ``content``
    (the file's chunks, read one at a time)."""
    if actor is not None:
        policy.require_add(actor, DmlArtefact)
    found = checksums.digest(content)
    return register_artefact(
        actor=actor,
        name=name,
        artefact_version=artefact_version,
        checksum=found.checksum,
        size_bytes=found.size_bytes,
        location=location,
        licence=licence,
        description=description,
    )


@transaction.atomic
def update_artefact(
    *,
    actor: Person | None,
    artefact: DmlArtefact,
    expected_version: int | None = None,
    **changes: Any,
) -> DmlArtefact:
    """Change an artefact's metadata. Its identity (name, version, checksum, size) is fixed
    once approved; a retired artefact changes no more."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise RuleViolation({name: "This field cannot be changed." for name in sorted(unknown)})
    locked = DmlArtefact.objects.select_for_update().get(pk=artefact.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    values = _clean_values(changes)
    before = audit.snapshot(locked, AUDITED)
    for name, value in values.items():
        setattr(locked, name, value)
    changed = audit.diff(before, audit.snapshot(locked, AUDITED))
    if not changed:
        return locked
    if locked.state == ArtefactState.RETIRED:
        raise RuleViolation({"__all__": f"{artefact} is retired: it changes no more."})
    if locked.state != ArtefactState.DRAFT and set(changed) & set(IDENTITY_FIELDS):
        fixed = sorted(set(changed) & set(IDENTITY_FIELDS))
        raise RuleViolation(
            {name: "Fixed once approved: register a new version instead." for name in fixed}
        )
    locked.version += 1
    locked.updated_at = timezone.now()
    _clean(locked)
    _save_unique(locked)
    audit.record(
        actor=actor,
        action="dmlartefact.updated",
        obj=locked,
        changes=changed,
        object_repr=str(locked),
    )
    return locked


def approve_artefact(
    *, actor: Person | None, artefact: DmlArtefact, expected_version: int | None = None
) -> DmlArtefact:
    """Approve a draft for deployment (release managers); who and when are kept."""
    approved: DmlArtefact = workflow.transition(
        artefact, to=ArtefactState.APPROVED, actor=actor, expected_version=expected_version
    )
    return approved


def retire_artefact(
    *, actor: Person | None, artefact: DmlArtefact, expected_version: int | None = None
) -> DmlArtefact:
    """Retire an artefact: it is no longer deployed (release managers)."""
    retired: DmlArtefact = workflow.transition(
        artefact, to=ArtefactState.RETIRED, actor=actor, expected_version=expected_version
    )
    return retired


def find_artefact(reference: str) -> DmlArtefact:
    """An artefact by ``NAME@VERSION`` (the last ``@`` splits; no policy: for the CLI and
    callers that scope themselves). ``RuleViolation`` when malformed or unknown."""
    name, at, version = reference.rpartition("@")
    if not at or not name.strip() or not version.strip():
        raise RuleViolation({"artefact": f"Give the artefact as NAME@VERSION, not {reference!r}."})
    found = DmlArtefact.objects.filter(name=name.strip(), artefact_version=version.strip()).first()
    if found is None:
        raise RuleViolation({"artefact": f"No artefact {name.strip()}@{version.strip()}."})
    return found


@transaction.atomic
def verify_file(
    *,
    actor: Person | None,
    content: Iterable[bytes],
    file_name: str,
    artefact: DmlArtefact | None = None,
) -> DmlVerification:
    """Check a file against the library and record the check (who, when, result).

    With ``artefact``, the file matches when its SHA-256 and size are the artefact's.
    Without, the artefact is looked up by the computed checksum (an approved one first);
    none found is ``unknown``. The file is read in chunks, never held whole.
    """
    if actor is not None:
        policy.require_add(actor, DmlVerification)
        if artefact is not None:
            policy.require(actor, "view", artefact)
    found = checksums.digest(content)
    if artefact is None:
        candidates = list(DmlArtefact.objects.filter(checksum=found.checksum).order_by("-id")[:20])
        artefact = next(
            (a for a in candidates if a.state == ArtefactState.APPROVED),
            candidates[0] if candidates else None,
        )
        matched = artefact is not None and artefact.size_bytes == found.size_bytes
        result = VerificationResult.MATCH if matched else VerificationResult.UNKNOWN
    else:
        same = artefact.checksum == found.checksum and artefact.size_bytes == found.size_bytes
        result = VerificationResult.MATCH if same else VerificationResult.MISMATCH
    check = DmlVerification(
        artefact=artefact,
        checked_by=actor,
        checked_at=timezone.now(),
        file_name=file_name[:255],
        checksum=found.checksum,
        size_bytes=found.size_bytes,
        result=result,
    )
    check.full_clean()
    check.save()
    audit.record(
        actor=actor,
        action="dmlverification.recorded",
        obj=check,
        changes=audit.diff(
            {}, audit.snapshot(check, ("artefact", "file_name", "checksum", "result"))
        ),
        object_repr=str(artefact) if artefact else file_name[:100],
    )
    return check
