"""Pages: home, sign-up, dashboard, the organisation page (members, invitations, API tokens)
and the page behind an invitation link."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from config.pages import confirmation_page, confirmed, run_form_service
from core.errors import DomainError, NotAllowed
from jobs.album import album_pages

from . import selectors, services
from .forms import ApiTokenForm, InviteForm, OrganisationForm, SignupForm


def home(request):
    return render(request, "accounts/home.html")


class LoginView(auth_views.LoginView):
    """Members land on their home (LOGIN_REDIRECT_URL); moderators, who have no subjects of
    their own, on the moderation queue (MODERATOR_LOGIN_REDIRECT_URL). A ?next= wins."""

    template_name = "accounts/login.html"

    def get_default_redirect_url(self):
        if self.request.user.is_staff:
            return resolve_url(settings.MODERATOR_LOGIN_REDIRECT_URL)
        return super().get_default_redirect_url()


def signup(request):
    # An invitation link sends people here with ?next= so they come back to accept it.
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method != "POST":
        return render(request, "accounts/signup.html", {"form": SignupForm(), "next": next_url})

    def create(data):
        user = services.member_signup(**data)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if next_url:
            return redirect(next_url)
        messages.success(request, "Welcome! Start by adding the person in your portrait.")
        return redirect("dashboard")

    return run_form_service(
        request,
        form=SignupForm(request.POST),
        template="accounts/signup.html",
        context={"next": next_url},
        service=create,
    )


@login_required
def dashboard(request):
    """The member's home: the family album."""
    return render(request, "accounts/dashboard.html", {"pages": album_pages(request.user)})


@login_required
def organisation(request):
    return render(request, "accounts/organisation.html", _organisation_context(request.user))


def _organisation_context(user) -> dict:
    members = list(selectors.organisation_members(user=user))
    return {
        "org_form": OrganisationForm(),
        "invite_form": InviteForm(),
        "token_form": ApiTokenForm(),
        "tokens": selectors.api_tokens_visible_to(user),
        "members": members,
        # The last owner cannot leave (the service refuses): say so instead of a dead button.
        "sole_owner": user.is_organisation_owner
        and not any(m.is_organisation_owner for m in members if m.pk != user.pk),
        "invitations": selectors.organisation_invitations_pending(user=user),
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
def organisation_invite(request):
    def invite(data):
        if request.user.organisation is None:
            raise NotAllowed("Create an organisation first.")
        invitation = services.organisation_invite(
            organisation=request.user.organisation, email=data["email"], invited_by=request.user
        )
        messages.success(
            request,
            f"Invitation sent to {invitation.email}. They join once they accept it.",
        )
        return redirect("organisation")

    return _organisation_form(request, "invite_form", InviteForm(request.POST), invite)


@login_required
@require_POST
def organisation_invitation_cancel(request, invitation_id):
    invitation = get_object_or_404(
        selectors.organisation_invitations_pending(user=request.user), pk=invitation_id
    )
    return _organisation_action(
        request,
        lambda: services.organisation_invitation_cancel(invitation=invitation, user=request.user),
        f"Invitation to {invitation.email} cancelled.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_leave(request):
    if not confirmed(request):
        organisation = request.user.organisation
        return _confirm(
            request,
            heading=f"Leave {organisation}?" if organisation else "Leave the organisation?",
            consequences=[
                "You no longer see the organisation's subjects, portraits and clips, and your "
                "API tokens stop working.",
                "To come back, a member has to invite you again.",
            ],
            button="Leave",
        )
    return _organisation_action(
        request,
        lambda: services.organisation_leave(user=request.user),
        "You have left the organisation.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_member_remove(request, user_id):
    member = get_object_or_404(selectors.organisation_members(user=request.user), pk=user_id)
    if not confirmed(request):
        return _confirm(
            request,
            heading=f"Remove {member.username} from the organisation?",
            consequences=[
                f"{member.username} no longer sees the organisation's subjects, portraits and "
                "clips, and their API tokens stop working.",
                "To bring them back, invite them again.",
            ],
            button="Remove",
        )
    return _organisation_action(
        request,
        lambda: services.organisation_member_remove(member=member, by=request.user),
        f"{member.username} no longer belongs to the organisation.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_owner_grant(request, user_id):
    member = get_object_or_404(selectors.organisation_members(user=request.user), pk=user_id)
    if not confirmed(request):
        return _confirm(
            request,
            heading=f"Make {member.username} an owner?",
            consequences=[
                f"{member.username} can then invite and remove members, you included.",
                "An owner stays an owner: this cannot be undone here.",
            ],
            button="Make owner",
        )
    return _organisation_action(
        request,
        lambda: services.organisation_owner_grant(member=member, by=request.user),
        f"{member.username} is now an owner.",
    )


def _confirm(request, **words):
    return confirmation_page(request, back_url=reverse("organisation"), **words)


def _organisation_action(request, act, done: str):
    """Run a button's service; a refusal shows the organisation page with its 4xx status."""
    try:
        act()
    except DomainError as exc:
        request.user.refresh_from_db()
        context = {**_organisation_context(request.user), "error": exc.message}
        return render(request, "accounts/organisation.html", context, status=exc.status)
    messages.success(request, done)
    return redirect("organisation")


def organisation_invitation(request, token):
    """Public: GET shows who invites you where (nothing of the organisation's content); only a
    POST answers, so mail scanners that follow links cannot accept or decline."""
    context, status = {"token": token}, 200
    try:
        context["invitation"] = selectors.organisation_invitation_for_link(token=token)
        if request.method == "POST":
            answer = request.POST.get("answer")
            if answer == "accept":
                if not request.user.is_authenticated:
                    raise NotAllowed("Log in (or sign up) with the invited address to accept.")
                services.organisation_invitation_accept(token=token, user=request.user)
                messages.success(request, f"Welcome to {context['invitation'].organisation}.")
                return redirect("organisation")
            if answer == "decline":
                user = request.user if request.user.is_authenticated else None
                context["invitation"] = services.organisation_invitation_decline(
                    token=token, user=user
                )
                context["done"] = "declined"
            else:
                raise DomainError("Choose to accept or decline the invitation.")
    except DomainError as exc:
        context["error"], status = exc.message, exc.status
    return render(request, "accounts/invitation.html", context, status=status)


@login_required
@require_POST
def api_token_create(request):
    def create(data):
        token, raw = services.api_token_create(user=request.user, name=data["name"])
        return render(request, "accounts/token_created.html", {"token": token, "raw": raw})

    return _organisation_form(request, "token_form", ApiTokenForm(request.POST), create)


@login_required
@require_http_methods(["GET", "POST"])
def api_token_revoke(request, token_id):
    token = get_object_or_404(selectors.api_tokens_visible_to(request.user), pk=token_id)
    if not confirmed(request):
        return _confirm(
            request,
            heading=f"Revoke the API token {token.name!r}?",
            consequences=[
                f"Every program that calls the API with the token {token.prefix}… is refused "
                "from now on.",
                "A revoked token cannot be restored; create a new one if you need it again.",
            ],
            button="Revoke token",
        )
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
