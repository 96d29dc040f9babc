"""Forms of the sign-in and profile pages. Administration forms live in admin_forms.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxValueValidator

from steward.core import conf


class SignInForm(AuthenticationForm):
    """E-mail and password."""

    username = forms.EmailField(
        label="E-mail",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail and password do not match an active account.",
    }


class VerifyForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not too common, not all digits.",
    )
    confirm_password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", "The two passwords differ.")
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. 'monitoring'.")
    expires_in_days = forms.IntegerField(min_value=1, label="Expires in (days)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["expires_in_days"]
        maximum = conf.get("API_TOKEN_MAX_DAYS")
        field.initial = conf.get("API_TOKEN_DEFAULT_DAYS")
        field.widget.attrs["max"] = maximum
        field.validators.append(MaxValueValidator(maximum))


def apply_rule_violation(
    form: forms.Form, exc: Any, field_for: Callable[[str], str] | None = None
) -> None:
    """Show a service's RuleViolation on the form, field by field where it can.

    ``field_for`` maps a name the service used to the form's field for it (a form whose
    fields are not named as the service's arguments)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            field = field_for(name) if field_for else name
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
