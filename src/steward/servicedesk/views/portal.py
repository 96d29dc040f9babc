"""The self-service portal: a requester's own tickets, reporting, replying, confirming or
rejecting a resolution, and rating. Views parse, fetch through the policy, call one service
and render. Only public replies and public files ever reach these pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import Person, actor_of
from steward.core import policy, workflow
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from steward.core.workflow import Category
from steward.servicedesk import forms as f
from steward.servicedesk import satisfaction, services
from steward.servicedesk.models.satisfaction import SatisfactionRating
from steward.tickets.models import Attachment, Comment, Ticket, specific
from steward.tickets.views.ticket import attachment_response

PER_PAGE = 25
SHOW = {
    "open": Category.OPEN,
    "resolved": (Category.RESOLVED,),
    "closed": (Category.CLOSED,),
}
#: Only these ticket fields are read for the list (nothing internal is even loaded).
LIST_FIELDS = (
    "number",
    "title",
    "state",
    "state_category",
    "opened_at",
    "resolved_at",
    "updated_at",
    "requester_id",
)


def _ticket(request: HttpRequest, number: str) -> Ticket:
    """The ticket by its number, through the policy (404 when unseen or unknown)."""
    ticket = Ticket.objects.visible_to(actor_of(request)).filter(number=number).first()
    if ticket is None:
        raise NotFound("ticket not found")
    kind: Ticket = specific(ticket)
    return kind


def my_tickets_queryset(user: Person, show: str = "") -> QuerySet[Ticket]:
    rows = Ticket.objects.visible_to(user)
    if policy.has_model_permission(user, Ticket, "view"):
        rows = rows.filter(requester=user)  # staff using the portal: their own requests
    if show in SHOW:
        rows = rows.filter(state_category__in=SHOW[show])
    return rows.only(*LIST_FIELDS).order_by("-updated_at", "-id")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """My tickets: my own, and my organisation's where it shares them."""
    user = actor_of(request)
    show = request.GET.get("show", "")
    page = Paginator(my_tickets_queryset(user, show), PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    rated = set(
        SatisfactionRating.objects.filter(ticket__in=[r.pk for r in rows]).values_list(
            "ticket_id", flat=True
        )
    )
    labels = workflow.state_labels()
    for row in rows:
        row.state_label = labels.get(row.state, row.state)  # type: ignore[attr-defined]
        row.is_mine = row.requester_id == user.pk  # type: ignore[attr-defined]
        row.awaits_me = (  # type: ignore[attr-defined]
            row.is_mine and row.state_category == Category.RESOLVED  # type: ignore[attr-defined]
        )
        row.awaits_rating = (  # type: ignore[attr-defined]
            row.is_mine  # type: ignore[attr-defined]
            and row.pk not in rated
            and satisfaction.is_rateable(row)
        )
    page.object_list = rows
    context = {"page": page, "show": show, "shows": ["", *SHOW]}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "portal/_ticket_rows.html", context)
    return render(request, "portal/home.html", context)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Report an incident, with attachments."""
    user = actor_of(request)
    form = f.ReportForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.report_incident(
                actor=user,
                title=data["title"],
                description=data["description"],
                service=data.get("service"),
                urgency=data["urgency"],
                files=f.uploads_of(data["attachments"]),
            )
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Thank you. {incident.number} has been reported.")
            return redirect("portal:ticket", number=incident.number)
    return render(request, "portal/report.html", {"form": form}, status=400 if form.errors else 200)


def _render_ticket(
    request: HttpRequest, ticket: Ticket, status: int = 200, **forms: Any
) -> HttpResponse:
    user = actor_of(request)
    comments = (
        Comment.objects.visible_to(user)
        .filter(ticket=ticket, is_public=True)
        .select_related("author")
        .prefetch_related("attachments")
    )
    attachments = Attachment.objects.visible_to(user).filter(ticket=ticket, is_public=True)
    mine = ticket.requester_id == user.pk
    rating = SatisfactionRating.objects.filter(ticket=ticket).first()
    state = workflow.state_of(ticket)
    context = {
        "ticket": ticket,
        "state": state.label if state else ticket.state,
        "comments": comments,
        "attachments": attachments,
        "may_reply": mine or policy.can(user, "change", ticket),
        "may_confirm": mine and services.closing_step(ticket) is not None,
        "may_reject": mine and services.reopening_step(ticket, user) is not None,
        "may_rate": satisfaction.may_rate(user, ticket),
        "rating": rating,
        "reply_form": forms.get("reply_form") or f.ReplyForm(),
        "reject_form": forms.get("reject_form") or f.RejectForm(),
        "rating_form": forms.get("rating_form")
        or f.RatingForm(
            initial={"score": rating.score, "comment": rating.comment} if rating else None
        ),
    }
    return render(request, "portal/ticket.html", context, status=status)


@login_required
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render_ticket(request, _ticket(request, number))


@login_required
@require_POST
def ticket_reply(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    ticket = _ticket(request, number)
    form = f.ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.reply(
                actor=user,
                ticket=ticket,
                body=form.cleaned_data["body"],
                files=f.uploads_of(form.cleaned_data["attachments"]),
            )
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your reply has been sent.")
            return redirect(reverse("portal:ticket", args=[ticket.number]) + "#conversation")
    return _render_ticket(request, ticket, status=400, reply_form=form)


@login_required
@require_POST
def ticket_confirm(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    ticket = _ticket(request, number)
    try:
        services.confirm_resolution(actor=user, ticket=ticket)
    except (RuleViolation, Conflict) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"Thank you for confirming. {ticket.number} is closed.")
    return redirect("portal:ticket", number=ticket.number)


@login_required
@require_POST
def ticket_reject(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    ticket = _ticket(request, number)
    form = f.RejectForm(request.POST)
    if form.is_valid():
        try:
            services.reject_resolution(
                actor=user, ticket=ticket, reason=form.cleaned_data["reason"]
            )
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{ticket.number} is open again; we are on it.")
            return redirect("portal:ticket", number=ticket.number)
    return _render_ticket(request, ticket, status=400, reject_form=form)


@login_required
@require_POST
def ticket_rate(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    ticket = _ticket(request, number)
    form = f.RatingForm(request.POST)
    if form.is_valid():
        try:
            rating = satisfaction.rate(
                actor=user,
                ticket=ticket,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            if request.htmx:  # type: ignore[attr-defined]
                return render(
                    request,
                    "portal/_rating.html",
                    {"ticket": ticket, "rating": rating, "may_rate": True, "rating_form": form},
                )
            messages.success(request, "Thank you for your rating.")
            return redirect(reverse("portal:ticket", args=[ticket.number]) + "#rating")
    return _render_ticket(request, ticket, status=400, rating_form=form)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A public file of a ticket the person may see (always as a download)."""
    user = actor_of(request)
    attachment = policy.get_for(user, Attachment.objects.filter(is_public=True), pk)
    return attachment_response(attachment)


# --- the one-click rating link ----------------------------------------------------------------


def _link_error(request: HttpRequest, error: satisfaction.RatingLinkError) -> HttpResponse:
    return render(
        request, "portal/rate_link_error.html", {"message": error.message}, status=error.status
    )


@never_cache
def rate_link(request: HttpRequest, token: str, score: int) -> HttpResponse:
    """Following the e-mail's link records the score at once; the page then takes a comment.

    Works without signing in: the signed token names the ticket and its requester.
    """
    try:
        if request.method == "POST":
            form = f.RatingCommentForm(request.POST)
            if not form.is_valid():
                ticket, _ = satisfaction.read_token(token)
                return render(
                    request,
                    "portal/rate_link.html",
                    {"form": form, "ticket": ticket, "score": score, "token": token},
                    status=400,
                )
            rating = satisfaction.rate_by_link(
                token=token,
                score=score,
                comment=form.cleaned_data["comment"],
                signed_in=request.user,
            )
            return render(
                request,
                "portal/rate_link.html",
                {"rating": rating, "ticket": rating.ticket, "score": score, "done": True},
            )
        rating = satisfaction.rate_by_link(token=token, score=score, signed_in=request.user)
    except satisfaction.RatingLinkError as exc:
        return _link_error(request, exc)
    form = f.RatingCommentForm(initial={"comment": rating.comment})
    return render(
        request,
        "portal/rate_link.html",
        {"rating": rating, "ticket": rating.ticket, "score": score, "token": token, "form": form},
    )
