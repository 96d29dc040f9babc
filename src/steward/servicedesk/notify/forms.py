"""Forms of the notification administration pages. Rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms

from steward.servicedesk.models.outbound import NotificationEvent, NotificationTemplate
from steward.servicedesk.notify import services


class NotificationTemplateForm(forms.Form):
    """Edit a template; new ones (for one ticket kind) also choose event and kind."""

    event = forms.ChoiceField(choices=NotificationEvent.choices)
    ticket_kind = forms.ChoiceField(label="Ticket kind", required=False)
    subject = forms.CharField(max_length=255, widget=forms.TextInput(attrs={"size": 80}))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 14, "cols": 80}))
    is_enabled = forms.BooleanField(label="Send this notification", required=False)

    def __init__(self, data: Any = None, *, template: NotificationTemplate | None = None) -> None:
        initial = (
            {
                "event": template.event,
                "ticket_kind": template.ticket_kind,
                "subject": template.subject,
                "body": template.body,
                "is_enabled": template.is_enabled,
            }
            if template is not None
            else {"is_enabled": True}
        )
        super().__init__(data, initial=initial)
        self.template = template
        kind = self.fields["ticket_kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [("", "Every kind"), *services.kind_choices()]
        if template is not None:
            del self.fields["event"]
            del self.fields["ticket_kind"]
        else:
            self.fields["ticket_kind"].required = True

    def service_arguments(self) -> dict[str, Any]:
        names = ("event", "ticket_kind", "subject", "body", "is_enabled")
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}


class SendAgainForm(forms.Form):
    """Nothing to fill in: the button confirms an administrator's decision."""
