"""Pages: home, sign-up, dashboard and the organisation page (members and API tokens)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.errors import NotAllowed
from config.pages import run_form_service
from consent.selectors import subjects_visible_to

from . import selectors, services
from .forms import AddMemberForm, ApiTokenForm, OrganisationForm, SignupForm


def home(request):
    return render(request, "accounts/home.html")


def signup(request):
    if request.method != "POST":
        return render(request, "accounts/signup.html", {"form": SignupForm()})

    def create(data):
        user = services.member_signup(**data)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Start by adding the person in your portrait.")
        return redirect("dashboard")

    return run_form_service(
        request,
        form=SignupForm(request.POST),
        template="accounts/signup.html",
        context={},
        service=create,
    )


@login_required
def dashboard(request):
    subjects = subjects_visible_to(request.user).prefetch_related("consents")
    return render(request, "accounts/dashboard.html", {"subjects": subjects})


@login_required
def organisation(request):
    return render(request, "accounts/organisation.html", _organisation_context(request.user))


def _organisation_context(user) -> dict:
    return {
        "org_form": OrganisationForm(),
        "member_form": AddMemberForm(),
        "token_form": ApiTokenForm(),
        "tokens": selectors.api_tokens_visible_to(user),
        "members": user.organisation.members.all() if user.organisation else [],
    }


@login_required
@require_POST
def organisation_create(request):
    def create(data):
        services.organisation_create(name=data["name"], founder=request.user)
        return redirect("organisation")

    return _organisation_form(request, "org_form", OrganisationForm(request.POST), create)


@login_required
@require_POST
def organisation_member_add(request):
    def add(data):
        if request.user.organisation is None:
            raise NotAllowed("Create an organisation first.")
        member = services.organisation_add_member(
            organisation=request.user.organisation, email=data["email"], added_by=request.user
        )
        messages.success(request, f"{member.username} now belongs to your organisation.")
        return redirect("organisation")

    return _organisation_form(request, "member_form", AddMemberForm(request.POST), add)


@login_required
@require_POST
def api_token_create(request):
    def create(data):
        token, raw = services.api_token_create(user=request.user, name=data["name"])
        return render(request, "accounts/token_created.html", {"token": token, "raw": raw})

    return _organisation_form(request, "token_form", ApiTokenForm(request.POST), create)


@login_required
@require_POST
def api_token_revoke(request, token_id):
    token = get_object_or_404(selectors.api_tokens_visible_to(request.user), pk=token_id)
    services.api_token_revoke(token=token, user=request.user)
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("organisation")


def _organisation_form(request, name, form, service):
    return run_form_service(
        request,
        form=form,
        template="accounts/organisation.html",
        context=_organisation_context(request.user),
        service=service,
        form_name=name,
    )
