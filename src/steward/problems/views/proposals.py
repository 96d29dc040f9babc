"""The problem manager's queue of proposals from trend detection: the list, one proposal with
its evidence, accepting (a problem is raised with the incidents linked), dismissing with a
reason, and running detection now. Views parse, fetch through the policy, call one service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import actor_of
from steward.core import policy
from steward.core.errors import Conflict, NotFound, RuleViolation
from steward.core.paging import CappedPaginator
from steward.problems import forms as f
from steward.problems import trends
from steward.problems.api.views import with_visible_incidents
from steward.problems.choices import ProposalState
from steward.problems.filters import ProblemProposalFilterSet
from steward.problems.models import ProblemProposal
from steward.problems.services import proposals

PER_PAGE = 50


def _proposal(request: HttpRequest, pk: int) -> ProblemProposal:
    user = actor_of(request)
    found = (
        with_visible_incidents(ProblemProposal.objects.visible_to(user), user)
        .select_related("configuration_item", "service", "category", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound("proposal not found")
    return found


@login_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    """Proposals, open ones first by default, the largest clusters on top."""
    user = actor_of(request)
    policy.require_model(user, ProblemProposal, "view")
    data = request.GET.copy()
    data.setdefault("state", ProposalState.PROPOSED)
    filters = ProblemProposalFilterSet(
        data, queryset=ProblemProposal.objects.visible_to(user), request=request
    )
    rows = filters.qs.select_related("configuration_item", "service", "category", "problem")
    page = CappedPaginator(rows.order_by("-incident_count", "-score", "-id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    may_detect = policy.can_add(user, ProblemProposal)
    context: dict[str, Any] = {
        "filter_form": filters.form,
        "page": page,
        "may_detect": may_detect,
        "detect_form": f.DetectForm(
            initial={
                "window_days": trends.default_window_days(),
                "threshold": trends.default_threshold(),
            }
        ),
    }
    return render(request, "problems/proposal_list.html", context)


@login_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, ProblemProposal, "view")
    return _page(request, _proposal(request, pk))


@login_required
@require_POST
def proposal_accept(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    proposal = _proposal(request, pk)
    form = f.ProposalAcceptForm(request.POST)
    if form.is_valid():
        try:
            accepted = proposals.accept_proposal(
                actor=user,
                proposal=proposal,
                title=form.cleaned_data["title"],
                expected_version=form.cleaned_data["version"],
            )
        except Conflict:
            form.add_error(None, "Somebody changed this proposal meanwhile; look again.")
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(
                request,
                f"{accepted.problem.number} has been raised with "
                f"{len(accepted.linked)} incident(s) linked.",
            )
            for incident, reason in accepted.skipped:
                messages.warning(request, f"{incident.number} was not linked: {reason}.")
            return redirect(accepted.problem)
    return _page(request, proposal, status=400, accept_form=form)


@login_required
@require_POST
def proposal_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    proposal = _proposal(request, pk)
    form = f.ProposalDismissForm(request.POST)
    if form.is_valid():
        try:
            proposals.dismiss_proposal(
                actor=user,
                proposal=proposal,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except Conflict:
            form.add_error(None, "Somebody changed this proposal meanwhile; look again.")
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, "The proposal has been dismissed.")
            return redirect("problems:proposal_list")
    return _page(request, proposal, status=400, dismiss_form=form)


def _page(
    request: HttpRequest, proposal: ProblemProposal, status: int = 200, **forms: Any
) -> HttpResponse:
    """The proposal's page: its evidence and, for problem managers, the decision forms
    (a refused one again with its errors)."""
    user = actor_of(request)
    visible: list[Any] = getattr(proposal, "visible_incidents", [])
    context = {
        "proposal": proposal,
        "incidents": sorted(visible, key=lambda i: (i.opened_at, i.pk)),
        "hidden_incidents": proposal.incident_count - len(visible),
        "may_decide": proposal.is_open and policy.can(user, "change", proposal),
        "accept_form": f.ProposalAcceptForm(
            initial={"title": proposal.title, "version": proposal.version}
        ),
        "dismiss_form": f.ProposalDismissForm(initial={"version": proposal.version}),
        **forms,
    }
    return render(request, "problems/proposal_detail.html", context, status=status)


@login_required
@require_POST
def proposal_detect(request: HttpRequest) -> HttpResponse:
    """Run trend detection now with the window and threshold given."""
    user = actor_of(request)
    policy.require_model(user, ProblemProposal, "view")
    form = f.DetectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a window of 1 to 366 days and a threshold of 2 or more.")
        return redirect("problems:proposal_list")
    try:
        outcome = proposals.detect_problems(actor=user, **form.cleaned_data)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("problems:proposal_list")
    messages.success(
        request,
        f"Detection found {len(outcome.detection.clusters)} cluster(s): "
        f"{len(outcome.created)} new, {len(outcome.updated)} updated, "
        f"{len(outcome.reproposed)} proposed again.",
    )
    return redirect("problems:proposal_list")
