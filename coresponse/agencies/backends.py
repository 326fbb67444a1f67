"""The authentication backend: Django's model backend, but a locked-out username is refused
before its password is even checked (so the sixth try fails with the right password too)."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from coresponse.agencies import services


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if username is not None and services.locked_until(username) is not None:
            # PermissionDenied stops authenticate() here and sends user_login_failed.
            raise PermissionDenied("locked out")
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
