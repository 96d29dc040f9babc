"""Forms of the ticket pages. They parse input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from steward.accounts.fields import PersonField
from steward.accounts.models import Person, Team
from steward.cmdb.models import ConfigurationItem
from steward.core import policy
from steward.core.workflow import Transition
from steward.tickets.choices import Impact, LinkType, Urgency
from steward.tickets.models import Ticket


class TicketForm(forms.Form):
    """Opening or editing a ticket. Staff see the routing fields; requesters do not."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown: **bold**, *italic*, lists, `code`, [links](https://example.org).",
    )
    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int, initial=Impact.LOW)
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int, initial=Urgency.LOW)
    service = forms.ModelChoiceField(queryset=ConfigurationItem.objects.none(), required=False)
    configuration_item = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label="Configuration item"
    )
    requester = PersonField(required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    STAFF_FIELDS = ("requester", "team", "assignee")

    def __init__(self, *args: Any, user: Person, ticket: Ticket | None = None, **kwargs: Any):
        if ticket is not None:
            kwargs["initial"] = {
                "title": ticket.title,
                "description": ticket.description,
                "impact": ticket.impact,
                "urgency": ticket.urgency,
                "service": ticket.service_id,
                "configuration_item": ticket.configuration_item_id,
                "requester": ticket.requester_id,
                "team": ticket.team_id,
                "assignee": ticket.assignee_id,
                "version": ticket.version,
            }
        super().__init__(*args, **kwargs)
        cis = ConfigurationItem.objects.visible_to(user).operational().select_related("ci_type")
        self.fields["service"].queryset = cis.services()  # type: ignore[attr-defined]
        self.fields["configuration_item"].queryset = cis  # type: ignore[attr-defined]
        self.is_staff = policy.has_model_permission(user, Ticket, "change")
        if self.is_staff:
            people = Person.objects.visible_to(user).active().order_by("full_name", "id")
            self.fields["requester"].queryset = people  # type: ignore[attr-defined]
            self.fields["team"].queryset = Team.objects.visible_to(user).active()  # type: ignore[attr-defined]
            staff = people.filter(roles__is_staff_role=True).distinct()
            self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]
            self.fields[
                "requester"
            ].help_text = "Type a name or an e-mail address; leave empty when it is your own."
        else:
            for name in self.STAFF_FIELDS:
                del self.fields[name]
        if ticket is None:
            del self.fields["version"]

    def values(self) -> dict[str, Any]:
        """The fields for ``services.create_ticket``, leaving out empty optional choices."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        return {k: v for k, v in data.items() if v not in (None, "") or k in ("description",)}

    def changes(self) -> dict[str, Any]:
        """Only what the person changed, for ``services.update_ticket``."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "version"}


class TransitionForm(forms.Form):
    """The fields a transition asks for (its ``fields``), e.g. the resolution."""

    def __init__(
        self,
        *args: Any,
        transition: Transition,
        user: Person,
        model: type[Ticket] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.transition = transition
        for name in transition.fields:
            required = name in transition.requires
            if name == "resolution":
                self.fields[name] = forms.CharField(
                    widget=forms.Textarea(attrs={"rows": 3}), required=required
                )
            elif name == "assignee":
                self.fields[name] = forms.ModelChoiceField(
                    queryset=Person.objects.visible_to(user)
                    .active()
                    .filter(roles__is_staff_role=True)
                    .distinct(),
                    required=required,
                    initial=user.pk,
                )
            elif name == "team":
                self.fields[name] = forms.ModelChoiceField(
                    queryset=Team.objects.visible_to(user).active(), required=required
                )
            elif model is not None:
                # A kind's own field (an incident's hold reason or resolution code).
                model_field = model._meta.get_field(name)
                field = (
                    model_field.formfield(required=required)
                    if isinstance(model_field, models.Field)
                    else None
                )
                if field is not None:
                    self.fields[name] = field
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment", widget=forms.Textarea(attrs={"rows": 4}), help_text="Markdown."
    )
    is_public = forms.TypedChoiceField(
        label="Visibility",
        choices=[("true", "Reply (the requester sees it)"), ("false", "Work note (staff only)")],
        coerce=lambda value: value == "true",
        initial="true",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["is_public"]


class AttachmentForm(forms.Form):
    file = forms.FileField()
    is_public = forms.BooleanField(label="The requester may see it", required=False, initial=True)


class LinkForm(forms.Form):
    link_type = forms.ChoiceField(choices=LinkType.choices, label="This ticket")
    target = forms.CharField(max_length=32, label="Ticket number")


class TimeEntryForm(forms.Form):
    minutes = forms.IntegerField(min_value=1, max_value=24 * 60)
    spent_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    billable = forms.BooleanField(required=False)
    note = forms.CharField(max_length=200, required=False)
