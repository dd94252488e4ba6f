"""Import profiles from an interchange file: all or nothing.

Run by an operator on the server (restores, migrations), so the file's statuses are
applied — through the publishing service, each recorded as an operator import.
"""

import os
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from profiles.interchange.errors import InterchangeError
from profiles.interchange.service import import_stream

STAGES = {"validated": "validating", "written": "writing", "statuses": "setting statuses"}


class Command(BaseCommand):
    help = "Import profiles (one object, an array, or JSON Lines) in the registry-profile/1 format."

    def add_arguments(self, parser):
        parser.add_argument("file", help='the file to import, or "-" for standard input')
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report what would change; write nothing"
        )

    def handle(self, *args, file, dry_run, **options):
        progress = Progress(self.stderr) if self.stderr.isatty() else None
        try:
            with self._open(file) as stream:
                report = import_stream(stream, dry_run=dry_run, progress=progress)
        except InterchangeError as exc:
            if progress:
                progress.end()
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                f"{len(exc.errors)} error{'s' if len(exc.errors) != 1 else ''}; nothing was imported."
            ) from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text") from None
        if progress:
            progress.end()
        self.stdout.write(report.summary())

    def _open(self, file):
        if file == "-":
            return _Unclosed(sys.stdin)
        try:
            handle = open(file, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        size, limit = os.fstat(handle.fileno()).st_size, settings.IMPORT_MAX_BYTES
        if limit and size > limit:
            handle.close()
            raise CommandError(
                f"{file} is {size} bytes, larger than the import limit of {limit} bytes (IMPORT_MAX_BYTES); "
                "nothing was imported."
            )
        return handle


class Progress:
    """Documents validated, then written, with their rate, on one terminal line."""

    def __init__(self, output):
        self.output = output
        self.stage, self.started = None, time.monotonic()

    def __call__(self, stage, done, total):
        if stage != self.stage:
            if self.stage is not None:
                self.output.write("")
            self.stage, self.started = stage, time.monotonic()
        rate = done / max(time.monotonic() - self.started, 1e-6)
        of_total = f"/{total}" if total is not None else ""
        self.output.write(f"\r{STAGES.get(stage, stage)}: {done}{of_total} profiles ({rate:.0f}/s)", ending="")
        self.output.flush()

    def end(self):
        if self.stage is not None:
            self.output.write("")


class _Unclosed:
    """Standard input as a context manager that leaves it open."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self.stream

    def __exit__(self, *exc):
        return False
