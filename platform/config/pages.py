"""Small pieces every page view shares: run a service and show its refusal on the form; say
that something is gone (410)."""

from __future__ import annotations

from collections.abc import Callable
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


def gone_page(
    request: HttpRequest, *, heading: str, message: str, link: tuple[str, str] | None = None
) -> HttpResponse:
    """410 Gone, with the site's layout: it existed, and ``message`` says why it is no longer
    here (an id that never existed is a 404). ``link``: (url, words) for what to do next."""
    link_url, link_text = link or ("", "")
    context = {"heading": heading, "message": message, "link_url": link_url, "link_text": link_text}
    return render(request, "gone.html", context, status=410)
