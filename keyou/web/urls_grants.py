"""Web URLs: temporary grants, access requests and the audit log."""

from django.urls import path

from keyou.web.views import audit, grants

urlpatterns = [
    path("grants/", grants.grant_list, name="grant_list"),
    path("grants/new/", grants.grant_create, name="grant_create"),
    path("grants/<int:pk>/revoke/", grants.grant_revoke, name="grant_revoke"),
    path("access-requests/", grants.access_request_list, name="access_request_list"),
    path("access-requests/new/", grants.access_request_new, name="access_request_new"),
    path(
        "access-requests/<int:pk>/decide/",
        grants.access_request_decide,
        name="access_request_decide",
    ),
    path("audit/", audit.audit_log, name="audit_log"),
]
