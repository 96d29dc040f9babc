"""The lives of releases, deployments and DML artefacts, per process profile.

Releases, ``full``: planning -> build -> test -> ready -> deploying -> deployed -> closed;
cancelled from any state before deploying. ``lite`` folds test and ready into build;
``fits`` and ``core`` go straight from planning to deploying. Starting to deploy
(``releases.production_ready``) needs the release's changes approved and, when the policy
says so, a succeeded deployment to test or staging; becoming deployed
(``releases.deployed_to_production``) needs a succeeded production deployment. The effects
stamp the actual start and end.

Deployments (every profile): planned -> in progress -> succeeded or failed; a succeeded or
failed one may be rolled back. Starting one in production runs the same production guard.
DML artefacts (every profile): draft -> approved -> retired, by a release manager
(``releases.approve_dmlartefact``). Guards and effects named ``releases.*`` are registered
in ``apps.py``.
"""

from __future__ import annotations

from steward.core.workflow import Category, State, Transition, Workflow
from steward.releases.choices import ArtefactState as A
from steward.releases.choices import DeploymentState as D
from steward.releases.choices import ReleaseState as S

PLANNING = State(S.PLANNING, S.PLANNING.label, Category.NEW)
BUILD = State(S.BUILD, S.BUILD.label, Category.ACTIVE)
TEST = State(S.TEST, S.TEST.label, Category.ACTIVE)
READY = State(S.READY, S.READY.label, Category.ACTIVE)
DEPLOYING = State(S.DEPLOYING, S.DEPLOYING.label, Category.ACTIVE)
DEPLOYED = State(S.DEPLOYED, S.DEPLOYED.label, Category.RESOLVED)
CLOSED = State(S.CLOSED, S.CLOSED.label, Category.CLOSED)
CANCELLED = State(S.CANCELLED, S.CANCELLED.label, Category.CLOSED)

REASON = ("resolution",)


def _start_deploying(source: tuple[str, ...]) -> Transition:
    return Transition(
        source,
        S.DEPLOYING,
        "Start deploying",
        guards=("releases.production_ready",),
        effects=("releases.stamp_actual_start",),
    )


def _deployed(source: tuple[str, ...]) -> Transition:
    return Transition(
        source,
        S.DEPLOYED,
        "Mark deployed",
        guards=("releases.deployed_to_production",),
        effects=("releases.stamp_actual_end",),
    )


def _cancel(source: tuple[str, ...]) -> Transition:
    return Transition(source, S.CANCELLED, "Cancel", requires=REASON, fields=REASON)


def _back_out() -> Transition:
    # The production deployment failed or was rolled back: the release is ready again.
    return Transition((S.DEPLOYING,), S.READY, "Back out")


CLOSE = Transition((S.DEPLOYED,), S.CLOSED, "Close")

FULL = Workflow(
    states=(PLANNING, BUILD, TEST, READY, DEPLOYING, DEPLOYED, CLOSED, CANCELLED),
    initial=S.PLANNING,
    transitions=(
        Transition((S.PLANNING,), S.BUILD, "Start build"),
        Transition((S.BUILD,), S.TEST, "Start testing"),
        Transition((S.TEST,), S.BUILD, "Back to build (tests failed)"),
        Transition((S.TEST,), S.READY, "Mark ready"),
        _start_deploying((S.READY,)),
        _back_out(),
        _deployed((S.DEPLOYING,)),
        CLOSE,
        _cancel((S.PLANNING, S.BUILD, S.TEST, S.READY)),
    ),
)

LITE = Workflow(
    states=(PLANNING, BUILD, DEPLOYING, DEPLOYED, CLOSED, CANCELLED),
    initial=S.PLANNING,
    transitions=(
        Transition((S.PLANNING,), S.BUILD, "Start build"),
        _start_deploying((S.BUILD,)),
        Transition((S.DEPLOYING,), S.BUILD, "Back out"),
        _deployed((S.DEPLOYING,)),
        CLOSE,
        _cancel((S.PLANNING, S.BUILD)),
    ),
    remap={S.TEST: S.BUILD, S.READY: S.BUILD},
)

SHORT = Workflow(
    states=(PLANNING, DEPLOYING, DEPLOYED, CLOSED, CANCELLED),
    initial=S.PLANNING,
    transitions=(
        _start_deploying((S.PLANNING,)),
        Transition((S.DEPLOYING,), S.PLANNING, "Back out"),
        _deployed((S.DEPLOYING,)),
        CLOSE,
        _cancel((S.PLANNING,)),
    ),
    remap={S.BUILD: S.PLANNING, S.TEST: S.PLANNING, S.READY: S.PLANNING},
)

RELEASE_WORKFLOWS: dict[str, Workflow | None] = {
    "full": FULL,
    "lite": LITE,
    "fits": SHORT,
    "core": SHORT,
}

DEPLOYMENT = Workflow(
    states=(
        State(D.PLANNED, D.PLANNED.label, Category.NEW),
        State(D.IN_PROGRESS, D.IN_PROGRESS.label, Category.ACTIVE),
        State(D.SUCCEEDED, D.SUCCEEDED.label, Category.RESOLVED),
        State(D.FAILED, D.FAILED.label, Category.RESOLVED),
        State(D.ROLLED_BACK, D.ROLLED_BACK.label, Category.CLOSED),
    ),
    initial=D.PLANNED,
    transitions=(
        Transition(
            (D.PLANNED,),
            D.IN_PROGRESS,
            "Start",
            guards=("releases.deployment_may_start",),
            effects=("releases.stamp_deployment_start",),
        ),
        Transition(
            (D.IN_PROGRESS,),
            D.SUCCEEDED,
            "Succeeded",
            fields=("notes",),
            effects=("releases.stamp_deployment_end",),
        ),
        Transition(
            (D.IN_PROGRESS,),
            D.FAILED,
            "Failed",
            requires=("notes",),
            fields=("notes",),
            effects=("releases.stamp_deployment_end",),
        ),
        Transition(
            (D.SUCCEEDED, D.FAILED),
            D.ROLLED_BACK,
            "Roll back",
            requires=("notes",),
            fields=("notes",),
        ),
    ),
)

ARTEFACT = Workflow(
    states=(
        State(A.DRAFT, A.DRAFT.label, Category.NEW),
        State(A.APPROVED, A.APPROVED.label, Category.ACTIVE),
        State(A.RETIRED, A.RETIRED.label, Category.CLOSED),
    ),
    initial=A.DRAFT,
    transitions=(
        Transition(
            (A.DRAFT,),
            A.APPROVED,
            "Approve",
            permission="releases.approve_dmlartefact",
            effects=("releases.stamp_approval",),
        ),
        Transition(
            (A.DRAFT, A.APPROVED),
            A.RETIRED,
            "Retire",
            permission="releases.approve_dmlartefact",
            effects=("releases.stamp_retirement",),
        ),
    ),
)

EVERY_PROFILE = ("full", "lite", "fits", "core")
DEPLOYMENT_WORKFLOWS: dict[str, Workflow | None] = dict.fromkeys(EVERY_PROFILE, DEPLOYMENT)
ARTEFACT_WORKFLOWS: dict[str, Workflow | None] = dict.fromkeys(EVERY_PROFILE, ARTEFACT)
