"""Enter the password again before a sensitive action."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from keyou.web.reauth import mark_authenticated


class ReauthForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput)


@login_required
@require_http_methods(["GET", "POST"])
def reauth(request: HttpRequest) -> HttpResponse:
    """Ask for the password; on success go on to NEXT (a path on this site)."""
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    form = ReauthForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Through authenticate(), so failures count toward the login lockout (and are audited).
        user = authenticate(
            request, username=request.user.get_username(), password=form.cleaned_data["password"]
        )
        if user is not None and user.pk == request.user.pk:
            mark_authenticated(request)
            return redirect(target)
        form.add_error("password", _("That is not your password."))
    return render(request, "web/reauth.html", {"form": form, "next": target})
