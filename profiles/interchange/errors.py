"""What an import reports: the errors that refuse it, and what it did."""

from dataclasses import dataclass, field


class InterchangeError(Exception):
    """A file that cannot be imported; `errors` lists every problem with its place."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class ImportBusy(InterchangeError):
    """Another import held the registry for longer than IMPORT_WAIT_SECONDS; nothing was written."""

    def __init__(self):
        super().__init__(["Another import is in progress; nothing was imported. Try again when it has finished."])


class StatusRefused(InterchangeError):
    """An import over the API asked to move a profile's status; the workflow's, not an import's."""


@dataclass
class ImportReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    moved: list = field(default_factory=list)  # (slug, from, to): statuses an operator's file set
    dry_run: bool = False

    @property
    def total(self):
        return len(self.created) + len(self.updated) + len(self.unchanged)

    def summary(self):
        verb = "would be" if self.dry_run else "were"
        text = (
            f"{self.total} profiles read: {len(self.created)} {verb} created, "
            f"{len(self.updated)} {verb} updated, {len(self.unchanged)} unchanged."
        )
        if self.moved:
            text += f" {len(self.moved)} {verb} given the file's status (recorded as an operator import)."
        return text
