import json, pytest, copy, io
from pathlib import Path
from django.utils import timezone
from profiles import interchange
from profiles.visibility import ANONYMOUS, STAFF
from profiles.models import *
from django.core.management import call_command
from tests.factories import *

def dump(aud=STAFF):
    s = io.StringIO(); interchange.write_documents(interchange.export_documents(aud), s); return s.getvalue()

@pytest.mark.django_db
def test_retracted():
    p = ProfileFactory(slug="p")
    c = ClaimFactory(profile=p, text_en="RETRACTED-MARKER", verified=True, retracted_at=timezone.now(), retraction_reason="wrong")
    print("anon before", "RETRACTED-MARKER" in dump(ANONYMOUS))
    text = dump()
    Profile.objects.all().delete(); EvidenceRecord.objects.all().delete()
    print(interchange.import_text(text).summary())
    print("anon after", "RETRACTED-MARKER" in dump(ANONYMOUS), Claim.objects.get().retracted_at)

@pytest.mark.django_db
def test_demo_roundtrip():
    files = sorted(Path("profiles/demo").glob("*.json"))
    text = "[" + ",".join(f.read_text() for f in files) + "]"
    interchange.import_text(text)
    one = dump()
    Profile.objects.all().delete(); EvidenceRecord.objects.all().delete()
    interchange.import_text(one)
    two = dump()
    print("identical", one == two, len(one))
    print(interchange.import_text(text).summary())
