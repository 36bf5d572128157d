"""Web URLs: tasks, internal comments and leads."""

from django.urls import path

from keyou.web.views import comments, leads, tasks

urlpatterns = [
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/new/", tasks.task_new, name="task_new"),
    path("tasks/<int:pk>/", tasks.task_edit, name="task_edit"),
    path("tasks/<int:pk>/done/", tasks.task_done, name="task_done"),
    path("tasks/<int:pk>/reopen/", tasks.task_reopen, name="task_reopen"),
    path("tasks/<int:pk>/cancel/", tasks.task_cancel, name="task_cancel"),
    path(
        "accounts/<int:pk>/comments/",
        comments.account_comment_create,
        name="account_comment_create",
    ),
    path(
        "threads/<int:pk>/comments/", comments.thread_comment_create, name="thread_comment_create"
    ),
    path("leads/", leads.lead_list, name="lead_list"),
    path("leads/<int:pk>/status/", leads.lead_status, name="lead_status"),
    path("leads/<int:pk>/convert/", leads.lead_convert, name="lead_convert"),
]
