"""Import at scale: streamed reading, batched writes in one transaction, progress.

The contracts of tests/test_interchange.py hold whatever the size of a file; these
tests make the batches tiny (two documents) so that every rule is exercised across
batch boundaries: relationships and shared sources spanning batches, a failure in the
last batch undoing the earlier ones, re-imports changing nothing.
"""

import io
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError

from profiles.interchange import service, writer
from profiles.interchange.errors import InterchangeError
from profiles.interchange.format import iter_documents
from profiles.interchange.service import import_stream, import_text
from profiles.models import (
    Claim,
    ClaimEvidence,
    EvidenceRecord,
    Profile,
    ProfileChange,
    ProfileEvidence,
    Relationship,
    TimelineEvent,
)
from profiles.services import scoring

pytestmark = pytest.mark.django_db

FORMAT = "registry-profile/1"
SHARED_URL = "https://example.org/shared-report"


@pytest.fixture(autouse=True)
def two_documents_per_batch(monkeypatch):
    monkeypatch.setattr(service, "BATCH", 2)


def document(slug, *, related=(), shared=False, status="published"):
    """A profile with one reviewed source, a verified claim citing it and a dated event."""
    evidence = [
        {"key": "own", "title": {"en": f"{slug} filing"}, "url": f"https://{slug}.example.net/filing",
         "publisher": f"{slug} office", "published_on": "2026-01-15", "kind": "direct", "reliability": "A",
         "review_status": "reviewed"},
    ]  # fmt: skip
    if shared:
        evidence.append(
            {"key": "shared", "title": {"en": "Shared report", "zh-hans": "共享报告"}, "url": SHARED_URL,
             "publisher": "Wire", "published_on": "2026-02-01", "kind": "reporting", "reliability": "B",
             "review_status": "reviewed"}  # fmt: skip
        )
    return {
        "format": FORMAT,
        "slug": slug,
        "kind": "institution",
        "status": status,
        "name": {"en": slug.title(), "zh-hans": f"{slug} 机构"},
        "evidence": evidence,
        "claims": [
            {"section": "public_role", "text": {"en": f"{slug} runs a registry."}, "verified": True,
             "evidence": [{"key": key["key"], "note": {"en": "basis"}} for key in evidence]},
        ],  # fmt: skip
        "timeline": [{"date": "2026-03-01", "title": {"en": "Founded"}, "evidence": ["own"]}],
        "relationships": [{"target": target, "kind": "partner", "evidence": ["own"]} for target in related],
    }


def jsonl(docs):
    return "".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in docs)


def five_documents():
    """Five documents: three batches. The first relates to the last; the last to the first."""
    return [
        document("alpha", related=["echo"], shared=True),
        document("bravo"),
        document("charlie", shared=True),
        document("delta"),
        document("echo", related=["alpha", "bravo"], shared=True),
    ]


def counts():
    return {model.__name__: model.objects.count() for model in (Profile, EvidenceRecord, Claim, ClaimEvidence,
            ProfileEvidence, TimelineEvent, Relationship, ProfileChange)}  # fmt: skip


# --- Across batches -------------------------------------------------------------------------


def test_relationships_point_across_batches_both_ways():
    import_text(jsonl(five_documents()))

    pairs = set(Relationship.objects.values_list("source__slug", "target__slug"))
    assert pairs == {("alpha", "echo"), ("echo", "alpha"), ("echo", "bravo")}
    relationship = Relationship.objects.get(source__slug="alpha")
    assert list(relationship.evidence.values_list("url", flat=True)) == ["https://alpha.example.net/filing"]


def test_a_source_shared_across_batches_is_one_record():
    import_text(jsonl(five_documents()))

    shared = EvidenceRecord.objects.get(normalized_url=SHARED_URL)
    assert sorted(shared.profile_links.values_list("profile__slug", flat=True)) == ["alpha", "charlie", "echo"]
    assert EvidenceRecord.objects.count() == 5 + 1  # one own source per profile, one shared
    assert (shared.title_en, shared.title_zh_hans, shared.title) == ("Shared report", "共享报告", "Shared report")


def test_every_part_is_written_once_whatever_the_batch():
    report = import_text(jsonl(five_documents()))

    assert report.created == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert counts() == {
        "Profile": 5, "EvidenceRecord": 6, "Claim": 5, "ClaimEvidence": 8, "ProfileEvidence": 8,
        "TimelineEvent": 5, "Relationship": 3, "ProfileChange": 5,
    }  # fmt: skip
    assert list(ProfileChange.objects.values_list("slug", "action")) == [
        (slug, "created") for slug in ("alpha", "bravo", "charlie", "delta", "echo")
    ]


def test_scores_written_by_the_import_are_what_recomputation_gives():
    import_text(jsonl(five_documents()))
    alpha = Profile.objects.get(slug="alpha")
    # Direct A today-ish (decayed from 2026-01-15) and reporting B: the claim scores above zero.
    assert alpha.score > 0
    assert alpha.explanation["claims"] == 1
    claim = alpha.claims.get()
    assert [entry["id"] for entry in claim.explanation["evidence"]] == list(
        claim.evidence_links.values_list("evidence_id", flat=True)
    )

    assert scoring.recompute_scores() == 0  # nothing left to change: the stored scores are right


def test_a_created_draft_starts_at_version_one():
    import_text(jsonl([document(slug, status="draft") for slug in ("alpha", "bravo", "charlie")]))

    assert set(Profile.objects.values_list("version", flat=True)) == {1}


def test_a_created_published_profile_is_published_through_the_workflow_record():
    import_text(jsonl(five_documents()))

    profile = Profile.objects.get(slug="alpha")
    [move] = profile.transitions.all()
    assert (move.from_status, move.to_status, move.actor, move.note) == ("draft", "published", None, "Operator import")
    assert profile.version == 2 and profile.published_at == move.at


def test_reimporting_a_file_of_several_batches_changes_nothing():
    text = jsonl(five_documents())
    import_text(text)
    before = list(Profile.objects.order_by("slug").values_list("slug", "updated_at", "version"))
    feed = ProfileChange.objects.count()

    report = import_text(text)

    assert report.unchanged == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert list(Profile.objects.order_by("slug").values_list("slug", "updated_at", "version")) == before
    assert ProfileChange.objects.count() == feed


def test_an_update_in_a_later_batch_replaces_only_that_profiles_parts():
    docs = five_documents()
    import_text(jsonl(docs))
    version = Profile.objects.get(slug="delta").version
    docs[3]["claims"][0]["text"] = {"en": "delta now runs two registries."}
    docs[3]["timeline"] = []

    report = import_text(jsonl(docs))

    assert report.updated == ["delta"]
    assert list(Claim.objects.filter(profile__slug="delta").values_list("text_en", flat=True)) == [
        "delta now runs two registries."
    ]
    assert not TimelineEvent.objects.filter(profile__slug="delta").exists()
    assert TimelineEvent.objects.count() == 4
    assert Profile.objects.get(slug="delta").version == version + 1
    assert ProfileChange.objects.last().slug == "delta"


# --- All or nothing -------------------------------------------------------------------------


def test_an_error_in_the_last_document_writes_nothing_from_earlier_batches():
    docs = five_documents()
    docs[4]["claims"][0]["evidence"][0]["key"] = "missing"

    with pytest.raises(InterchangeError) as caught:
        import_text(jsonl(docs))

    assert caught.value.errors == ['profiles[4].claims[0].evidence[0]: unknown evidence key "missing"']
    assert set(counts().values()) == {0}


def test_a_database_failure_in_the_last_batch_undoes_the_earlier_batches(monkeypatch):
    written = []
    write = writer.Writer.write

    def failing_on_the_third_batch(self, docs):
        written.append([doc["slug"] for doc in docs])
        if len(written) == 3:
            raise DatabaseError("connection lost")
        return write(self, docs)

    monkeypatch.setattr(writer.Writer, "write", failing_on_the_third_batch)

    with pytest.raises(InterchangeError) as caught:
        import_text(jsonl(five_documents()))

    assert written == [["alpha", "bravo"], ["charlie", "delta"], ["echo"]]
    assert caught.value.errors == ["database: connection lost; nothing was imported"]
    assert set(counts().values()) == {0}


def test_a_dry_run_of_several_batches_reports_and_writes_nothing():
    report = import_text(jsonl(five_documents()), dry_run=True)

    assert report.dry_run and report.created == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert "5 would be created" in report.summary()
    assert set(counts().values()) == {0}


# --- Reading ----------------------------------------------------------------------------------


def test_json_lines_with_blank_lines_import():
    text = "\n" + jsonl([document("alpha")]) + "\n   \n" + jsonl([document("bravo")]) + "\n"

    report = import_text(text)

    assert report.created == ["alpha", "bravo"]


def test_a_bad_json_line_is_reported_with_its_line_number_and_nothing_is_written():
    text = jsonl([document("alpha")]) + "\n" + jsonl([document("bravo")]) + '{"format": "registry-profile/1",\n'

    with pytest.raises(InterchangeError) as caught:
        import_text(text)

    assert len(caught.value.errors) == 1
    assert caught.value.errors[0].startswith("line 4: invalid JSON at column ")
    assert Profile.objects.count() == 0


def test_json_lines_are_read_a_line_at_a_time():
    consumed = []

    class Lines(io.StringIO):
        def __next__(self):
            line = super().__next__()
            consumed.append(line)
            return line

    documents = iter_documents(Lines(jsonl([document("alpha"), document("bravo"), document("charlie")])), [])

    place, first = next(documents)
    assert (place, first["slug"]) == ("profiles[0]", "alpha")
    assert len(consumed) == 1  # the rest of the file is still unread
    assert [place for place, _ in documents] == ["profiles[1]", "profiles[2]"]


def test_an_array_and_a_single_object_still_import():
    docs = five_documents()
    assert import_text(json.dumps(docs[1:4], indent=2)).created == ["bravo", "charlie", "delta"]
    assert import_text(json.dumps(document("foxtrot"), indent=2)).created == ["foxtrot"]


def test_import_stream_reads_a_file_object(tmp_path):
    path = tmp_path / "profiles.jsonl"
    path.write_text(jsonl(five_documents()[1:4]), encoding="utf-8")

    with open(path, encoding="utf-8") as stream:
        report = import_stream(stream)

    assert report.created == ["bravo", "charlie", "delta"]


# --- Progress -----------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_command_shows_progress_on_a_terminal(tmp_path):
    path = tmp_path / "profiles.jsonl"
    path.write_text(jsonl(five_documents()), encoding="utf-8")
    out, err = io.StringIO(), Terminal()

    call_command("import_profiles", str(path), stdout=out, stderr=err)

    progress = err.getvalue()
    assert "\rvalidating: 5 profiles (" in progress
    assert "\rwriting: 2/5 profiles (" in progress and "\rwriting: 5/5 profiles (" in progress
    assert "\rsetting statuses: 5/5 profiles (" in progress
    assert "/s)" in progress
    assert out.getvalue() == (
        "5 profiles read: 5 were created, 0 were updated, 0 unchanged. "
        "5 were given the file's status (recorded as an operator import).\n"
    )


def test_the_command_shows_no_progress_when_not_on_a_terminal(tmp_path):
    path = tmp_path / "profiles.jsonl"
    path.write_text(jsonl(five_documents()), encoding="utf-8")
    err = io.StringIO()

    call_command("import_profiles", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue() == ""
