"""The public pool: the pool list and claims, releases, reclaim policies, approvals, the ledger.

The pool list shows the ownerless accounts the user may claim from (see
keyou.pool.selectors for who sees what); a claim or release refused for a reason
the user can act on (a limit, the cooldown, someone faster) comes back as a message.
Pages that name an object answer 404 when it is missing or out of the user's reach;
the policy pages need manage_rules (403 on the list, 404 on one policy).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyou.crm.selectors import NotFound, accounts_visible_to
from keyou.people.access import NotAllowed, can, require
from keyou.people.models import Capability
from keyou.pool import policies as policy_service
from keyou.pool import selectors, services
from keyou.pool.models import MoveKind, PoolPolicy
from keyou.pool.reclaim import approval_decide
from keyou.pool.selectors import (
    PoolFilters,
    approvals_pending_for,
    pool_limits_for,
    pool_moves_for,
)
from keyou.pool.services import PoolRefused, account_claim
from keyou.web.forms import parse_page
from keyou.web.pool_forms import PoolFilterForm, PoolPolicyForm, ReleaseForm

NAV = "pool"
PER_PAGE = 50


@login_required
@require_GET
def pool_list(request: HttpRequest) -> HttpResponse:
    """The pool accounts I may claim, filtered, with my limits."""
    form = PoolFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = PoolFilters(
        q=data.get("q", ""),
        country=data.get("country", ""),
        tier=data.get("tier", ""),
        lifecycle=data.get("lifecycle", ""),
    )
    page = Paginator(selectors.pool_list(request.user, filters), PER_PAGE).get_page(
        parse_page(request.GET.get("page"))
    )
    limits = pool_limits_for(request.user)
    context = {
        "form": form,
        "page": page,
        "limits": limits,
        "may_claim": can(request.user, Capability.CLAIM_POOL)
        and limits.can_hold_more
        and limits.can_claim_today,
        "can_claim": can(request.user, Capability.CLAIM_POOL),
        "nav": NAV,
    }
    return render(request, "web/pool/list.html", context)


@login_required
@require_POST
def pool_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """Claim pool account PK; back to the pool with the reason when refused."""
    try:
        account = account_claim(actor=request.user, account=pk)
    except NotFound:
        raise Http404 from None
    except PoolRefused as refused:
        messages.error(request, refused.localized())
        return redirect("pool_list")
    messages.success(request, _("%(name)s is yours now.") % {"name": account.name})
    return redirect("account_detail", pk=account.pk)


@login_required
@require_POST
def account_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Give account PK back to the public pool (its owner, or someone who may assign it)."""
    form = ReleaseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        account = services.account_release(actor=request.user, account=pk, reason=reason)
    except NotFound:
        raise Http404 from None
    except PoolRefused as refused:
        messages.error(request, refused.localized())
        return redirect("account_detail", pk=pk)
    messages.success(request, _("%(name)s is in the public pool now.") % {"name": account.name})
    if accounts_visible_to(request.user).filter(pk=account.pk).exists():
        return redirect("account_detail", pk=account.pk)
    return redirect("pool_list")


# --- Policies ---------------------------------------------------------------------------


@login_required
@require_GET
def pool_policies(request: HttpRequest) -> HttpResponse:
    """The reclaim policies in the order they are tried (manage_rules)."""
    policies = list(policy_service.policies_for(request.user))  # NotAllowed is a 403
    for policy in policies:
        policy.after_days = policy.after_hours // 24
    return render(request, "web/pool/policies.html", {"policies": policies, "nav": NAV})


def _policy_or_404(request: HttpRequest, pk: int) -> PoolPolicy:
    try:
        return policy_service.policy_get_for(request.user, pk)
    except (PoolPolicy.DoesNotExist, NotAllowed):
        raise Http404 from None


def _policy_form(request: HttpRequest, policy: PoolPolicy | None) -> HttpResponse:
    initial = PoolPolicyForm.initial_for(policy) if policy is not None else None
    form = PoolPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            policy_service.policy_save(
                actor=request.user,
                policy=policy,
                name=data["name"],
                position=data["position"],
                enabled=data["enabled"],
                trigger=data["trigger"],
                after_hours=form.after_hours(),
                lifecycles=data["lifecycles"],
                tiers=data["tiers"],
                tags=data["tags"],
                warn_hours=data["warn_hours"],
                protection_days=data["protection_days"],
                requires_approval=data["requires_approval"],
                redistribute=data["redistribute"],
                redistribute_team=data["redistribute_team"],
            )
        except PoolRefused as refused:
            form.add_error(None, refused.localized())
        else:
            messages.success(request, _("The reclaim policy is saved."))
            return redirect("pool_policies")
    context = {"form": form, "policy": policy, "nav": NAV}
    return render(request, "web/pool/policy_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def pool_policy_new(request: HttpRequest) -> HttpResponse:
    """Add a reclaim policy (last in the order unless told otherwise)."""
    require(request.user, Capability.MANAGE_RULES)
    return _policy_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def pool_policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a reclaim policy."""
    return _policy_form(request, _policy_or_404(request, pk))


@login_required
@require_POST
def pool_policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a reclaim policy."""
    policy = _policy_or_404(request, pk)
    policy_service.policy_delete(actor=request.user, policy=policy)
    messages.success(request, _("%(name)s is deleted.") % {"name": policy.name})
    return redirect("pool_policies")


# --- Approvals and the ledger ---------------------------------------------------------------


@login_required
@require_GET
def pool_approvals(request: HttpRequest) -> HttpResponse:
    """The reclaims waiting for my approval (my teams', or those I may assign)."""
    approvals = list(approvals_pending_for(request.user))
    return render(request, "web/pool/approvals.html", {"approvals": approvals, "nav": NAV})


@login_required
@require_POST
def pool_approval_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Approve (the account goes to the pool now) or reject (it stays) a pending reclaim."""
    if decision not in ("approve", "reject"):
        raise Http404
    try:
        approval = approval_decide(actor=request.user, approval=pk, approve=decision == "approve")
    except NotFound:
        raise Http404 from None
    except PoolRefused as refused:
        messages.error(request, refused.localized())
        return redirect("pool_approvals")
    name = approval.account.name
    if decision == "approve":
        messages.success(request, _("%(name)s goes back to the public pool.") % {"name": name})
    else:
        messages.success(request, _("%(name)s stays with its owner.") % {"name": name})
    return redirect("pool_approvals")


@login_required
@require_GET
def pool_moves(request: HttpRequest) -> HttpResponse:
    """The pool ledger: every claim, release, warning, reclaim I may see, newest first."""
    kind = request.GET.get("kind", "")
    page = Paginator(pool_moves_for(request.user, kind=kind), PER_PAGE).get_page(
        parse_page(request.GET.get("page"))
    )
    context = {"page": page, "kind": kind, "kinds": MoveKind.choices, "nav": NAV}
    return render(request, "web/pool/moves.html", context)
