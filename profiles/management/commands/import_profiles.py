"""Import profiles from an interchange file: all or nothing."""

import sys

from django.core.management.base import BaseCommand, CommandError

from profiles.interchange import InterchangeError, import_text


class Command(BaseCommand):
    help = "Import profiles (one object, an array, or JSON Lines) in the registry-profile/1 format."

    def add_arguments(self, parser):
        parser.add_argument("file", help='the file to import, or "-" for standard input')
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report what would change; write nothing"
        )

    def handle(self, *args, file, dry_run, **options):
        text = self._read(file)
        progress = self._progress if self.stderr.isatty() else None
        try:
            report = import_text(text, dry_run=dry_run, progress=progress)
        except InterchangeError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                f"{len(exc.errors)} error{'s' if len(exc.errors) != 1 else ''}; nothing was imported."
            ) from None
        if progress:
            self.stderr.write("")
        self.stdout.write(report.summary())

    def _read(self, file):
        if file == "-":
            return sys.stdin.read()
        try:
            with open(file, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text") from None

    def _progress(self, done, total):
        self.stderr.write(f"\rimporting: {done}/{total} profiles", ending="")
        self.stderr.flush()
