import json, pytest, copy, io
from profiles import interchange
from profiles.models import *
from django.core.management import call_command

def minimal(slug, **kw):
    d = {"format": "registry-profile/1", "slug": slug, "kind": "topic", "name": {"en": slug}}
    d.update(kw); return d

@pytest.mark.django_db
@pytest.mark.parametrize("mut", [
    lambda d: d.update(slug=["x"]),
    lambda d: d.update(evidence=[{"key":"a","title":"t","kind":"direct"}], claims=[{"section":"function","text":"x","evidence":[{"key":["a"]}]}]),
    lambda d: d.update(evidence=[{"key":"a","title":"t","kind":"direct"}], timeline=[{"date":"2020-01-01","title":"x","evidence":[["a"]]}]),
    lambda d: d.update(relationships=[{"target":{"a":1}}]),
    lambda d: d.update(evidence=[{"key":"a","title":"t","kind":"direct","url":"http://example.org:99999/"}]),
    lambda d: d.update(evidence=[{"key":"a","title":"t","kind":"direct","url":"http://[::1/"}]),
    lambda d: d.update(score_override={"score": float("nan"), "reason":"r"}),
    lambda d: d.update(evidence=[{"key":"a","title":"t","kind":"direct","published_on":"2026-W48-2"}]),
    lambda d: d.update(evidence=[{"key":"a","title":"t","kind":"direct"}], claims=[{"section":"function","text":"x","evidence":["a"]}]),
    lambda d: d.update(evidence=[{"key":"a","title":"t","kind":"direct"}], claims=[{"section":"function","text":"x","evidence":[{"key": "a", "stance": ["x"]}]}]),
    lambda d: d.update(kind=["x"]),
    lambda d: d.update(evidence=[{"key":"a","title":"t","kind":"direct", "review_status": {}}]),
])
def test_crash(mut):
    d = minimal("a"); mut(d)
    try:
        r = interchange.import_text(json.dumps(d))
        print("OK", r.summary(), [ (e.published_on) for e in EvidenceRecord.objects.all()])
    except interchange.InterchangeError as e:
        print("ERR", e.errors)

@pytest.mark.django_db
def test_pingpong():
    a = minimal("a", evidence=[{"key":"r","title":"Report","kind":"direct","url":"https://Example.org/report/"}])
    b = minimal("b", evidence=[{"key":"r","title":"Report","kind":"direct","url":"https://example.org/report"}])
    text = json.dumps([a,b])
    print(interchange.import_text(text).summary(), EvidenceRecord.objects.count())
    print(interchange.import_text(text).summary())
    print(interchange.import_text(text).summary())

@pytest.mark.django_db
def test_two_missing_slugs():
    try:
        interchange.import_text(json.dumps([{"format": "registry-profile/1", "kind":"topic","name":"x"}]*2))
    except interchange.InterchangeError as e:
        print("ERR", e.errors)

@pytest.mark.django_db
def test_load_demo():
    out = io.StringIO()
    call_command("load_demo", stdout=out); print(out.getvalue())
    out = io.StringIO()
    call_command("load_demo", stdout=out); print(out.getvalue())
