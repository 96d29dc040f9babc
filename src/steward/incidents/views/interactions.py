"""Interactions: the desk's contact log with a quick "log a call" form, one contact's page
with its outcome buttons, and the first-contact resolution report."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import actor_of
from steward.core import policy
from steward.core.errors import Forbidden, NotFound, RuleViolation
from steward.incidents import forms as f
from steward.incidents.choices import InteractionOutcome
from steward.incidents.filters import InteractionFilterSet
from steward.incidents.models import Incident, Interaction
from steward.incidents.services import interactions, reports

PER_PAGE = 50


def get_interaction(request: HttpRequest, number: str) -> Interaction:
    interaction = (
        Interaction.objects.visible_to(actor_of(request))
        .select_related("caller", "agent", "team", "organisation", "incident")
        .filter(number=number)
        .first()
    )
    if interaction is None:
        raise NotFound("interaction not found")
    return interaction


@login_required
def interaction_list(request: HttpRequest) -> HttpResponse:
    """The contacts one may see; the desk also logs new ones here."""
    user = actor_of(request)
    may_log = policy.can_add(user, Interaction)
    form = f.InteractionForm(request.POST or None, user=user) if may_log else None
    if request.method == "POST":
        if form is None:
            raise Forbidden("You may not log contacts.")
        created = _log(request, form)
        if created is not None:
            return created
    filters = InteractionFilterSet(
        request.GET, queryset=Interaction.objects.visible_to(user), request=request
    )
    rows = filters.qs.select_related("caller", "agent", "incident").order_by("-started_at", "-id")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "filter_form": filters.form, "page": page}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "incidents/_interaction_rows.html", context)
    status = 400 if form is not None and form.errors else 200
    return render(request, "incidents/interaction_list.html", context, status=status)


def _log(request: HttpRequest, form: f.InteractionForm) -> HttpResponse | None:
    """Log the contact and end it the way the pressed button says (all or nothing)."""
    if not form.is_valid():
        return None
    user = actor_of(request)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            interaction = interactions.log_interaction(
                actor=user,
                caller=data["caller"],
                channel=data["channel"],
                summary=data["summary"],
                notes=data["notes"],
                team=data["team"],
            )
            if data["outcome"] == "resolve":
                interactions.resolve_on_first_contact(
                    actor=user, interaction=interaction, resolution=data["resolution"]
                )
            elif data["outcome"] == "raise":
                interaction = interactions.raise_incident_from_interaction(
                    actor=user, interaction=interaction
                )
    except RuleViolation as exc:
        apply_rule_violation(form, exc)
        return None
    if data["outcome"] == "raise" and interaction.incident is not None:
        messages.success(
            request, f"{interaction.number} logged; {interaction.incident.number} opened."
        )
        return redirect(interaction.incident)
    done = "resolved on first contact" if data["outcome"] == "resolve" else "logged"
    messages.success(request, f"{interaction.number} {done}.")
    return redirect(interaction)


def _render_detail(
    request: HttpRequest, interaction: Interaction, status: int = 200, **forms: object
) -> HttpResponse:
    user = actor_of(request)
    context = {
        "interaction": interaction,
        "may_change": interaction.is_open and policy.can(user, "change", interaction),
        "resolve_form": forms.get("resolve_form") or f.ResolveInteractionForm(),
        "link_form": forms.get("link_form") or f.LinkInteractionForm(),
    }
    return render(request, "incidents/interaction_detail.html", context, status=status)


@login_required
def interaction_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render_detail(request, get_interaction(request, number))


@login_required
@require_POST
def interaction_end(request: HttpRequest, number: str, outcome: str) -> HttpResponse:
    """End an open contact: ``resolve``, ``raise`` (an incident), ``link``, ``abandon``."""
    user = actor_of(request)
    interaction = get_interaction(request, number)
    if outcome == "resolve":
        form = f.ResolveInteractionForm(request.POST)
        if not form.is_valid():
            return _render_detail(request, interaction, 400, resolve_form=form)
        try:
            interactions.resolve_on_first_contact(
                actor=user, interaction=interaction, resolution=form.cleaned_data["resolution"]
            )
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
            return _render_detail(request, interaction, 400, resolve_form=form)
    elif outcome == "link":
        link_form = f.LinkInteractionForm(request.POST)
        if not link_form.is_valid():
            return _render_detail(request, interaction, 400, link_form=link_form)
        wanted = link_form.cleaned_data["number"].strip().upper()
        incident = Incident.objects.visible_to(user).filter(number=wanted).first()
        if incident is None:
            link_form.add_error("number", f"No incident {wanted} that you can see.")
            return _render_detail(request, interaction, 400, link_form=link_form)
        try:
            interactions.link_interaction(actor=user, interaction=interaction, incident=incident)
        except RuleViolation as exc:
            apply_rule_violation(link_form, exc)
            return _render_detail(request, interaction, 400, link_form=link_form)
    elif outcome == "raise":
        try:
            interaction = interactions.raise_incident_from_interaction(
                actor=user, interaction=interaction
            )
        except RuleViolation as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(interaction)
        assert interaction.incident is not None
        messages.success(request, f"{interaction.incident.number} opened from the contact.")
        return redirect(interaction.incident)
    elif outcome == "abandon":
        try:
            interactions.abandon_interaction(actor=user, interaction=interaction)
        except RuleViolation as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        raise NotFound("no such outcome")
    return redirect(interaction)


# --- first-contact resolution -----------------------------------------------------------------


@login_required
def fcr_report(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, Interaction, "view")
    today = timezone.localdate()
    data = request.GET if "since" in request.GET else None
    form = f.FirstContactResolutionForm(
        data, user=user, initial={"since": today - timedelta(days=29), "until": today}
    )
    figures = None
    if data is None:
        since, until = reports.day_range(today - timedelta(days=29), today)
        figures = reports.first_contact_resolution(actor=user, since=since, until=until)
    elif form.is_valid():
        since, until = reports.day_range(form.cleaned_data["since"], form.cleaned_data["until"])
        figures = reports.first_contact_resolution(
            actor=user, since=since, until=until, team=form.cleaned_data["team"]
        )
    return render(
        request,
        "incidents/fcr_report.html",
        {"form": form, "figures": figures, "outcomes": InteractionOutcome},
        status=200 if figures is not None else 400,
    )
