"""Web URLs: the public customer pool (claims, releases, reclaim policies, approvals, ledger)."""

from django.urls import path

from keyou.web.views import pool

urlpatterns = [
    path("pool/", pool.pool_list, name="pool_list"),
    path("pool/<int:pk>/claim/", pool.pool_claim, name="pool_claim"),
    path("accounts/<int:pk>/release/", pool.account_release, name="account_release"),
    path("pool/policies/", pool.pool_policies, name="pool_policies"),
    path("pool/policies/new/", pool.pool_policy_new, name="pool_policy_new"),
    path("pool/policies/<int:pk>/", pool.pool_policy_edit, name="pool_policy_edit"),
    path("pool/policies/<int:pk>/delete/", pool.pool_policy_delete, name="pool_policy_delete"),
    path("pool/approvals/", pool.pool_approvals, name="pool_approvals"),
    path(
        "pool/approvals/<int:pk>/<str:decision>/",
        pool.pool_approval_decide,
        name="pool_approval_decide",
    ),
    path("pool/moves/", pool.pool_moves, name="pool_moves"),
]
