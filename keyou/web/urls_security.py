"""Web URLs: security (the two-factor code at login, two-factor setup)."""

from django.urls import path

from keyou.web.views import security

urlpatterns: list = [
    path("login/code/", security.login_code, name="login_code"),
    path("security/two-factor/", security.two_factor, name="two_factor"),
]
