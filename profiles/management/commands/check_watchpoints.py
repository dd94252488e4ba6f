"""Expire watchpoints whose review-by date has passed and list those due soon (run daily)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from profiles.services.watchpoints import DUE_WITHIN_DAYS, check_watchpoints


class Command(BaseCommand):
    help = "Mark open watchpoints past their review-by date as expired and list the watchpoints due soon."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=DUE_WITHIN_DAYS, help="list those due within this many days")
        parser.add_argument("--today", help="check as of this date (YYYY-MM-DD) instead of today")

    def handle(self, *args, days, today, **options):
        try:
            today = date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError(f"--today: {today!r} is not a YYYY-MM-DD date") from None
        if days < 0:
            raise CommandError("--days must not be negative")
        result = check_watchpoints(today=today, due_within_days=days)
        self.stdout.write(f"Expired {len(result.expired)} watchpoint(s).")
        for watchpoint in result.expired:
            self.stdout.write(f"  expired  {watchpoint.profile.slug}: {_line(watchpoint)}")
        self.stdout.write(f"Due within {days} day(s): {len(result.due)}.")
        for watchpoint in result.due:
            self.stdout.write(f"  due      {watchpoint.profile.slug}: {_line(watchpoint)}")


def _line(watchpoint):
    text = " ".join((watchpoint.text_en or watchpoint.text_zh_hans or "").split())
    text = text if len(text) <= 80 else text[:79] + "…"
    return f"{text} (review by {watchpoint.review_by.isoformat()})"
