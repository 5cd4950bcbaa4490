"""Small pieces every page view shares: run a service and show its refusal on the form; ask
again before anything that cannot be undone; say that something is gone (410)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.errors import DomainError


def run_form_service(
    request: HttpRequest,
    *,
    form: forms.Form,
    template: str,
    context: dict[str, Any],
    service: Callable[[dict[str, Any]], HttpResponse],
    form_name: str = "form",
) -> HttpResponse:
    """Validate ``form``; call ``service`` with its cleaned data; on refusal re-render with a
    message and the service's 4xx status (400 for an invalid form)."""
    status = 400
    if form.is_valid():
        try:
            return service(form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
    return render(request, template, {**context, form_name: form}, status=status)


# The field a confirmation page's form adds; its value when the person has seen the page.
CONFIRMED_FIELD = "confirmed"


def confirmed(request: HttpRequest) -> bool:
    """Whether this request comes from a confirmation page's button (a POST with
    ``confirmed=yes``). An action's own button, or a GET of its address, is not confirmed:
    answer it with :func:`confirmation_page`."""
    return request.method == "POST" and request.POST.get(CONFIRMED_FIELD) == "yes"


def confirmation_page(
    request: HttpRequest,
    *,
    heading: str,
    consequences: Sequence[str],
    button: str,
    back_url: str,
    back_text: str = "Go back, change nothing",
    form: forms.Form | None = None,
    picture: tuple[str, str] | None = None,
    danger: bool = True,
    status: int = 200,
) -> HttpResponse:
    """The second step before an action that cannot be undone, working without JavaScript:
    ``heading`` asks, ``consequences`` say in words what will happen, and ``button`` posts the
    same address again with ``confirmed=yes`` (and ``form``'s fields, e.g. a reason).
    ``picture``: (url, alt text) of what the action is about."""
    picture_url, picture_alt = picture or ("", "")
    context = {
        "heading": heading,
        "consequences": consequences,
        "button": button,
        "back_url": back_url,
        "back_text": back_text,
        "form": form,
        "picture_url": picture_url,
        "picture_alt": picture_alt,
        "danger": danger,
        "action_url": request.path,
    }
    return render(request, "confirm.html", context, status=status)


def gone_page(
    request: HttpRequest, *, heading: str, message: str, link: tuple[str, str] | None = None
) -> HttpResponse:
    """410 Gone, with the site's layout: it existed, and ``message`` says why it is no longer
    here (an id that never existed is a 404). ``link``: (url, words) for what to do next."""
    link_url, link_text = link or ("", "")
    context = {"heading": heading, "message": message, "link_url": link_url, "link_text": link_text}
    return render(request, "gone.html", context, status=410)
