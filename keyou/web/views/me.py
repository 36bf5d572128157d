"""The user's own preferences: language, time zone and the email digest."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keyou.web.channel_forms import DigestForm
from keyou.web.forms import PreferencesForm


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Show and save the user's language and time zone, or (its own form) the digest."""
    if request.method == "POST" and request.POST.get("form") == "digest":
        return _digest_save(request)
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.save(update_fields=["language", "time_zone"])
        if user.language:
            # Confirm in the language just chosen.
            translation.activate(user.language)
        messages.success(request, _("Your preferences are saved."))
        response = redirect("preferences")
        if user.language:
            # The login page (before we know the user) speaks it too.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
            )
        return response
    return _page(request, form, DigestForm(instance=request.user))


def _page(request: HttpRequest, form: PreferencesForm, digest_form: DigestForm) -> HttpResponse:
    context = {
        "form": form,
        "digest_form": digest_form,
        # Without Keyou's own SMTP server no digest goes out; say so beside the choice.
        "mail_configured": bool(settings.EMAIL_HOST),
        "nav": "me",
    }
    return render(request, "web/me.html", context)


def _digest_save(request: HttpRequest) -> HttpResponse:
    digest_form = DigestForm(request.POST, instance=request.user)
    if not digest_form.is_valid():
        return _page(request, PreferencesForm(instance=request.user), digest_form)
    user = digest_form.save(commit=False)
    user.save(update_fields=["digest"])
    messages.success(request, _("Your preferences are saved."))
    return redirect("preferences")
