"""Web URLs: automation rules, their dry runs and run log, and the first-run checklist."""

from django.urls import path

from keyou.web.views import rules

urlpatterns = [
    path("automation/rules/", rules.rule_list, name="rule_list"),
    path("automation/rules/new/", rules.rule_create, name="rule_create"),
    path("automation/rules/export/", rules.rule_export, name="rule_export"),
    path("automation/rules/import/", rules.rule_import, name="rule_import"),
    path("automation/rules/dry-run/", rules.rule_dry_run_unsaved, name="rule_dry_run_unsaved"),
    path("automation/rules/<int:pk>/", rules.rule_edit, name="rule_edit"),
    path("automation/rules/<int:pk>/enable/", rules.rule_enable, name="rule_enable"),
    path("automation/rules/<int:pk>/move/", rules.rule_move, name="rule_move"),
    path("automation/rules/<int:pk>/delete/", rules.rule_delete, name="rule_delete"),
    path("automation/rules/<int:pk>/dry-run/", rules.rule_dry_run_view, name="rule_dry_run"),
    path("automation/rules/<int:pk>/runs/", rules.rule_run_list, name="rule_run_list"),
    path("automation/runs/", rules.run_list, name="run_list"),
    path("automation/setup/", rules.automation_setup, name="automation_setup"),
]
