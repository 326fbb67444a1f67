"""`coresponse adduser USERNAME --agency AGENCY_ID --role ROLE`: a new account, its password
read from standard input (asked for twice at a terminal), checked by the password validators."""

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from coresponse.agencies import services
from coresponse.agencies.models import Role


class Command(BaseCommand):
    help = (
        "Create a user with one role at one agency (by its external id). The password is read "
        "from standard input: `printf '%s\\n' \"$PASSWORD\" | coresponse adduser ...`, or typed "
        "twice at a terminal. Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--agency", required=True, help="the agency's external id")
        parser.add_argument(
            "--role",
            required=True,
            choices=Role.values,
            metavar="ROLE",
            help=", ".join(Role.values),
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, agency, role, first_name, last_name, email, **options):
        password = self._password()
        try:
            user = services.create_user(
                username,
                password,
                agency_external_id=agency,
                role=role,
                first_name=first_name,
                last_name=last_name,
                email=email,
            )
        except ValidationError as error:
            raise CommandError(
                "no user created:\n" + "\n".join(f"  - {m}" for m in error.messages)
            ) from None
        membership = user.memberships.select_related("agency").get()
        self.stdout.write(
            f"{user.username}: {membership.get_role_display()} at {membership.agency.name}"
        )

    def _password(self) -> str:
        stdin = sys.stdin
        if stdin is not None and stdin.isatty():
            first = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != first:
                raise CommandError("the two passwords differ; no user created")
            return first
        line = stdin.readline() if stdin is not None else ""
        password = line.rstrip("\r\n")
        if not password:
            raise CommandError("no password on standard input; no user created")
        return password
