"""Uploading a file of CIs to import and reconcile (the same service as the CLI and API)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from steward.accounts.models import actor_of
from steward.cmdb import imports
from steward.cmdb.forms import ImportForm, apply_violation
from steward.cmdb.models import ConfigurationItem
from steward.core import policy
from steward.core.errors import RuleViolation


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_add(user, ConfigurationItem)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            fmt = form.cleaned_data["format"] or (
                "json" if str(upload.name).lower().endswith(".json") else "csv"
            )
            try:
                report = imports.import_file(
                    actor=user,
                    data=upload.read(),
                    fmt=fmt,
                    source=form.cleaned_data["source"] or "import",
                    dry_run=form.cleaned_data["dry_run"],
                    apply_valid=form.cleaned_data["apply_valid"],
                )
            except RuleViolation as exc:
                apply_violation(form, exc)
                status = 400
        else:
            status = 400
    return render(request, "cmdb/import.html", {"form": form, "report": report}, status=status)
