from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("organisation/", views.organisation, name="organisation"),
    path("organisation/create/", views.organisation_create, name="organisation-create"),
    path("organisation/invitations/", views.organisation_invite, name="organisation-invite"),
    path(
        "organisation/invitations/<uuid:invitation_id>/cancel/",
        views.organisation_invitation_cancel,
        name="organisation-invitation-cancel",
    ),
    path("organisation/leave/", views.organisation_leave, name="organisation-leave"),
    path(
        "organisation/members/<int:user_id>/remove/",
        views.organisation_member_remove,
        name="organisation-member-remove",
    ),
    path(
        "organisation/members/<int:user_id>/owner/",
        views.organisation_owner_grant,
        name="organisation-owner-grant",
    ),
    path("invitations/<str:token>/", views.organisation_invitation, name="organisation-invitation"),
    path("organisation/tokens/", views.api_token_create, name="organisation-token-create"),
    path(
        "organisation/tokens/<uuid:token_id>/revoke/",
        views.api_token_revoke,
        name="organisation-token-revoke",
    ),
]
