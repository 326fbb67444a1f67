from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "coresponse.web"
    label = "web"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from coresponse.agencies.signals import account_event
        from coresponse.web import account_audit

        user_logged_in.connect(account_audit.logged_in, dispatch_uid="coresponse.audit_login")
        user_logged_out.connect(account_audit.logged_out, dispatch_uid="coresponse.audit_logout")
        user_login_failed.connect(
            account_audit.login_failed, dispatch_uid="coresponse.audit_login_failed"
        )
        account_event.connect(account_audit.account_event, dispatch_uid="coresponse.audit_account")
