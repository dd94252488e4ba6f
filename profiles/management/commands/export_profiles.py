"""Export profiles in the interchange format."""

from django.core.management.base import BaseCommand, CommandError

from profiles.interchange.export import export_documents, write_documents
from profiles.rules.visibility import ANONYMOUS, MEMBER, STAFF, visible_profiles

AUDIENCES = {"staff": STAFF, "member": MEMBER, "anonymous": ANONYMOUS}


class Command(BaseCommand):
    help = "Export profiles in the registry-profile/1 format (everything, as staff see it, by default)."

    def add_arguments(self, parser):
        parser.add_argument("--slug", help="export this one profile as a single object")
        parser.add_argument("-o", "--output", help="write to this file instead of standard output")
        parser.add_argument(
            "--jsonl", action="store_true", help="write JSON Lines (one profile per line) instead of an array"
        )
        parser.add_argument(
            "--audience",
            choices=sorted(AUDIENCES),
            default="staff",
            help="export only what this audience may see",
        )

    def handle(self, *args, slug, output, jsonl, audience, **options):
        profiles = visible_profiles(AUDIENCES[audience])
        if slug:
            profiles = profiles.filter(slug=slug)
            if not profiles.exists():
                raise CommandError(f'no profile with the slug "{slug}" that the {audience} audience may see')
        documents = export_documents(AUDIENCES[audience], profiles)
        single = bool(slug) and not jsonl
        if output:
            with open(output, "w", encoding="utf-8") as stream:
                count = write_documents(documents, stream, jsonl=jsonl, single=single)
            self.stderr.write(f"exported {count} profiles to {output}")
        else:
            write_documents(documents, _Unterminated(self.stdout), jsonl=jsonl, single=single)


class _Unterminated:
    """Passes text through to a command's output without adding line endings."""

    def __init__(self, output):
        self.output = output

    def write(self, text):
        self.output.write(text, ending="")
