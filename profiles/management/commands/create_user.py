"""Create (or update) a member, analyst or editor account."""

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from profiles.accounts.roles import ROLES, create_or_update_user


class Command(BaseCommand):
    help = (
        "Create or update a user with a role. The password comes from the "
        "REGISTRY_PASSWORD environment variable, or is asked for."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=ROLES, required=True)
        parser.add_argument("--days", type=int, default=365, help="membership length for members (default 365)")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, days, email, **options):
        if days < 1:
            raise CommandError("--days must be at least 1")
        password = os.environ.get("REGISTRY_PASSWORD") or self._prompt()
        candidate = get_user_model()(username=username, email=email)
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            raise CommandError("password refused: " + " ".join(exc.messages)) from None
        user, created = create_or_update_user(username, role=role, password=password, days=days, email=email)
        self.stdout.write(f"{'Created' if created else 'Updated'} {role} {user.username}.")

    def _prompt(self):
        if not os.isatty(0):
            raise CommandError("set REGISTRY_PASSWORD or run in a terminal to be asked for the password")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("the passwords do not match")
        return password
