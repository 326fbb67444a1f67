"""`coresponse unlock USERNAME`: lift a sign-in lockout before its cool-off ends (audited)."""

from django.core.management.base import BaseCommand, CommandError

from coresponse.agencies import services
from coresponse.agencies.models import User


class Command(BaseCommand):
    help = "Lift the sign-in lockout of USERNAME (five failed sign-ins) at once. Audited."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        unlocked = services.unlock(user)
        self.stdout.write(f"{username}: unlocked" if unlocked else f"{username}: was not locked")
