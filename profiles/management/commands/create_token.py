"""Create an API token for a user and print its key, once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from profiles.accounts.tokens import create_token


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print the key. It is shown only this once: store it now."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="a label for the token, e.g. the consumer's name")

    def handle(self, *args, username, name, **options):
        if len(name) > 100:
            raise CommandError("--name is longer than 100 characters")
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f'no user "{username}"') from None
        if not user.is_active:
            raise CommandError(f'user "{username}" is inactive')
        token, key = create_token(user=user, name=name)
        self.stderr.write(f"Created token {token.prefix}… for {user.username}. The key (shown only once):")
        self.stdout.write(key)
