"""Load the demo registry: the seed profile, more demo profiles and demo accounts."""

import secrets
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from profiles.accounts.roles import create_or_update_user, ensure_role_groups
from profiles.interchange.errors import InterchangeError
from profiles.interchange.service import import_text
from profiles.services.band_table import ensure_band_table

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_ACCOUNTS = (("demo-member", "member"), ("demo-analyst", "analyst"), ("demo-editor", "editor"))


class Command(BaseCommand):
    help = "Import the demo profiles and (re)create the demo accounts with fresh passwords. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--no-accounts", action="store_true", help="load the profiles only")

    def handle(self, *args, no_accounts, **options):
        files = sorted(DEMO_DIR.glob("*.json"))
        if not files:
            raise CommandError(f"no demo files in {DEMO_DIR}")
        # One array so that relationships resolve across files, all or nothing.
        text = "[" + ",".join(path.read_text(encoding="utf-8") for path in files) + "]"
        with transaction.atomic():
            ensure_band_table()
            try:
                report = import_text(text)
            except InterchangeError as exc:
                raise CommandError("demo data is invalid:\n" + "\n".join(exc.errors)) from None
            ensure_role_groups()
            accounts = [] if no_accounts else self._accounts()
        self.stdout.write(f"Demo profiles: {report.summary()}")
        if accounts:
            self.stdout.write("Demo accounts (log in at /accounts/login/):")
            for username, role, password in accounts:
                self.stdout.write(f"  {role:<8} {username:<14} password: {password}")

    def _accounts(self):
        accounts = []
        for username, role in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(12)
            create_or_update_user(username, role=role, password=password)
            accounts.append((username, role, password))
        return accounts
