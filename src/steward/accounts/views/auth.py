"""Signing in (password, then the second factor when enrolled) and out."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from steward.accounts import services
from steward.accounts.forms import SignInForm, VerifyForm
from steward.accounts.models import actor_of
from steward.core import audit


class StewardLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a TOTP code from the enrolled device."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    device = services.confirmed_device(actor_of(request))
    if device is None or not services.second_factor_pending(request.user):
        return redirect(_safe_next(request))
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["code"].strip()):
            otp_login(request, device)
            return redirect(_safe_next(request))
        audit.record(actor=request.user, action="person.second_factor_failed", obj=request.user)
        form.add_error(
            "code",
            "That code is not valid."
            if allowed
            else "Too many wrong codes; wait a moment before trying again.",
        )
    return render(request, "accounts/verify.html", {"form": form, "next": _safe_next(request)})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")
