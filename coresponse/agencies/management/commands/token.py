"""`coresponse token USERNAME [--hours N]`: print a new short-lived personal API token.

The token goes to standard output alone (TOKEN=$(coresponse token cad-riverton)); what it is
and when it expires goes to standard error. Only its hash is kept. Each issue and revoke is
written to the audit chain.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coresponse.agencies import services
from coresponse.agencies.models import User


class Command(BaseCommand):
    help = (
        "Print a new personal API token for USERNAME, sent as `Authorization: Bearer <token>` "
        f"(docs/api.md). It lasts {settings.CORESPONSE_API_TOKEN_HOURS} hours unless --hours "
        f"says otherwise (at most {settings.CORESPONSE_API_TOKEN_MAX_HOURS}). --list shows the "
        "user's tokens, --revoke-all ends them."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--hours", type=float, help="lifetime in hours")
        parser.add_argument("--label", default="", help='what it is for, e.g. "CAD bridge"')
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--list", dest="list_tokens", action="store_true", help="list the user's tokens"
        )
        group.add_argument("--revoke-all", action="store_true", help="revoke every active token")

    def handle(self, *args, username, hours, label, list_tokens, revoke_all, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if list_tokens:
            self._list(user)
            return
        if revoke_all:
            count = services.revoke_all_tokens(user, actor=None)
            self.stdout.write(f"{username}: {count} token{'s' if count != 1 else ''} revoked")
            return
        try:
            raw, token = services.issue_token(user, hours=hours, label=label)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(raw)
        expires = timezone.localtime(token.expires_at)
        self.stderr.write(
            f"{username}: token {token.prefix}… valid until {expires:%Y-%m-%d %H:%M %Z}"
        )

    def _list(self, user):
        now = timezone.now()
        tokens = user.api_tokens.all()
        if not tokens:
            self.stdout.write(f"{user.username}: no tokens")
        for t in tokens:
            state = (
                "revoked"
                if t.revoked_at
                else "expired"
                if t.expires_at <= now
                else f"valid until {timezone.localtime(t.expires_at):%Y-%m-%d %H:%M}"
            )
            used = (
                f", last used {timezone.localtime(t.last_used_at):%Y-%m-%d %H:%M}"
                if t.last_used_at
                else ""
            )
            label = f" {t.label!r}" if t.label else ""
            self.stdout.write(f"{t.prefix}…{label}: {state}{used}")
