from django.urls import path

from steward.accounts.views import admin, auth, profile, suggest

app_name = "accounts"

urlpatterns = [
    # signing in and out
    path("login/", auth.StewardLoginView.as_view(), name="login"),
    path("login/verify/", auth.verify, name="verify"),
    path("logout/", auth.logout_view, name="logout"),
    # the signed-in person's own profile
    path("profile/", profile.profile, name="profile"),
    path("profile/password/", profile.change_password, name="password"),
    path("profile/second-factor/", profile.second_factor, name="second_factor"),
    path("profile/tokens/", profile.tokens, name="tokens"),
    path("profile/tokens/<int:pk>/revoke/", profile.revoke_token, name="token_revoke"),
    # the people a form's person box suggests while typing
    path("people/suggest/", suggest.person_suggest, name="person_suggest"),
    # administration
    path("admin/people/", admin.person_list, name="person_list"),
    path("admin/people/new/", admin.person_create, name="person_create"),
    path("admin/people/<int:pk>/", admin.person_detail, name="person_detail"),
    path("admin/people/<int:pk>/edit/", admin.person_edit, name="person_edit"),
    path("admin/people/<int:pk>/password/", admin.person_password, name="person_password"),
    path(
        "admin/people/<int:pk>/second-factor/reset/",
        admin.person_reset_second_factor,
        name="person_reset_second_factor",
    ),
    path("admin/organisations/", admin.organisation_list, name="organisation_list"),
    path("admin/organisations/new/", admin.organisation_create, name="organisation_create"),
    path("admin/organisations/<int:pk>/", admin.organisation_detail, name="organisation_detail"),
    path("admin/organisations/<int:pk>/edit/", admin.organisation_edit, name="organisation_edit"),
    path("admin/teams/", admin.team_list, name="team_list"),
    path("admin/teams/new/", admin.team_create, name="team_create"),
    path("admin/teams/<int:pk>/", admin.team_detail, name="team_detail"),
    path("admin/teams/<int:pk>/edit/", admin.team_edit, name="team_edit"),
    path("admin/teams/<int:pk>/members/", admin.team_member_add, name="team_member_add"),
    path(
        "admin/teams/<int:pk>/members/<int:person_id>/remove/",
        admin.team_member_remove,
        name="team_member_remove",
    ),
    path("admin/roles/", admin.role_list, name="role_list"),
    path("admin/roles/<int:pk>/", admin.role_detail, name="role_detail"),
]
