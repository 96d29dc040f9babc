"""Forms of e-mail in: mailbox administration and the quarantine actions."""

from __future__ import annotations

from typing import Any

from django import forms

from steward.accounts.models import Person, Team
from steward.core import policy
from steward.incidents.models import Category
from steward.servicedesk.models.inbound import Mailbox
from steward.tickets.models import Ticket


class MailboxForm(forms.ModelForm):
    """A mailbox; the password field is write-only (left empty, the current one stays)."""

    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current password.",
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "host",
            "port",
            "tls",
            "username",
            "password",
            "folder",
            "processed_folder",
            "is_enabled",
            "default_team",
            "default_category",
            "unknown_sender",
        ]

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field: Any = self.fields["default_team"]
        team_field.queryset = policy.scope(Team.objects.filter(is_active=True), user, "view")
        category_field: Any = self.fields["default_category"]
        category_field.queryset = Category.objects.active().roots()

    def service_arguments(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ReleaseForm(forms.Form):
    ticket = forms.CharField(
        required=False,
        max_length=20,
        label="Put it on ticket (number)",
        help_text="Empty: thread it as usual, or open a new incident.",
    )
    create_requester = forms.BooleanField(
        required=False, label="Create the sender as a requester if nobody has the address"
    )

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_ticket(self) -> Ticket | None:
        number = self.cleaned_data["ticket"].strip().upper()
        if not number:
            return None
        ticket = policy.scope(Ticket.objects.filter(number=number), self.user, "view").first()
        if ticket is None:
            raise forms.ValidationError("No ticket you can see has this number.")
        return ticket


class DiscardForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="Why discard it?"
    )
