from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("organisation/", views.organisation, name="organisation"),
    path("organisation/create/", views.organisation_create, name="organisation-create"),
    path("organisation/members/", views.organisation_member_add, name="organisation-member-add"),
    path("organisation/tokens/", views.api_token_create, name="organisation-token-create"),
    path(
        "organisation/tokens/<uuid:token_id>/revoke/",
        views.api_token_revoke,
        name="organisation-token-revoke",
    ),
]
