"""Recompute every stored confidence score (after a policy change, or daily for decay)."""

from django.core.management.base import BaseCommand

from profiles.services.scoring import recompute_scores


class Command(BaseCommand):
    help = "Recompute the stored confidence scores of every claim and profile."

    def handle(self, *args, **options):
        changed = recompute_scores()
        self.stdout.write(f"Recomputed confidence: {changed} profiles changed.")
