"""Write docs/models/<app>/<model>.md from the models: ``python -m steward.core.model_docs``.

Each page lists the model's purpose (its docstring), its fields (type, required, help text,
choices) and, for models with a workflow, the states and transitions of every process
profile. A test compares the pages with the code, so they never drift; ``--check`` does
the same from the command line.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs" / "models"
APPS = (
    "core",
    "accounts",
    "cmdb",
    "tickets",
    "sla",
    "incidents",
    "problems",
    "changes",
    "knowledge",
    "releases",
    "servicedesk",
    "governance",
    "interop",
)


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    os.environ.setdefault("STEWARD_ENV", "test")
    import django

    django.setup()


def _field_type(field: object) -> str:
    from django.db import models

    assert isinstance(field, models.Field)
    if field.is_relation and field.related_model is not None:
        target = field.related_model._meta.label
        return f"{'many to many' if field.many_to_many else 'link'} → {target}"
    return type(field).__name__.removesuffix("Field") or type(field).__name__


def render(model: type) -> str:
    from django.db import models

    from steward.core import workflow

    meta = model._meta  # type: ignore[attr-defined]
    doc = inspect.cleandoc(model.__doc__ or "").strip()
    lines = [f"# {meta.label}", "", doc, "", "## Fields", ""]
    lines += ["| Field | Type | Required | Notes |", "|---|---|---|---|"]
    for field in meta.get_fields():
        if not isinstance(field, models.Field) or field.auto_created and not field.concrete:
            continue
        if getattr(field, "remote_field", None) and getattr(
            field.remote_field, "parent_link", False
        ):
            continue
        if field.primary_key and field.auto_created:
            continue
        optional = field.many_to_many or field.null or field.blank or field.has_default()
        required = "no" if optional else "yes"
        notes = [str(field.help_text)] if field.help_text else []
        if field.choices:
            notes.append(", ".join(f"`{value}` {label}" for value, label in field.choices))
        if field.unique and not field.primary_key:
            notes.append("unique")
        lines.append(f"| `{field.name}` | {_field_type(field)} | {required} | {'; '.join(notes)} |")
    label = meta.label_lower
    if label in workflow.registered_models():
        lines += ["", "## States and transitions per process profile", ""]
        for profile, declared in workflow.workflows_for(label).items():
            title = workflow.PROFILE_LABELS[profile]
            lines += [f"### {title} (`{profile}`)", ""]
            if declared is None:
                lines += ["The process is off in this profile.", ""]
                continue
            states = ", ".join(f"`{s.code}` {s.label} ({s.category})" for s in declared.states)
            lines += [f"States: {states}. Starts in `{declared.initial}`.", ""]
            lines += ["| Transition | From | To | Requires | Guards | Effects |"]
            lines += ["|---|---|---|---|---|---|"]
            for t in declared.transitions:
                lines.append(
                    f"| {t.label} | {', '.join(t.source)} | {t.target} | "
                    f"{', '.join(t.requires) or '—'} | {', '.join(t.guards) or '—'} | "
                    f"{', '.join(t.effects) or '—'} |"
                )
            if declared.remap:
                moves = ", ".join(f"`{a}` → `{b}`" for a, b in declared.remap.items())
                lines += ["", f"Switching to this profile moves: {moves}."]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def pages() -> dict[Path, str]:
    from django.apps import apps

    result: dict[Path, str] = {}
    for app_label in APPS:
        for model in apps.get_app_config(app_label).get_models():
            path = DOCS / app_label / f"{model._meta.model_name}.md"
            result[path] = render(model)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is stale")
    args = parser.parse_args()
    _setup()
    stale = []
    for path, text in pages().items():
        current = path.read_text() if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if args.check and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(f"Stale model docs: {names}. Run: python -m steward.core.model_docs", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
