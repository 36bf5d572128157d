"""Web URLs: people (the team tree, users, teams, roles) and assigning an account."""

from django.urls import path

from keyou.web.views import people

urlpatterns = [
    path("people/", people.people_tree, name="people_tree"),
    path("people/users/new/", people.user_create, name="people_user_new"),
    path("people/users/<int:pk>/", people.user_edit, name="people_user_edit"),
    path("people/teams/new/", people.team_create, name="people_team_new"),
    path("people/teams/<int:pk>/", people.team_edit, name="people_team_edit"),
    path("people/roles/", people.role_list, name="people_role_list"),
    path("people/roles/new/", people.role_create, name="people_role_new"),
    path("people/roles/<int:pk>/", people.role_edit, name="people_role_edit"),
    path("accounts/<int:pk>/assign/", people.account_assign, name="account_assign"),
]
