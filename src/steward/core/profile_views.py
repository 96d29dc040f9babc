"""The process profile page: which profile is active, what a switch would move, switching."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from steward.core import profiles, workflow
from steward.core.errors import Forbidden, RuleViolation


class ProfileForm(forms.Form):
    profile = forms.ChoiceField(
        choices=[(code, label) for code, label in workflow.PROFILE_LABELS.items()],
        widget=forms.RadioSelect,
        label="Process profile",
    )


@login_required
def process_profile(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("core.view_sitesetting"):
        raise Forbidden("Only administrators and auditors see the process profile.")
    may_change = request.user.has_perm("core.change_sitesetting")
    active = workflow.active_profile()
    preview = request.POST.get("profile") or request.GET.get("profile")
    form = ProfileForm(request.POST or None, initial={"profile": preview or active})
    plan = {}
    if preview in workflow.PROFILES and preview != active:
        try:
            plan = profiles.plan_switch(preview)
        except RuleViolation as exc:
            form.add_error(None, exc.messages)
    if request.method == "POST":
        if not may_change:
            raise Forbidden("Only administrators may change the process profile.")
        if form.is_valid() and request.POST.get("confirm") == "yes":
            try:
                switch = profiles.set_profile(
                    actor=request.user, profile=form.cleaned_data["profile"]
                )
            except RuleViolation as exc:
                form.add_error(None, exc.messages)
            else:
                moved = sum(n for moves in switch.moved.values() for n in moves.values())
                messages.success(
                    request,
                    f"The process profile is now {workflow.PROFILE_LABELS[switch.profile]}; "
                    f"{moved} records moved to states it has.",
                )
                return redirect("core:process_profile")
    context = {
        "form": form,
        "active": active,
        "active_label": workflow.PROFILE_LABELS[active],
        "preview": preview if preview != active else None,
        "plan": plan,
        "may_change": may_change,
        "workflows": workflow.describe(active),
    }
    return render(request, "core/process_profile.html", context)
