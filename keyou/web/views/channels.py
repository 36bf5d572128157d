"""Chat channels: group robots (WeCom, DingTalk, Feishu) that get copies of notifications.

They need the manage_rules capability: a page that names no channel answers 403
without it, the page of one channel 404 (the same as a channel that does not
exist). The webhook URL is never sent back to the browser, only its host.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyou.automation import channels as service
from keyou.automation.models import Channel
from keyou.people.access import NotAllowed, require
from keyou.people.models import Capability
from keyou.people.services import InvalidInput
from keyou.web.channel_forms import ChannelForm

NAV = "channels"


def _channel_or_404(request: HttpRequest, pk: int) -> Channel:
    try:
        return service.channel_get_for(request.user, pk)
    except (Channel.DoesNotExist, NotAllowed):
        raise Http404 from None  # the same answer whether it is missing or out of reach


def _save(request: HttpRequest, form: ChannelForm, channel: Channel | None) -> Channel | None:
    data = form.cleaned_data
    try:
        return service.channel_save(
            actor=request.user,
            channel=channel,
            name=data["name"],
            kind=data["kind"],
            url=data["url"],
            secret=data["secret"],
            team=data["team"],
            kinds=form.kind_list(),
            enabled=data["enabled"],
            clear_secret=data.get("clear_secret") or False,
        )
    except InvalidInput as exc:
        form.add_error(None, exc.localized())
        return None


@login_required
@require_GET
def channel_list(request: HttpRequest) -> HttpResponse:
    """The chat channels with their host and how their deliveries went."""
    channels = service.channels_for(request.user)
    stats = service.delivery_counts()
    rows = [
        {"channel": c, "host": service.channel_host(c), "stats": stats.get(c.pk, {})}
        for c in channels
    ]
    return render(request, "web/channels/list.html", {"rows": rows, "nav": NAV})


@login_required
@require_http_methods(["GET", "POST"])
def channel_create(request: HttpRequest) -> HttpResponse:
    """Add a chat channel."""
    require(request.user, Capability.MANAGE_RULES)
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel = _save(request, form, None)
        if channel is not None:
            messages.success(request, _("The channel is saved. Send a test message to check it."))
            return redirect("channel_edit", pk=channel.pk)
    return render(request, "web/channels/form.html", {"form": form, "nav": NAV})


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a chat channel; an empty URL or secret keeps the saved one."""
    channel = _channel_or_404(request, pk)
    host = service.channel_host(channel)
    form = ChannelForm(request.POST or None, channel=channel, host=host)
    if request.method == "POST" and form.is_valid() and _save(request, form, channel):
        messages.success(request, _("The channel is saved."))
        return redirect("channel_edit", pk=channel.pk)
    context = {
        "form": form,
        "channel": channel,
        "host": host,
        # Status only: the notifications' texts belong to their recipients.
        "recent": service.deliveries_recent(channel),
        "nav": NAV,
    }
    return render(request, "web/channels/form.html", context)


@login_required
@require_POST
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a chat channel."""
    channel = _channel_or_404(request, pk)
    service.channel_delete(actor=request.user, channel=channel)
    messages.success(request, _("The channel is removed."))
    return redirect("channel_list")


@login_required
@require_POST
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Post a test message to the channel now and say what the robot answered."""
    channel = _channel_or_404(request, pk)
    result = service.channel_test(channel)
    if result.ok:
        messages.success(request, _("The robot took the test message."))
    else:
        messages.error(
            request, _("The robot refused the test message: %(error)s") % {"error": result.error}
        )
    return redirect("channel_edit", pk=channel.pk)
