from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "coresponse.web"
    label = "web"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from coresponse.privacy.services import record

        def logged_in(sender, request, user, **kwargs):
            record(user, "login", object_type="user", object_id=user.pk, detail="signed in")

        def login_failed(sender, credentials, request=None, **kwargs):
            name = str(credentials.get("username", ""))[:64]
            record(None, "login", object_type="user", object_id=name, detail="sign-in failed")

        user_logged_in.connect(logged_in, dispatch_uid="coresponse.web.audit_login")
        user_login_failed.connect(login_failed, dispatch_uid="coresponse.web.audit_login_failed")
