"""Bulk import and reconciliation of CIs and their relationships from CSV or JSON.

A file is a list of rows. Each row names its class (``class``: a class code) and the CI's
``name``; other columns are CI fields (``status``, ``serial_number``, ``vendor``,
``location``, ``purchase_date``, ``cost``, ``warranty_end``, ``contract``, ``description``)
or the class's attribute codes; ``rel:<type code>`` columns name targets of relationships
(CI names, ``;`` between several). JSON is a list of objects of the same keys, or
``{"items": [...]}``; a ``relationships`` key may hold ``[{"type": ..., "target": ...}]``.

Identification: each class's ``identified_by`` lists keys tried in order (a key may join
several codes with ``+``: ``hostname+domain``); the first key the row fills decides which
existing CI of the class the row is. A class without keys is identified by name. So the same
file imported twice creates nothing and changes nothing the second time. Two rows of one
file with the same identity are an error on the second.

Data sources: every CI notes where each attribute's value came from (``manual`` for people's
edits, or the import's ``source``, "import" by default, "discovery" for a discovery feed).
An import does not overwrite a value set by a more trusted source (``SOURCE_PRECEDENCE``:
manual, import, discovery); such values are kept and listed in the report.

Each row is validated by the same services as every other entrance (types, required and
unique attributes, relationship rules). ``dry_run`` reports what would be created, updated,
left unchanged or refused, and writes nothing. Without ``apply_valid``, one refused row
means nothing is written; with it, the valid rows are applied and the refused ones listed,
each with its line number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from steward.accounts.models import Person
from steward.cmdb import services
from steward.cmdb.attributes import definitions_for, source_order
from steward.cmdb.choices import MANUAL, CIStatus, source_rank
from steward.cmdb.models import (
    AttributeDefinition,
    CIType,
    ConfigurationItem,
    Relationship,
    RelationshipType,
)
from steward.core import policy
from steward.core.errors import RuleViolation

FIELDS = (
    "status",
    "serial_number",
    "vendor",
    "location",
    "purchase_date",
    "cost",
    "warranty_end",
    "contract",
    "description",
)
REQUIRED_COLUMNS = ("class", "name")
REL_PREFIX = "rel:"

Progress = Callable[[int, int], None]


class ImportFileError(Exception):
    """The file cannot be read at all (encoding, syntax, missing columns)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Row:
    line: int
    values: dict[str, Any]
    relationships: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import did, or (``dry_run``) would do."""

    dry_run: bool
    applied: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    relationships_created: int = 0
    relationships_unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0

    def error(self, line: int, message: str, field_name: str = "") -> None:
        self.errors.append({"line": line, "field": field_name, "message": message})

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "applied": self.applied,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "relationships_created": self.relationships_created,
            "relationships_unchanged": self.relationships_unchanged,
            "errors": self.errors,
            "kept": self.kept,
        }


# --- reading ---------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            "The file is not UTF-8 text; save it as UTF-8 and try again.", line
        ) from None


def _split_relationships(values: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for key in [k for k in values if k.startswith(REL_PREFIX)]:
        targets = values.pop(key) or ""
        for target in str(targets).split(";"):
            if target.strip():
                found.append((key.removeprefix(REL_PREFIX), target.strip()))
    return found


def read_csv(data: bytes) -> list[Row]:
    text = _decode(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        raise ImportFileError(f"Missing column(s): {', '.join(missing)}.", 1)
    if len(set(headers)) != len(headers):
        raise ImportFileError("A column appears twice in the header.", 1)
    reader.fieldnames = headers
    rows = []
    try:
        for record in reader:
            if None in record:
                raise ImportFileError("This line has more values than the header.", reader.line_num)
            values = {k: (v or "").strip() for k, v in record.items()}
            rows.append(Row(reader.line_num, values, _split_relationships(values)))
    except csv.Error as exc:
        raise ImportFileError(f"Not valid CSV: {exc}.", reader.line_num) from None
    return rows


def read_json(data: bytes) -> list[Row]:
    try:
        document = json.loads(_decode(data))
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"Not valid JSON: {exc.msg}.", exc.lineno) from None
    items = document.get("items") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise ImportFileError('Expected a list of objects, or {"items": [...]}.', 1)
    rows = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            rows.append(Row(index, {"__invalid__": True}))
            continue
        values = dict(item)
        rels = values.pop("relationships", None) or []
        row = Row(index, values, _split_relationships(values))
        if not isinstance(rels, list):
            values["__invalid__"] = True
        else:
            for rel in rels:
                if isinstance(rel, dict) and rel.get("type") and rel.get("target"):
                    row.relationships.append((str(rel["type"]), str(rel["target"])))
                else:
                    values["__invalid__"] = True
        rows.append(row)
    return rows


def read(data: bytes, fmt: str) -> list[Row]:
    if fmt == "csv":
        return read_csv(data)
    if fmt == "json":
        return read_json(data)
    raise ImportFileError(f"Unknown format {fmt!r}: use csv or json.")


# --- identification --------------------------------------------------------------------------


def _key_value(values: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    parts = []
    for code in key.split("+"):
        value = values.get(code)
        if value is None or str(value).strip() == "":
            return None
        parts.append(str(value).strip().lower())
    return tuple(parts)


class Identifier:
    """Which existing CI (of one class) a row is, by the class's identification keys.

    Each key's index over the class's CIs is read once, in one query, then kept."""

    def __init__(self, ci_type: CIType) -> None:
        self.ci_type = ci_type
        self.keys = list(ci_type.identified_by) or ["name"]
        self._index: dict[str, dict[tuple[str, ...], int]] = {}

    def _values(self, item_name: str, serial: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
        return {"name": item_name, "serial_number": serial, **attributes}

    def index(self, key: str) -> dict[tuple[str, ...], int]:
        if key not in self._index:
            found: dict[tuple[str, ...], int] = {}
            rows = ConfigurationItem.objects.filter(ci_type=self.ci_type).values_list(
                "pk", "name", "serial_number", "attributes"
            )
            for pk, name, serial, attributes in rows.iterator(chunk_size=5000):
                value = _key_value(self._values(name, serial, attributes or {}), key)
                if value is not None:
                    found.setdefault(value, pk)
            self._index[key] = found
        return self._index[key]

    def identity(self, values: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
        for key in self.keys:
            value = _key_value(values, key)
            if value is not None:
                return key, value
        return None

    def find(self, identity: tuple[str, tuple[str, ...]]) -> int | None:
        key, value = identity
        return self.index(key).get(value)

    def remember(self, item: ConfigurationItem) -> None:
        values = self._values(item.name, item.serial_number, item.attributes or {})
        for key, index in self._index.items():
            value = _key_value(values, key)
            if value is not None:
                index.setdefault(value, item.pk)


# --- applying --------------------------------------------------------------------------------


def _fields_and_attributes(
    row: Row, definitions: list[AttributeDefinition], report: ImportReport
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    codes = {d.code for d in definitions}
    fields: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    ok = True
    for key, value in row.values.items():
        if key in REQUIRED_COLUMNS:
            continue
        if key in FIELDS:
            if value not in ("", None):
                fields[key] = value
        elif key in codes:
            if value not in ("", None):
                attributes[key] = value
        elif value not in ("", None):  # an empty column of other classes' rows is fine
            report.error(row.line, f"Not a field or attribute of this class: {key}.", key)
            ok = False
    if fields.get("status") and fields["status"] not in CIStatus.values:
        report.error(row.line, f"Unknown status {fields['status']!r}.", "status")
        ok = False
    return (fields, attributes) if ok else None


def _violation(report: ImportReport, line: int, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            for message in messages:
                report.error(line, message, name)
    else:
        for message in exc.messages:
            report.error(line, message)


def _would_change(
    item: ConfigurationItem, fields: dict[str, Any], attributes: dict[str, Any]
) -> bool:
    """Would writing ``fields`` and ``attributes`` change ``item``? (compared as stored)"""
    from steward.cmdb.attributes import clean_attributes

    merged = {**(item.attributes or {}), **attributes}
    try:
        cleaned = clean_attributes(item.ci_type, merged, item_pk=item.pk)
    except ValidationError:
        return True
    if cleaned != (item.attributes or {}):
        return True
    for name, value in fields.items():
        model_field = ConfigurationItem._meta.get_field(name)
        assert isinstance(model_field, models.Field)
        try:
            new = model_field.to_python(value)
        except ValidationError:
            return True
        if new != getattr(item, name):
            return True
    return False


def _trusted(
    item: ConfigurationItem,
    attributes: dict[str, Any],
    source: str,
    line: int,
    report: ImportReport,
    definitions: list[AttributeDefinition],
) -> dict[str, Any]:
    """The row's attributes less those a more trusted source set (reported as kept), by the
    attribute's, else the class's, else the site's order of sources."""
    by_code = {d.code: d for d in definitions}
    sources = item.attribute_sources or {}
    allowed = {}
    for code, value in attributes.items():
        holder = sources.get(code)
        current = (item.attributes or {}).get(code)
        order = source_order(item.ci_type, by_code.get(code))
        if (
            holder is not None
            and current is not None
            and source_rank(holder, order) < source_rank(source, order)
        ):
            if str(current) != str(value):
                report.kept.append({"line": line, "field": f"attributes.{code}", "source": holder})
            continue
        allowed[code] = value
    return allowed


def _import_row(
    *,
    actor: Person | None,
    source: str,
    row: Row,
    classes: dict[str, CIType],
    identifiers: dict[int, Identifier],
    definitions: dict[int, list[AttributeDefinition]],
    seen: dict[tuple[int, str, tuple[str, ...]], int],
    names: dict[str, int],
    loaded: dict[int, ConfigurationItem],
    report: ImportReport,
) -> None:
    if row.values.get("__invalid__"):
        report.error(
            row.line, "Each item must be an object; relationships a list of {type, target}."
        )
        return
    code = str(row.values.get("class") or "").strip()
    name = str(row.values.get("name") or "").strip()
    if not code:
        report.error(row.line, "The class is missing.", "class")
        return
    ci_type = classes.get(code)
    if ci_type is None:
        report.error(row.line, f"Unknown class {code!r}.", "class")
        return
    if not name:
        report.error(row.line, "The name is missing.", "name")
        return
    if ci_type.pk not in definitions:
        definitions[ci_type.pk] = definitions_for(ci_type)
        identifiers[ci_type.pk] = Identifier(ci_type)
    parsed = _fields_and_attributes(row, definitions[ci_type.pk], report)
    if parsed is None:
        return
    fields, attributes = parsed
    identifier = identifiers[ci_type.pk]
    identity = identifier.identity({"name": name, **fields, **attributes})
    if identity is None:
        report.error(
            row.line,
            f"None of {', '.join(identifier.keys)} is given: the row cannot be identified.",
        )
        return
    first = seen.get((ci_type.pk, *identity))
    if first is not None:
        report.error(row.line, f"Same {identity[0]} as line {first} of this file.", identity[0])
        return
    seen[(ci_type.pk, *identity)] = row.line
    existing_pk = identifier.find(identity)
    # Each service runs in its own savepoint: a refused row leaves nothing behind.
    try:
        if existing_pk is None:
            item = services.create_ci(
                actor=actor,
                name=name,
                ci_type=ci_type,
                attributes=attributes,
                source=source,
                **fields,
            )
            identifier.remember(item)
            report.created += 1
        else:
            item = ConfigurationItem.objects.get(pk=existing_pk)
            item.ci_type = ci_type  # the class in hand (identified within it)
            attributes = _trusted(
                item, attributes, source, row.line, report, definitions[ci_type.pk]
            )
            if name != item.name:
                fields["name"] = name
            if _would_change(item, fields, attributes):
                item = services.update_ci(
                    actor=actor,
                    item=item,
                    attributes={**(item.attributes or {}), **attributes},
                    source=source,
                    **fields,
                )
                report.updated += 1
            else:
                report.unchanged += 1
    except ValidationError as exc:
        _violation(report, row.line, exc)
        return
    names[name.lower()] = item.pk
    loaded[item.pk] = item


def _existing_relationships(sources: Iterable[int]) -> set[tuple[int, int, int]]:
    """(source, type, target) of the relationships out of ``sources``, a chunk per query."""
    found: set[tuple[int, int, int]] = set()
    pks = sorted(set(sources))
    for start in range(0, len(pks), 1000):
        found.update(
            Relationship.objects.filter(source_id__in=pks[start : start + 1000]).values_list(
                "source_id", "type_id", "target_id"
            )
        )
    return found


def _item(pk: int, loaded: dict[int, ConfigurationItem]) -> ConfigurationItem:
    if pk not in loaded:
        loaded[pk] = ConfigurationItem.objects.select_related("ci_type").get(pk=pk)
    return loaded[pk]


def _import_relationships(
    *,
    actor: Person | None,
    rows: list[Row],
    names: dict[str, int],
    loaded: dict[int, ConfigurationItem],
    report: ImportReport,
) -> None:
    kinds = {t.code: t for t in RelationshipType.objects.all()}
    existing = _existing_relationships(
        pk
        for row in rows
        if row.relationships
        and (pk := names.get(str(row.values.get("name") or "").strip().lower())) is not None
    )
    for row in rows:
        source_pk = names.get(str(row.values.get("name") or "").strip().lower())
        if source_pk is None:
            continue
        for code, target_name in row.relationships:
            kind = kinds.get(code)
            if kind is None:
                report.error(row.line, f"Unknown relationship type {code!r}.", REL_PREFIX + code)
                continue
            target_pk = names.get(target_name.lower())
            if target_pk is None:
                matches = list(
                    ConfigurationItem.objects.filter(name__iexact=target_name).values_list(
                        "pk", flat=True
                    )[:2]
                )
                if len(matches) != 1:
                    report.error(
                        row.line,
                        f"No single CI is called {target_name!r}.",
                        REL_PREFIX + code,
                    )
                    continue
                target_pk = matches[0]
            if (source_pk, kind.pk, target_pk) in existing:
                report.relationships_unchanged += 1
                continue
            try:
                services.create_relationship(  # in its own savepoint
                    actor=actor,
                    source=_item(source_pk, loaded),
                    type=kind,
                    target=_item(target_pk, loaded),
                )
            except ValidationError as exc:
                for message in exc.messages:
                    report.error(row.line, message, REL_PREFIX + code)
                continue
            existing.add((source_pk, kind.pk, target_pk))
            report.relationships_created += 1


class _Rollback(Exception):
    pass


def import_rows(
    *,
    actor: Person | None,
    rows: Iterable[Row],
    source: str = "import",
    dry_run: bool = False,
    apply_valid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Reconcile ``rows`` with the CMDB; see the module's docstring."""
    if actor is not None:
        policy.require_add(actor, ConfigurationItem)
        policy.require_add(actor, Relationship)
    source = source.strip().lower() or "import"
    if source == MANUAL:
        raise RuleViolation({"source": "Imports name their own source; manual is for people."})
    rows = list(rows)
    report = ImportReport(dry_run=dry_run, rows=len(rows))
    classes = {t.code: t for t in CIType.objects.all()}
    identifiers: dict[int, Identifier] = {}
    definitions: dict[int, list[AttributeDefinition]] = {}
    seen: dict[Any, int] = {}
    names: dict[str, int] = {}
    loaded: dict[int, ConfigurationItem] = {}
    try:
        with transaction.atomic():
            for index, row in enumerate(rows, start=1):
                _import_row(
                    actor=actor,
                    source=source,
                    row=row,
                    classes=classes,
                    identifiers=identifiers,
                    definitions=definitions,
                    seen=seen,
                    names=names,
                    loaded=loaded,
                    report=report,
                )
                if progress is not None:
                    progress(index, len(rows))
            _import_relationships(actor=actor, rows=rows, names=names, loaded=loaded, report=report)
            if dry_run or (report.errors and not apply_valid):
                raise _Rollback
    except _Rollback:
        report.applied = False
    else:
        report.applied = True
    report.errors.sort(key=lambda e: (e["line"], e["field"]))
    return report


def import_file(
    *,
    actor: Person | None,
    data: bytes,
    fmt: str,
    source: str = "import",
    dry_run: bool = False,
    apply_valid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Read and import a file; a file that cannot be read is a ``RuleViolation``."""
    try:
        rows = read(data, fmt)
    except ImportFileError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise RuleViolation({"file": f"{where}{exc.message}"}) from None
    return import_rows(
        actor=actor,
        rows=rows,
        source=source,
        dry_run=dry_run,
        apply_valid=apply_valid,
        progress=progress,
    )
