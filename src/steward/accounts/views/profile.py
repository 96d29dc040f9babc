"""The signed-in person's own pages: profile, password, second factor, API tokens."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from steward.accounts import services
from steward.accounts.forms import (
    ApiTokenForm,
    PasswordChangeForm,
    VerifyForm,
    apply_rule_violation,
)
from steward.accounts.models import ApiToken, actor_of
from steward.core import policy
from steward.core.errors import RuleViolation


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    person = actor_of(request)
    context = {
        "person": person,
        "teams": person.teams.all(),
        "roles": person.roles.all(),
        "device": services.confirmed_device(person),
        "token_count": ApiToken.objects.usable().filter(person=person).count(),
    }
    return render(request, "accounts/profile.html", context)


@login_required
def change_password(request: HttpRequest) -> HttpResponse:
    person = actor_of(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password(
                actor=person,
                person=person,
                password=form.cleaned_data["new_password"],
                current_password=form.cleaned_data["current_password"],
            )
        except RuleViolation as exc:
            if "password" in getattr(exc, "message_dict", {}):
                form.add_error("new_password", exc.message_dict["password"])
            else:
                apply_rule_violation(form, exc)
        else:
            update_session_auth_hash(request, person)
            messages.success(request, "Your password has been changed.")
            return redirect("accounts:profile")
    return render(request, "accounts/password.html", {"form": form})


def _qr_svg(device: TOTPDevice) -> str:
    return str(segno.make(device.config_url, error="m").svg_inline(scale=4, title="Scan to enrol"))


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Enrol, confirm or remove the TOTP second factor."""
    person = actor_of(request)
    form = VerifyForm(request.POST or None)
    pending = TOTPDevice.objects.filter(user=person, confirmed=False).first()
    if request.method == "POST":
        step = request.POST.get("step")
        if step == "start":
            pending = services.start_second_factor_enrolment(actor=person)
            form = VerifyForm()
        elif step == "confirm" and form.is_valid():
            try:
                device = services.confirm_second_factor(
                    actor=person, code=form.cleaned_data["code"]
                )
            except RuleViolation as exc:
                apply_rule_violation(form, exc)
            else:
                otp_login(request, device)
                messages.success(request, "Your second factor is on.")
                return redirect("accounts:profile")
        elif step == "remove":
            try:
                services.remove_second_factor(actor=person, person=person)
            except RuleViolation as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, "Your second factor has been removed.")
            return redirect("accounts:second_factor")
    context = {
        "device": services.confirmed_device(person),
        "pending": pending,
        "qr_svg": _qr_svg(pending) if pending else "",
        "secret": pending.config_url.split("secret=")[1].split("&")[0] if pending else "",
        "form": form,
        "required": person.requires_second_factor(),
    }
    return render(request, "accounts/second_factor.html", context)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """List, create (secret shown once) and revoke one's own API tokens."""
    person = actor_of(request)
    form = ApiTokenForm(request.POST or None)
    new_secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            _, new_secret = services.create_api_token(
                actor=person,
                person=person,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            form = ApiTokenForm()
    listed = policy.scope(ApiToken.objects.filter(person=person), person, "view")
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": listed, "new_secret": new_secret},
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    person = actor_of(request)
    token = policy.get_for(person, ApiToken.objects.filter(person=person), pk, "delete")
    services.revoke_api_token(actor=person, token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:tokens")
