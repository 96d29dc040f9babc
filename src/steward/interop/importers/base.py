"""What every importer shares: the run (resume, batches, progress) and its report.

An importer reads its file as a stream of *cases* (an incident, a problem, a change, each
with all its events) and builds a ``Draft`` from each. :func:`run_import` writes drafts in
batches of whole cases, each batch in one transaction together with the run's resume point
(``ImportRun.cases_committed``), so a run stopped at any moment (Ctrl-C, a killed process, a
truncated file) has committed only whole cases and is continued by the same command. A case
already imported (its ``ImportedRecord`` exists) is skipped, so a second run adds nothing.
A case that cannot be imported is reported with its line and skipped; if a batch fails in
the database, its cases are retried one by one so only the bad one is left out.
"""

from __future__ import annotations

import abc
import copy
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from steward.core import context, workflow
from steward.interop.importers import writer
from steward.interop.importers.drafts import Draft
from steward.interop.importers.readers import ReadError, checksum
from steward.interop.importers.refs import Refs
from steward.interop.models import ImportRun, ImportRunStatus

#: How many errors and warnings a summary lists (the counts stay exact beyond it).
LISTED = 200


class CaseError(Exception):
    """One case cannot be imported (reported with its line; the run goes on)."""

    def __init__(self, message: str, *, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class Stopped(Exception):
    """The run was stopped on purpose (``--stop-after``) or interrupted."""


@dataclass
class Case:
    """One incident / problem / change of the source with all its events."""

    external_id: str
    line: int
    events: list[Any]
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    """What a run did: counts, unmapped values, errors and warnings with line numbers."""

    counts: dict[str, int] = field(default_factory=dict)
    unmapped: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def unmapped_value(self, column: str, value: str, line: int) -> None:
        slot = self.unmapped.setdefault((column, value), {"count": 0, "first_line": line})
        slot["count"] += 1

    def error(self, *, line: int | None, case: str, message: str) -> None:
        self.count("errors")
        if len(self.errors) < LISTED:
            self.errors.append({"line": line, "case": case, "message": message})

    def warn(self, *, line: int | None, case: str, message: str) -> None:
        self.count("warnings")
        if len(self.warnings) < LISTED:
            self.warnings.append({"line": line, "case": case, "message": message})

    def as_summary(self) -> dict[str, Any]:
        return {
            "counts": dict(sorted(self.counts.items())),
            "unmapped": [
                {"column": column, "value": value, **slot}
                for (column, value), slot in sorted(self.unmapped.items())
            ],
            "errors": self.errors,
            "warnings": self.warnings,
        }

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> Report:
        report = cls(counts=dict(summary.get("counts", {})))
        for row in summary.get("unmapped", []):
            report.unmapped[(row["column"], row["value"])] = {
                "count": row["count"],
                "first_line": row["first_line"],
            }
        report.errors = list(summary.get("errors", []))
        report.warnings = list(summary.get("warnings", []))
        return report


class Importer(abc.ABC):
    """One source. Subclasses read cases and build drafts; the run is shared."""

    #: The CLI name (``steward import NAME PATH``).
    name = ""
    #: The zone of the source's timestamps that carry none (``--tz`` overrides).
    time_zone = "UTC"

    def __init__(self, *, tz: str | None = None) -> None:
        self.tz = ZoneInfo(tz or self.time_zone)
        self.report = Report()
        self.refs: Refs | None = None
        self._flows: dict[type[Any], workflow.Workflow] = {}

    @abc.abstractmethod
    def detect(self, path: Path) -> str:
        """The source this file is (an ``ImportSource``); ``ReadError`` if it is none of ours."""

    @abc.abstractmethod
    def cases(self, path: Path, source: str) -> Iterator[Case]:
        """The file's cases, whole, in file order (streamed)."""

    @abc.abstractmethod
    def build(self, case: Case, source: str) -> Draft:
        """The records and history one case becomes."""

    def flow(self, model: type[Any]) -> workflow.Workflow:
        """The workflow of ``model`` under the active profile, read once per run."""
        if model not in self._flows:
            self._flows[model] = workflow.workflow_for(model)
        return self._flows[model]

    def prefetch(self, cases: list[Case]) -> None:
        """Before a batch's cases are built: make their reference records in bulk (a hook;
        nothing by default)."""
        return

    def prepare(self, source: str) -> None:
        """Once per run, before the first case (reference records every case needs; a hook,
        nothing by default)."""
        return

    # --- helpers for subclasses ----------------------------------------------------------------

    def aware(self, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=self.tz)

    def lookup(self, table: dict[Any, Any], value: Any, *, column: str, line: int) -> Any:
        """``table[value]``; an unknown value is reported and the table's fallback used."""
        if value in table:
            return table[value]
        self.report.unmapped_value(column, str(value), line)
        return table.get(None)

    @staticmethod
    def check(draft: Draft) -> None:
        """The draft's own values are valid (lengths, choices); raises ``CaseError``."""
        obj = draft.obj
        exclude = [f.name for f in obj._meta.concrete_fields if f.is_relation] + ["number"]
        try:
            obj.clean_fields(exclude=exclude)
        except ValidationError as exc:
            raise CaseError(f"Invalid values: {exc.message_dict}", line=draft.line) from None


@dataclass
class Outcome:
    run: ImportRun
    report: Report

    @property
    def ok(self) -> bool:
        return self.run.status == ImportRunStatus.COMPLETED


def _progress(quiet: bool) -> Any:
    from tqdm import tqdm

    return tqdm(unit=" cases", file=sys.stderr, disable=quiet, mininterval=0.5)


def _start(source: str, path: Path, digest: str, tz: str) -> ImportRun:
    unfinished = ImportRun.objects.unfinished().filter(source=source, checksum=digest).first()
    if unfinished is not None:
        unfinished.resumed += 1
        unfinished.status = ImportRunStatus.RUNNING
        unfinished.path = str(path)[:500]
        unfinished.save(update_fields=["resumed", "status", "path"])
        return unfinished
    return ImportRun.objects.create(
        source=source, path=str(path)[:500], checksum=digest, time_zone=tz
    )


def run_import(
    importer: Importer,
    path: Path,
    *,
    batch_size: int = 200,
    stop_after: int | None = None,
    quiet: bool = False,
    sync_sla: bool | None = None,
) -> Outcome:
    """Import ``path`` with ``importer``; continues an unfinished run of the same file."""
    source = importer.detect(path)
    run = _start(source, path, checksum(path), str(importer.tz))
    report = importer.report = Report.from_summary(run.summary)
    if sync_sla is None:
        from steward.sla.models import Target

        sync_sla = Target.objects.exists()
    refs = importer.refs = Refs(source, run_id=run.pk)
    skip = run.cases_committed
    kind = _kind_of(source)
    state: dict[str, Any] = {"position": skip, "handled": 0, "last_case": run.last_case}
    chunk: list[Case] = []
    bar = _progress(quiet)

    def flush() -> None:
        if not chunk:
            return
        before = copy.deepcopy(report)
        try:
            with transaction.atomic():
                importer.prefetch(chunk)
                drafts = [d for d in (_build(importer, case, kind) for case in chunk) if d]
                _write(drafts, refs=refs, run=run, report=report, sync_sla=bool(sync_sla))
                for name, n in refs.created.items():
                    report.count(f"{name}_records_created", n)
                state["position"] = int(state["position"]) + len(chunk)
                _save_progress(
                    run, report, position=int(state["position"]), last_case=chunk[-1].external_id
                )
        except BaseException:  # the batch is rolled back: so is what it counted and made
            report.counts, report.unmapped = before.counts, before.unmapped
            report.errors, report.warnings = before.errors, before.warnings
            refs.reload()
            raise
        refs.created.clear()
        chunk.clear()

    with context.acting("import"):
        try:
            with transaction.atomic():
                importer.prepare(source)
            for index, case in enumerate(importer.cases(path, source)):
                if index < skip:
                    continue
                bar.update(1)
                chunk.append(case)
                state["handled"] = int(state["handled"]) + 1
                if len(chunk) >= batch_size:
                    flush()
                if stop_after is not None and int(state["handled"]) >= stop_after:
                    flush()
                    raise Stopped(f"stopped after {state['handled']} cases")
            flush()
        except ReadError as exc:
            flush()
            last = chunk[-1].external_id if chunk else run.last_case
            report.error(line=exc.line, case=last, message=exc.message)
            return Outcome(_finish(run, report, ImportRunStatus.FAILED), report)
        except (Stopped, KeyboardInterrupt):
            return Outcome(_finish(run, report, ImportRunStatus.FAILED), report)
        finally:
            bar.close()
    status = ImportRunStatus.COMPLETED_WITH_ERRORS if report.errors else ImportRunStatus.COMPLETED
    return Outcome(_finish(run, report, status), report)


def _build(importer: Importer, case: Case, kind: str) -> Draft | None:
    assert importer.refs is not None
    if importer.refs.known(kind, case.external_id) is not None:
        importer.report.count("cases_already_imported")
        return None
    try:
        draft = importer.build(case, importer.refs.source)
        importer.check(draft)
    except CaseError as exc:
        importer.report.error(line=exc.line, case=case.external_id, message=exc.message)
        return None
    return draft


def _kind_of(source: str) -> str:
    return {
        "servicenow-incidents": "incident",
        "bpic2013-incidents": "incident",
        "bpic2013-problems": "problem",
        "bpic2014-changes": "change",
    }[source]


def _write(
    batch: list[Draft], *, refs: Refs, run: ImportRun, report: Report, sync_sla: bool
) -> None:
    if not batch:
        return
    try:
        with transaction.atomic():  # a savepoint inside the batch's transaction
            writer.save(batch, refs=refs, run_id=run.pk, sync_sla=sync_sla)
    except (DatabaseError, ValidationError):
        writer.forget(batch)
        for draft in batch:  # find the case the database refused; keep the others
            try:
                with transaction.atomic():
                    writer.save([draft], refs=refs, run_id=run.pk, sync_sla=sync_sla)
            except (DatabaseError, ValidationError) as exc:
                writer.forget([draft])
                report.error(line=draft.line, case=draft.external_id, message=str(exc)[:500])
                continue
            _counted(report, [draft])
        return
    _counted(report, batch)


def _counted(report: Report, drafts: list[Draft]) -> None:
    for draft in drafts:
        report.count(f"{draft.kind}s_created")
        report.count("events_replayed", len(draft.entries))
        if draft.off_workflow:
            report.count("steps_outside_workflow", draft.off_workflow)


def _save_progress(run: ImportRun, report: Report, *, position: int, last_case: str) -> None:
    run.cases_committed = position
    run.last_case = last_case[:100]
    run.summary = report.as_summary()
    run.updated_at = timezone.now()
    run.save(update_fields=["cases_committed", "last_case", "summary", "updated_at"])


def _finish(run: ImportRun, report: Report, status: str) -> ImportRun:
    run.status = status
    run.summary = report.as_summary()
    run.updated_at = timezone.now()
    if status != ImportRunStatus.FAILED:
        run.finished_at = run.updated_at
    run.save(update_fields=["status", "summary", "updated_at", "finished_at"])
    return run
