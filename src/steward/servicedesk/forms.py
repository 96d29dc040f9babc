"""Forms of the self-service portal and the rating pages. They parse input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from steward.accounts.models import Person
from steward.cmdb.models import ConfigurationItem
from steward.core import conf, uploads
from steward.servicedesk.models.satisfaction import MAX_SCORE, MIN_SCORE, SCORE_LABELS
from steward.servicedesk.satisfaction import MAX_COMMENT_CHARS
from steward.tickets.choices import Urgency

MAX_FILES = 10

#: Urgency as a requester would say it.
URGENCY_WORDS = [
    (Urgency.LOW, "It can wait: I can keep working"),
    (Urgency.MEDIUM, "It slows me down: my work is hampered"),
    (Urgency.HIGH, "I cannot work at all"),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked by its content (``core.uploads``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise ValidationError(f"At most {MAX_FILES} files at once.")
        errors: list[str] = []
        cleaned = []
        for file in files:
            single = super().clean(file, initial)
            try:
                uploads.inspect(single, single.name, max_bytes=conf.get("ATTACHMENT_MAX_BYTES"))
            except ValidationError as exc:
                errors += [f"{single.name}: {message}" for message in exc.messages]
            single.seek(0)
            cleaned.append(single)
        if errors:
            raise ValidationError(errors)
        return cleaned


def uploads_of(files: list[Any]) -> list[tuple[Any, str]]:
    return [(file, file.name) for file in files]


class ReportForm(forms.Form):
    """Reporting an incident: what happened, to which service, how badly it stops you."""

    title = forms.CharField(max_length=200, label="What is wrong?")
    description = forms.CharField(
        required=False,
        label="Details",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What did you do, what did you expect, what happened? Markdown: **bold**, "
        "*italic*, lists, `code`.",
    )
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        label="Affected service",
        empty_label="I don't know",
    )
    urgency = forms.TypedChoiceField(
        choices=URGENCY_WORDS,
        coerce=int,
        initial=Urgency.LOW,
        label="How much does it stop you?",
        widget=forms.RadioSelect,
    )
    attachments = MultipleFileField(help_text="Screenshots, logs or documents (optional).")

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services = ConfigurationItem.objects.visible_to(user).operational().services()
        self.fields["service"].queryset = services.order_by("name")  # type: ignore[attr-defined]
        self.has_services = services.exists()
        if not self.has_services:
            del self.fields["service"]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply", widget=forms.Textarea(attrs={"rows": 4}), help_text="Markdown."
    )
    attachments = MultipleFileField()


class RejectForm(forms.Form):
    reason = forms.CharField(label="What is still wrong?", widget=forms.Textarea(attrs={"rows": 3}))


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=[(s, f"{s} {SCORE_LABELS[s]}") for s in range(MIN_SCORE, MAX_SCORE + 1)],
        coerce=int,
        widget=forms.RadioSelect,
        label="How satisfied are you?",
    )
    comment = forms.CharField(
        required=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Anything you want to tell us? (optional)",
    )


class RatingCommentForm(forms.Form):
    comment = forms.CharField(
        required=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Anything you want to tell us? (optional)",
    )
