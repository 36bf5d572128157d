"""Security pages: the lockout answer, the two-factor code at login, two-factor setup."""

from __future__ import annotations

from axes.helpers import get_client_username
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.people.lockout import lockout_minutes_left
from keyou.people.two_factor import (
    totp_confirm,
    totp_device_pending,
    totp_disable,
    totp_qr_svg,
    totp_secret,
    totp_verify,
    totp_wait_seconds,
    two_factor_enabled,
    two_factor_mode,
    two_factor_required,
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=pgettext_lazy("one-time code", "Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """Answer a login attempt on a locked account: the login page, saying so (429).

    Called by django-axes (AXES_LOCKOUT_CALLABLE) in place of the login view's answer.
    """
    username = get_client_username(request, credentials) or ""
    minutes = lockout_minutes_left(username)
    text = ngettext(
        "Too many failed logins for this account. "
        "Try again in %(minutes)d minute, or ask an admin to unlock it.",
        "Too many failed logins for this account. "
        "Try again in %(minutes)d minutes, or ask an admin to unlock it.",
        minutes,
    ) % {"minutes": minutes}
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "lockout": text, "next": _next(request, default="")}
    return render(request, "web/login.html", context, status=429)


@login_required
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Ask a user with an authenticator for its code after the password; then go on."""
    user = request.user
    target = _next(request)
    if user.is_verified() or not two_factor_enabled(user):
        return redirect(target)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = totp_wait_seconds(user)
        if wait:
            form.add_error("code", _wait_text(wait))
        else:
            device = totp_verify(user=user, token=form.cleaned_data["code"])
            if device is not None:
                _verified(request, device)
                return redirect(target)
            audit(user, AuditAction.LOGIN_FAILED, obj=user, request=request,
                  data={"second_factor": True})  # fmt: skip
            form.add_error("code", _("That code is not right. Enter the code the app shows now."))
    return render(request, "web/security/login_code.html", {"form": form, "next": target})


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Show and change the user's two-factor login: set up an authenticator, or remove it."""
    user = request.user
    mode = two_factor_mode()
    context: dict = {"mode": mode, "required": two_factor_required(user)}
    if mode == "off":
        return render(request, "web/security/two_factor.html", context)
    if two_factor_enabled(user):
        form = PasswordForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if context["required"]:
                form.add_error(None, _("Admins must keep two-factor login on."))
            elif not user.check_password(form.cleaned_data["password"]):
                form.add_error("password", _("That is not your password."))
            else:
                totp_disable(user=user, request=request)
                messages.success(request, _("Two-factor login is off."))
                return redirect("two_factor")
        context |= {"enabled": True, "form": form}
        return render(request, "web/security/two_factor.html", context)
    device = totp_device_pending(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = totp_wait_seconds(user, confirmed=False)
        if wait:
            form.add_error("code", _wait_text(wait))
        else:
            confirmed = totp_confirm(user=user, token=form.cleaned_data["code"], request=request)
            if confirmed is not None:
                _verified(request, confirmed)
                messages.success(request, _("Two-factor login is on."))
                return redirect(_next(request, default=reverse("two_factor")))
            form.add_error("code", _("That code is not right. Enter the code the app shows now."))
    context |= {
        "enabled": False,
        "form": form,
        "qr_svg": totp_qr_svg(device),
        "secret": totp_secret(device),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "web/security/two_factor.html", context)


def _verified(request: HttpRequest, device) -> None:
    """Mark the session as verified by DEVICE, under a new session key."""
    request.session.cycle_key()
    otp_login(request, device)


def _wait_text(seconds: int) -> str:
    return ngettext(
        "Too many wrong codes. Wait %(seconds)d second and try again.",
        "Too many wrong codes. Wait %(seconds)d seconds and try again.",
        seconds,
    ) % {"seconds": seconds}


def _next(request: HttpRequest, default: str = "/") -> str:
    """Return the page to go on to: NEXT if it is on this site, else DEFAULT."""
    target = request.POST.get("next") or request.GET.get("next") or default
    if target and not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return target
