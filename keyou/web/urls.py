"""Web app URLs."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from keyou.web.views import (
    accounts,
    compose,
    contacts,
    home,
    mail,
    mailboxes,
    me,
    notifications,
    queue,
    reauth,
    search,
)

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home.home, name="home"),
    path("me/", me.preferences, name="preferences"),
    path("reauth/", reauth.reauth, name="reauth"),
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("queue/", queue.queue, name="queue"),
    # Customers
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/<int:pk>/", accounts.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", accounts.account_edit, name="account_edit"),
    path("accounts/<int:pk>/notes/", accounts.note_create, name="note_create"),
    path("accounts/<int:pk>/log/", accounts.interaction_create, name="interaction_create"),
    path("accounts/<int:pk>/tags/", accounts.tag_add, name="tag_add"),
    path("accounts/<int:pk>/tags/remove/", accounts.tag_remove, name="tag_remove"),
    path("accounts/<int:pk>/contacts/", accounts.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", contacts.contact_detail, name="contact_detail"),
    # Mail
    path("threads/<int:pk>/", mail.thread_detail, name="thread_detail"),
    path("threads/<int:pk>/privacy/", mail.thread_privacy, name="thread_privacy"),
    path("messages/<int:pk>/body/", mail.message_body, name="message_body"),
    path("messages/<int:pk>/raw/", mail.message_raw, name="message_raw"),
    path("messages/<int:pk>/refile/", mail.message_refile, name="message_refile"),
    path("messages/<int:pk>/cid/<path:cid>", mail.message_cid, name="message_cid"),
    path("attachments/<int:pk>/", mail.attachment_download, name="attachment_download"),
    path("problems/", mail.problem_list, name="problem_list"),
    # Writing mail
    path("compose/", compose.compose, name="compose"),
    path("outbox/", compose.outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", compose.outbox_retry_view, name="outbox_retry"),
    # Mailboxes
    path("mailboxes/", mailboxes.mailbox_list, name="mailbox_list"),
    path("mailboxes/<int:pk>/", mailboxes.mailbox_detail, name="mailbox_detail"),
    path("mailboxes/<int:pk>/status/", mailboxes.mailbox_status, name="mailbox_status"),
    path("mailboxes/<int:pk>/test/", mailboxes.mailbox_test, name="mailbox_test"),
    path("mailboxes/<int:pk>/sync/", mailboxes.mailbox_sync_now, name="mailbox_sync_now"),
    path(
        "mailboxes/<int:pk>/folders/<int:folder_pk>/",
        mailboxes.folder_toggle,
        name="folder_toggle",
    ),
    # Search
    path("search/", search.search, name="search"),
    # Access: people and roles, grants and the audit log, exports, handover, security
    path("", include("keyou.web.urls_people")),
    path("", include("keyou.web.urls_grants")),
    path("", include("keyou.web.urls_exports")),
    path("", include("keyou.web.urls_handover")),
    path("", include("keyou.web.urls_security")),
    path("", include("keyou.web.urls_tasks")),
    path("", include("keyou.web.urls_channels")),
    path("", include("keyou.web.urls_hours")),
    path("", include("keyou.web.urls_routing")),
    path("", include("keyou.web.urls_rules")),
    path("", include("keyou.web.urls_deals")),
    path("", include("keyou.web.urls_pool")),
    path("", include("keyou.web.urls_customers")),
    path("", include("keyou.web.urls_analytics")),
]
