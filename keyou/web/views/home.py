"""The front door."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    """Send everyone to the customers list (which asks for a login when needed)."""
    return redirect("account_list")
