from django.contrib.auth import views as auth_views
from django.urls import path

from coresponse.web import account_views, people_views, review_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/verify/", views.verify, name="login_verify"),
    path(
        "login/verify/passkey/options/",
        views.verify_passkey_options,
        name="login_verify_passkey_options",
    ),
    path("login/verify/passkey/", views.verify_passkey, name="login_verify_passkey"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("lock/", account_views.lock, name="lock"),
    path("session/alive/", account_views.session_alive, name="session_alive"),
    path("account/", account_views.account, name="account"),
    path("account/setup/", account_views.setup, name="account_setup"),
    path("account/totp/", account_views.totp, name="account_totp"),
    path("account/totp/remove/", account_views.totp_remove, name="account_totp_remove"),
    path(
        "account/passkeys/options/",
        account_views.passkey_options,
        name="account_passkey_options",
    ),
    path("account/passkeys/", account_views.passkey_register, name="account_passkey_register"),
    path(
        "account/passkeys/<int:pk>/remove/",
        account_views.passkey_remove,
        name="account_passkey_remove",
    ),
    path("account/backup-codes/", account_views.backup_codes, name="account_backup_codes"),
    path("account/password/", account_views.PasswordChangeView.as_view(), name="account_password"),
    path(
        "account/tokens/<int:pk>/revoke/", account_views.token_revoke, name="account_token_revoke"
    ),
    path("people/", people_views.person_list, name="person_list"),
    path("people/<int:pk>/", people_views.person_detail, name="person_detail"),
    # Clerical review of identity links (people.identity; docs/identity-resolution.md).
    path("review/", review_views.queue, name="review_queue"),
    path("review/pairs/<int:pk>/", review_views.pair, name="review_pair"),
    path("review/pairs/<int:pk>/decide/", review_views.decide, name="review_decide"),
    path("review/people/<int:pk>/", review_views.cluster, name="review_cluster"),
    path("review/people/<int:pk>/split/", review_views.split, name="review_split"),
]
