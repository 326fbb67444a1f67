"""Issue, reset or revoke a user's API token (for a CAD system's account); each is audited."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from coresponse.dispatch.selectors import is_dispatcher
from coresponse.privacy.services import record


class Command(BaseCommand):
    help = (
        "Print USERNAME's API token, creating it if needed (--reset replaces it, --revoke "
        "removes it). Send it as `Authorization: Token <key>` (docs/api.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--reset", action="store_true", help="replace the token with a new one")
        group.add_argument("--revoke", action="store_true", help="remove the token")

    @transaction.atomic
    def handle(self, *args, username, reset, revoke, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        if not user.is_active:
            raise CommandError(f"{username} is not active: a token would not authenticate")
        if revoke:
            deleted, _ = Token.objects.filter(user=user).delete()
            if deleted:
                record(None, "revoke", object_type="api_token", object_id=user.pk, detail=username)
            self.stdout.write(f"{username}: token revoked" if deleted else f"{username}: no token")
            return
        if reset:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        if created:
            action = "reset" if reset else "issue"
            record(None, action, object_type="api_token", object_id=user.pk, detail=username)
        self.stdout.write(token.key)
        if not is_dispatcher(user):
            self.stderr.write(
                f"note: {username} is not a dispatcher; the token reads calls but cannot write"
            )
