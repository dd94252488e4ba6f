"""Specification tests for the interchange format (profiles.interchange.service).

The contract is ../shared/spec/profile-format.md: one JSON object per profile, a file of
one object, an array or JSON Lines; upsert by slug; all or nothing with every error
reported at its place; evidence reused by normalised URL; export → import → export is
byte-identical; and exports go through the visibility policy.

Expected values are written out by hand (counts read off the seed file, scores worked
out from the weight table in DESIGN.md), never produced by the code under test.
"""

import copy
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation

from profiles.interchange.errors import InterchangeError
from profiles.interchange.export import export_documents, write_documents
from profiles.interchange.service import import_text
from profiles.models import (
    Briefing,
    Claim,
    ClaimEvidence,
    EvidenceRecord,
    FaqEntry,
    Profile,
    ProfileEvidence,
    ProfileTopic,
    Relationship,
    TimelineEvent,
    Watchpoint,
)
from profiles.rules.visibility import ANONYMOUS, MEMBER, STAFF
from profiles.services import scoring
from tests.conftest import SEED_SLUG
from tests.factories import ClaimEvidenceFactory, ClaimFactory, EvidenceFactory, ProfileEvidenceFactory, ProfileFactory

pytestmark = pytest.mark.django_db

DEMO_DIR = Path(__file__).resolve().parent.parent / "profiles" / "demo"
FORMAT = "registry-profile/1"
ALL_MODELS = [
    Profile, ProfileTopic, EvidenceRecord, ProfileEvidence, Claim, ClaimEvidence,
    TimelineEvent, Watchpoint, FaqEntry, Briefing, Relationship,
]  # fmt: skip


# --- Helpers -------------------------------------------------------------------------------


def as_json(payload):
    return json.dumps(payload, ensure_ascii=False)


def import_json(payload, **kwargs):
    return import_text(as_json(payload), **kwargs)


def minimal(slug, **fields):
    """The smallest valid document: only the required fields, plus any given."""
    return {"format": FORMAT, "slug": slug, "kind": "institution", "name": {"en": f"Name of {slug}"}, **fields}


def source(key, url, **fields):
    return {"key": key, "title": {"en": f"Title of {key}"}, "url": url, "kind": "direct", **fields}


def snapshot():
    """Everything an import could change: row counts and every stored field."""
    return {
        "counts": {model.__name__: model.objects.count() for model in ALL_MODELS},
        "profiles": list(Profile.objects.order_by("pk").values()),
        "evidence": list(EvidenceRecord.objects.order_by("pk").values()),
        "claims": list(Claim.objects.order_by("pk").values()),
        "relationships": list(Relationship.objects.order_by("pk").values()),
    }


def refused(payload):
    """Import a bad file; check it is refused and nothing changed; return the errors."""
    text = payload if isinstance(payload, str) else as_json(payload)
    before = snapshot()
    with pytest.raises(InterchangeError) as caught:
        import_text(text)
    assert snapshot() == before, "a refused import must not write anything"
    assert caught.value.errors, "a refused import must say why"
    return caught.value.errors


def assert_single_error(errors, place, *fragments):
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{place}: "), errors
    for fragment in fragments:
        assert fragment in errors[0], errors


def export_text(audience=STAFF, **kwargs):
    stream = io.StringIO()
    write_documents(export_documents(audience), stream, **kwargs)
    return stream.getvalue()


def empty_the_registry():
    Profile.objects.all().delete()
    EvidenceRecord.objects.all().delete()
    assert snapshot()["counts"] == {model.__name__: 0 for model in ALL_MODELS}


def claim_scores(slug):
    return {claim.section: claim.score for claim in Claim.objects.filter(profile__slug=slug)}


def changed_seed(seed):
    """The seed with a new summary, a new source and a new claim citing it.

    Importing it over the seed would change the stored profile and add rows, so a
    refused import of it (plus one fault) proves that nothing was written.
    """
    doc = copy.deepcopy(seed)
    doc["summary"]["en"] = "CHANGED SUMMARY"
    doc["evidence"].append(source("new-source", "https://new.example.org/a", publisher="New", review_status="reviewed"))
    doc["claims"].append(
        {"section": "function", "text": {"en": "A brand-new claim."}, "evidence": [{"key": "new-source"}], "verified": True}
    )
    return doc


@pytest.fixture
def registry(seed_document):
    """A registry holding the seed profile and one more profile to point relationships at."""
    import_json(seed_document)
    ProfileFactory(slug="existing-target")


# --- Importing the seed --------------------------------------------------------------------


def test_importing_the_seed_creates_the_profile_and_all_its_parts(seed_document):
    report = import_json(seed_document)

    assert report.created == [SEED_SLUG] and report.updated == [] and report.unchanged == []
    profile = Profile.objects.get(slug=SEED_SLUG)
    assert profile.kind == "topic" and profile.status == "published"
    assert profile.published_at is not None
    assert EvidenceRecord.objects.count() == 4
    assert ProfileEvidence.objects.filter(profile=profile).count() == 4
    assert profile.claims.count() == 3
    assert ClaimEvidence.objects.filter(claim__profile=profile).count() == 5
    assert profile.timeline_events.count() == 3
    assert profile.watchpoints.count() == 2
    assert profile.faq_entries.count() == 3
    assert Briefing.objects.filter(profile=profile).count() == 1
    assert [topic.name for topic in profile.topic_links.all()] == ["training data", "synthetic data", "model collapse"]
    assert profile.aliases == ["model collapse", "data exhaustion"]
    assert profile.criticality == "medium" and profile.time_horizon == "next_quarter" and profile.impact == "medium"


def test_importing_the_seed_stores_both_languages(seed_document):
    import_json(seed_document)

    profile = Profile.objects.get(slug=SEED_SLUG)
    assert profile.name_en == "AI Crisis caused by Data Exhaustion: How to Save an Impending Model Collapse"
    assert profile.name_zh_hans == "数据枯竭引发的AI危机：如何挽救即将到来的模型崩溃"
    claim = profile.claims.get(section="public_role")
    assert claim.text_zh_hans.startswith("作为互联网基础设施生态中的一个主题被跟踪")
    # A text given in one language only leaves the other empty (the page falls back).
    article = EvidenceRecord.objects.get(publisher="BTW Media")
    assert article.excerpt_en == "" and article.excerpt_zh_hans.startswith("从其他模型生成的数据中学习")


def test_importing_the_seed_keeps_claim_and_evidence_details(seed_document):
    import_json(seed_document)

    outlook = Claim.objects.get(profile__slug=SEED_SLUG, section="outlook")
    assert outlook.verified is False and outlook.visibility == "members"
    link = ClaimEvidence.objects.get(claim__section="public_role", evidence__publisher="arXiv")
    assert link.note_en == "primary research" and link.stance == "supports"
    note = EvidenceRecord.objects.get(publisher="Registry analysts")
    assert note.kind == "internal" and note.visibility == "internal" and note.url == ""
    paper = EvidenceRecord.objects.get(publisher="arXiv")
    assert paper.url == "https://arxiv.org/abs/2305.17493" and paper.published_on == date(2023, 5, 27)


# --- Refusals: each bad input, its place, and nothing written -------------------------------


def test_the_changed_seed_used_below_would_change_the_registry(registry, seed_document):
    # Guard for the refusal tests: without a fault, this document does write.
    before = snapshot()
    report = import_json(changed_seed(seed_document))
    assert report.updated == [SEED_SLUG]
    after = snapshot()
    assert after["counts"]["EvidenceRecord"] == before["counts"]["EvidenceRecord"] + 1
    assert after["counts"]["Claim"] == before["counts"]["Claim"] + 1
    assert Profile.objects.get(slug=SEED_SLUG).summary_en == "CHANGED SUMMARY"


def test_malformed_json_is_refused_with_its_line_and_column(registry):
    text = '{"format": "registry-profile/1",\n  "slug": }'
    errors = refused(text)
    assert_single_error(errors, "file", "line 2", "column 11")


def test_malformed_json_inside_an_array_is_refused(registry, seed_document):
    text = "[" + as_json(changed_seed(seed_document)) + ",\n{]"
    errors = refused(text)
    assert_single_error(errors, "file", "line 2")


@pytest.mark.parametrize("tag", ["registry-profile/2", "registry-profile", "", None])
def test_a_wrong_format_tag_is_refused(registry, seed_document, tag):
    doc = changed_seed(seed_document)
    doc["format"] = tag
    errors = refused([doc])
    assert_single_error(errors, "profiles[0].format", FORMAT)


def test_a_missing_format_tag_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    del doc["format"]
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].format", FORMAT)


@pytest.mark.parametrize(
    "where, place, value",
    [
        (lambda doc: doc, "profiles[0].kind", "organisation"),
        (lambda doc: doc["evidence"][1], "profiles[0].evidence[1].kind", "rumour"),
        (lambda doc: doc["evidence"][0], "profiles[0].evidence[0].visibility", "secret"),
        (lambda doc: doc["claims"][2], "profiles[0].claims[2].visibility", "everyone"),
        (lambda doc: doc["importance"], "profiles[0].importance.criticality", "extreme"),
    ],
    ids=["kind", "evidence-kind", "evidence-visibility", "claim-visibility", "criticality"],
)
def test_an_unknown_enumeration_value_is_refused(registry, seed_document, where, place, value):
    doc = changed_seed(seed_document)
    where(doc)[place.rsplit(".", 1)[1]] = value
    errors = refused(doc)
    assert_single_error(errors, place, f'"{value}"')


def test_an_enumeration_value_in_the_wrong_case_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    doc["status"] = "Published"
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].status", '"Published"')


def _cite_e9_in_claim(doc):
    doc["claims"][0]["evidence"][0]["key"] = "e9"


def _cite_e9_in_timeline(doc):
    doc["timeline"][1]["evidence"] = ["e9"]


def _cite_e9_in_watchpoint(doc):
    doc["watchpoints"][0]["triggered_by"] = ["curse-of-recursion", "e9"]


def _cite_e9_in_relationship(doc):
    doc["relationships"] = [{"target": "existing-target", "evidence": ["e9"]}]


@pytest.mark.parametrize(
    "cite, message",
    [
        (_cite_e9_in_claim, 'profiles[0].claims[0].evidence[0]: unknown evidence key "e9"'),
        (_cite_e9_in_timeline, 'profiles[0].timeline[1].evidence[0]: unknown evidence key "e9"'),
        (_cite_e9_in_watchpoint, 'profiles[0].watchpoints[0].triggered_by[1]: unknown evidence key "e9"'),
        (_cite_e9_in_relationship, 'profiles[0].relationships[0].evidence[0]: unknown evidence key "e9"'),
    ],
    ids=["claim", "timeline", "watchpoint", "relationship"],
)
def test_an_unknown_evidence_key_is_refused_at_its_place(registry, seed_document, cite, message):
    doc = changed_seed(seed_document)
    cite(doc)
    assert refused(doc) == [message]


def test_an_unknown_evidence_key_in_a_later_document_names_that_document(registry, seed_document):
    doc = changed_seed(seed_document)
    _cite_e9_in_claim(doc)
    errors = refused([minimal("first-new"), minimal("second-new"), minimal("third-new"), doc])
    assert errors == ['profiles[3].claims[0].evidence[0]: unknown evidence key "e9"']


def test_a_relationship_to_a_profile_that_exists_nowhere_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    doc["relationships"] = [{"target": "existing-target"}, {"target": "nowhere-profile"}]
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].relationships[1].target", "nowhere-profile")


def test_a_relationship_of_a_profile_to_itself_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    doc["relationships"] = [{"target": SEED_SLUG, "kind": "see_also"}]
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].relationships[0].target")


@pytest.mark.parametrize("score", [1.5, -0.2, "1.5", "high"])
def test_a_profile_score_override_outside_0_to_1_is_refused(registry, seed_document, score):
    doc = changed_seed(seed_document)
    doc["score_override"] = {"score": score, "reason": "analyst judgement"}
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].score_override.score")


def test_a_claim_score_override_outside_0_to_1_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    doc["claims"][1]["score_override"] = {"score": 1.5, "reason": "analyst judgement"}
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].claims[1].score_override.score", "1.5")


@pytest.mark.parametrize("override", [{"score": 0.5}, {"score": 0.5, "reason": ""}, {"score": 0.5, "reason": "   "}])
def test_a_score_override_without_a_reason_is_refused(registry, seed_document, override):
    doc = changed_seed(seed_document)
    doc["score_override"] = override
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].score_override.reason")


def test_a_claim_score_override_without_a_reason_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    doc["claims"][0]["score_override"] = {"score": "0.70"}
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].claims[0].score_override.reason")


@pytest.mark.parametrize("slug", ["Bad-Slug", "has space", "under_score", "", "a" * 101, 42, None])
def test_a_bad_slug_is_refused(registry, seed_document, slug):
    doc = changed_seed(seed_document)
    doc["slug"] = slug
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].slug")


def test_a_slug_of_exactly_100_characters_is_accepted():
    import_json(minimal("a" * 100))
    assert Profile.objects.filter(slug="a" * 100).exists()


@pytest.mark.parametrize(
    "where, place, value",
    [
        (lambda doc: doc["timeline"][0], "profiles[0].timeline[0].date", "2026-02-30"),
        (lambda doc: doc["evidence"][2], "profiles[0].evidence[2].published_on", "24/11/2026"),
        (lambda doc: doc["watchpoints"][1], "profiles[0].watchpoints[1].review_by", "2027-2-20"),
        (lambda doc: doc["timeline"][2], "profiles[0].timeline[2].date", "2026-11-20T10:00:00Z"),
    ],
    ids=["impossible-day", "day-first", "unpadded", "datetime"],
)
def test_a_bad_date_is_refused(registry, seed_document, where, place, value):
    doc = changed_seed(seed_document)
    where(doc)[place.rsplit(".", 1)[1]] = value
    errors = refused(doc)
    assert_single_error(errors, place, value)


def test_a_missing_timeline_date_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    del doc["timeline"][1]["date"]
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].timeline[1].date")


def test_an_unknown_top_level_field_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    doc["colour"] = "blue"
    errors = refused(doc)
    assert_single_error(errors, "profiles[0]", '"colour"')


def test_an_unknown_field_inside_a_claim_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    doc["claims"][1]["weight"] = 3
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].claims[1]", '"weight"')


def test_a_duplicate_evidence_key_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    doc["evidence"].append(source("btw-article", "https://dup.example.org/x"))
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].evidence[5].key", "btw-article")


def test_the_same_source_twice_in_one_document_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    doc["evidence"].append(source("again", "HTTPS://ARXIV.ORG/abs/2305.17493/"))
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].evidence[5].url")


def test_a_duplicate_slug_in_one_file_is_refused(registry, seed_document):
    errors = refused([changed_seed(seed_document), minimal(SEED_SLUG)])
    assert_single_error(errors, "profiles[1].slug", SEED_SLUG)


def test_two_documents_without_a_slug_get_one_slug_error_each_and_no_duplicate_error(registry):
    nameless = {"format": FORMAT, "kind": "topic", "name": "No slug"}
    errors = refused([nameless, nameless])
    assert sorted(error.split(": ", 1)[0] for error in errors) == ["profiles[0].slug", "profiles[1].slug"], errors


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>x</script>", "ftp://example.org/f",
            "//example.org/report", "http://", "example.org/report"],
)  # fmt: skip
def test_an_evidence_url_that_is_not_http_is_refused(registry, seed_document, url):
    doc = changed_seed(seed_document)
    doc["evidence"][1]["url"] = url
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].evidence[1].url")


def test_a_bad_second_of_three_documents_means_nothing_of_the_first_is_written(registry, seed_document):
    first = minimal("first-new", evidence=[source("s", "https://first.example.org/s")])
    bad = changed_seed(seed_document)
    bad["kind"] = "organisation"
    third = minimal("third-new")

    errors = refused([first, bad, third])

    assert_single_error(errors, "profiles[1].kind", "organisation")
    assert not Profile.objects.filter(slug__in=["first-new", "third-new"]).exists()
    assert not EvidenceRecord.objects.filter(url="https://first.example.org/s").exists()


def test_every_error_in_a_document_is_reported_not_just_the_first(registry, seed_document):
    doc = changed_seed(seed_document)
    doc["kind"] = "organisation"
    doc["timeline"][0]["date"] = "2026-13-01"
    _cite_e9_in_claim(doc)

    errors = refused(doc)

    assert len(errors) == 3, errors
    assert 'profiles[0].claims[0].evidence[0]: unknown evidence key "e9"' in errors
    assert sorted(error.split(": ", 1)[0] for error in errors) == [
        "profiles[0].claims[0].evidence[0]",
        "profiles[0].kind",
        "profiles[0].timeline[0].date",
    ]


def test_errors_in_several_documents_are_all_reported(registry, seed_document):
    bad_first = minimal("first-new", kind="organisation")
    good = minimal("second-new")
    bad_third = minimal("third-new", evidence=[source("s", "javascript:alert(1)")])

    errors = refused([bad_first, good, bad_third])

    assert sorted(error.split(": ", 1)[0] for error in errors) == ["profiles[0].kind", "profiles[2].evidence[0].url"]


def test_a_document_that_is_not_an_object_is_refused(registry):
    errors = refused([minimal("first-new"), ["not", "an", "object"]])
    assert_single_error(errors, "profiles[1]")


def test_an_empty_file_is_refused(registry):
    assert refused("  \n")


# Malformed values where a slug or a key belongs must be reported at their place like
# every other error; today they escape validation as a TypeError (a traceback from the
# command, a 500 from the API).
def _slug_list(doc):
    doc["slug"] = ["a-list"]


def _claim_key_list(doc):
    doc["claims"][0]["evidence"][0]["key"] = ["btw-article"]


def _timeline_key_list(doc):
    doc["timeline"][0]["evidence"] = [["epoch-run-out"]]


def _relationship_target_object(doc):
    doc["relationships"] = [{"target": {"slug": "existing-target"}}]


@pytest.mark.parametrize(
    "spoil, place",
    [
        (_slug_list, "profiles[0].slug"),
        (_claim_key_list, "profiles[0].claims[0].evidence[0]"),
        (_timeline_key_list, "profiles[0].timeline[0].evidence[0]"),
        (_relationship_target_object, "profiles[0].relationships[0].target"),
    ],
    ids=["slug-list", "claim-key-list", "timeline-key-list", "target-object"],
)
def test_a_list_or_object_where_a_slug_or_key_belongs_is_reported_not_a_crash(registry, seed_document, spoil, place):
    doc = changed_seed(seed_document)
    spoil(doc)
    errors = refused(doc)
    assert any(error.startswith(f"{place}: ") for error in errors), errors


@pytest.mark.parametrize(
    "url", ["https://example.org:99999/report", "https://example.org:port/report", "http://[::1/report",
            "https://exa mple.org/report"],
)  # fmt: skip
def test_a_malformed_http_address_is_refused_at_its_place(registry, seed_document, url):
    doc = changed_seed(seed_document)
    doc["evidence"][1]["url"] = url
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].evidence[1].url")


# --- Texts ---------------------------------------------------------------------------------


def test_a_plain_string_text_is_accepted_as_english():
    doc = minimal(
        "plain-texts",
        name="Plain name",
        summary="Plain summary.",
        claims=[{"section": "function", "text": "A plain claim."}],
        faq=[{"question": "Why?", "answer": "Because."}],
    )
    import_json(doc)

    profile = Profile.objects.get(slug="plain-texts")
    assert (profile.name_en, profile.name_zh_hans) == ("Plain name", "")
    assert (profile.summary_en, profile.summary_zh_hans) == ("Plain summary.", "")
    assert profile.claims.get().text_en == "A plain claim."
    assert profile.faq_entries.get().question_en == "Why?"


def test_a_chinese_only_text_is_stored_as_chinese():
    import_json(minimal("zh-only", name={"zh-hans": "仅中文名称"}))
    profile = Profile.objects.get(slug="zh-only")
    assert (profile.name_en, profile.name_zh_hans) == ("", "仅中文名称")


def test_a_text_in_an_unknown_language_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    doc["name"] = {"en": "Name", "fr": "Nom"}
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].name", '"fr"')


def test_a_name_with_no_text_at_all_is_refused(registry):
    errors = refused(minimal("nameless", name={"en": "  "}))
    assert errors and all(error.startswith("profiles[0].name") for error in errors), errors


# --- Upsert by slug ------------------------------------------------------------------------


def test_importing_a_changed_document_updates_the_existing_profile(seed_document):
    import_json(seed_document)
    pk = Profile.objects.get(slug=SEED_SLUG).pk
    doc = copy.deepcopy(seed_document)
    doc["summary"] = {"en": "Rewritten summary.", "zh-hans": "重写的摘要。"}
    doc["importance"]["criticality"] = "high"

    report = import_json(doc)

    assert report.updated == [SEED_SLUG] and report.created == [] and report.unchanged == []
    assert Profile.objects.count() == 1
    profile = Profile.objects.get(slug=SEED_SLUG)
    assert profile.pk == pk
    assert (profile.summary_en, profile.summary_zh_hans) == ("Rewritten summary.", "重写的摘要。")
    assert profile.criticality == "high"


def test_removing_a_claim_from_the_document_removes_it(seed_document):
    import_json(seed_document)
    doc = copy.deepcopy(seed_document)
    doc["claims"] = [claim for claim in doc["claims"] if claim["section"] != "outlook"]

    import_json(doc)

    assert sorted(claim_scores(SEED_SLUG)) == ["operating_surface", "public_role"]
    assert not Claim.objects.filter(text_en__startswith="Vendors are expected").exists()


def test_removing_the_briefing_and_faq_from_the_document_removes_them(seed_document):
    import_json(seed_document)
    doc = copy.deepcopy(seed_document)
    doc["briefing"] = None
    doc["faq"] = doc["faq"][:1]

    import_json(doc)

    assert not Briefing.objects.exists()
    assert list(FaqEntry.objects.values_list("question_en", flat=True)) == ["Why is this topic included?"]


def test_reimporting_the_same_file_changes_nothing(seed_document):
    text = as_json(seed_document)
    import_text(text)
    profile_updated = Profile.objects.get(slug=SEED_SLUG).updated_at
    evidence_updated = dict(EvidenceRecord.objects.values_list("pk", "updated_at"))
    claim_pks = sorted(Claim.objects.values_list("pk", flat=True))
    before = snapshot()

    report = import_text(text)

    assert report.unchanged == [SEED_SLUG] and report.created == [] and report.updated == []
    assert "1 unchanged" in report.summary()
    assert Profile.objects.get(slug=SEED_SLUG).updated_at == profile_updated
    assert dict(EvidenceRecord.objects.values_list("pk", "updated_at")) == evidence_updated
    assert sorted(Claim.objects.values_list("pk", flat=True)) == claim_pks
    assert snapshot() == before


def test_reimporting_an_exported_file_changes_nothing(seed_document):
    import_json(seed_document)
    exported = export_text()
    before = snapshot()

    report = import_text(exported)

    assert report.unchanged == [SEED_SLUG]
    assert snapshot() == before


def test_an_import_that_changes_one_source_updates_only_that_record(seed_document):
    import_json(seed_document)
    stamps = dict(EvidenceRecord.objects.values_list("publisher", "updated_at"))
    doc = copy.deepcopy(seed_document)
    doc["evidence"][2]["reliability"] = "A"  # epoch-run-out

    import_json(doc)

    after = dict(EvidenceRecord.objects.values_list("publisher", "updated_at"))
    assert after["Epoch"] > stamps["Epoch"]
    assert EvidenceRecord.objects.get(publisher="Epoch").reliability == "A"
    assert {p: t for p, t in after.items() if p != "Epoch"} == {p: t for p, t in stamps.items() if p != "Epoch"}


# --- Evidence shared by normalised URL -----------------------------------------------------


@pytest.mark.parametrize(
    "other_spelling",
    ["https://example.org/report", "HTTPS://EXAMPLE.ORG/report/", "https://example.org:443/report",
     "https://example.org/report#section-2"],
)  # fmt: skip
def test_two_profiles_citing_one_source_share_one_evidence_record(other_spelling):
    import_json(minimal("first", evidence=[source("report", "https://Example.org/report/")]))
    import_json(minimal("second", evidence=[source("the-report", other_spelling)]))

    assert EvidenceRecord.objects.count() == 1
    record = EvidenceRecord.objects.get()
    assert set(ProfileEvidence.objects.filter(evidence=record).values_list("profile__slug", "key")) == {
        ("first", "report"),
        ("second", "the-report"),
    }


def test_two_profiles_in_one_file_citing_one_source_share_one_evidence_record():
    import_json([
        minimal("first", evidence=[source("report", "https://Example.org/report/")]),
        minimal("second", evidence=[source("report", "https://example.org/report")]),
    ])  # fmt: skip
    assert EvidenceRecord.objects.count() == 1
    assert ProfileEvidence.objects.filter(evidence=EvidenceRecord.objects.get()).count() == 2


@pytest.mark.parametrize(
    "other", ["https://example.org/report?page=2", "https://example.org/Report", "https://example.org/report/part-2"]
)
def test_different_addresses_are_different_sources(other):
    import_json(minimal("first", evidence=[source("report", "https://example.org/report")]))
    import_json(minimal("second", evidence=[source("report", other)]))
    assert EvidenceRecord.objects.count() == 2


def test_sources_without_an_address_are_never_shared_between_profiles():
    import_json(minimal("first", evidence=[source("note", None, kind="internal")]))
    import_json(minimal("second", evidence=[source("note", None, kind="internal")]))
    assert EvidenceRecord.objects.count() == 2


def test_reimporting_a_file_whose_profiles_cite_one_source_by_two_spellings_changes_nothing():
    text = as_json([
        minimal("first", evidence=[source("report", "https://Example.org/report/")]),
        minimal("second", evidence=[source("report", "https://example.org/report")]),
    ])  # fmt: skip
    import_text(text)
    before = snapshot()

    report = import_text(text)

    assert report.updated == [] and sorted(report.unchanged) == ["first", "second"]
    assert snapshot() == before


# --- Relationships -------------------------------------------------------------------------


def test_a_relationship_target_defined_later_in_the_same_file_is_resolved():
    report = import_json([
        minimal("operator", relationships=[{"target": "exchange", "kind": "operates", "verified": True}]),
        minimal("exchange"),
    ])  # fmt: skip

    assert sorted(report.created) == ["exchange", "operator"]
    relationship = Relationship.objects.get()
    assert (relationship.source.slug, relationship.target.slug) == ("operator", "exchange")
    assert relationship.kind == "operates" and relationship.verified is True


def test_a_relationship_target_already_in_the_registry_is_resolved():
    regulator = ProfileFactory(slug="national-regulator")

    import_json(minimal("exchange", relationships=[{"target": "national-regulator", "kind": "regulated_by"}]))

    relationship = Relationship.objects.get()
    assert relationship.source.slug == "exchange"
    assert relationship.target_id == regulator.pk
    assert relationship.kind == "regulated_by" and relationship.verified is False


def test_relationship_evidence_is_linked_by_key():
    import_json([
        minimal("a", evidence=[source("deal", "https://example.org/deal")],
                relationships=[{"target": "b", "kind": "partner", "evidence": ["deal"]}]),
        minimal("b"),
    ])  # fmt: skip
    relationship = Relationship.objects.get()
    assert list(relationship.evidence.values_list("url", flat=True)) == ["https://example.org/deal"]


def test_updating_a_relationship_target_keeps_inbound_relationships():
    import_json([minimal("a", relationships=[{"target": "b"}]), minimal("b")])
    import_json(minimal("b", name={"en": "B renamed"}))
    relationship = Relationship.objects.get()
    assert (relationship.source.slug, relationship.target.slug) == ("a", "b")


# --- Input shapes --------------------------------------------------------------------------


def test_a_json_array_of_documents_is_imported():
    report = import_text(as_json([minimal("one"), minimal("two")]))
    assert sorted(report.created) == ["one", "two"]
    assert sorted(Profile.objects.values_list("slug", flat=True)) == ["one", "two"]


def test_json_lines_are_imported_one_profile_per_line():
    text = as_json(minimal("one")) + "\n\n" + as_json(minimal("two")) + "\r\n" + as_json(minimal("three")) + "\n"
    report = import_text(text)
    assert sorted(report.created) == ["one", "three", "two"]
    assert Profile.objects.count() == 3


def test_a_broken_line_of_json_lines_is_refused_by_line_number(registry):
    text = as_json(minimal("one")) + "\n" + '{"format": "registry-profile/1", "slug": ' + "\n" + as_json(minimal("three"))
    errors = refused(text)
    assert_single_error(errors, "line 2")


def test_a_single_object_is_imported():
    report = import_text(as_json(minimal("solo")))
    assert report.created == ["solo"]


def test_a_pretty_printed_single_object_is_not_mistaken_for_json_lines(seed_document):
    report = import_text(json.dumps(seed_document, ensure_ascii=False, indent=2))
    assert report.created == [SEED_SLUG]


def test_a_file_with_a_byte_order_mark_is_imported():
    report = import_text("\ufeff" + as_json([minimal("bom")]))
    assert report.created == ["bom"]


def test_an_empty_array_imports_nothing():
    report = import_text("[]")
    assert report.total == 0 and Profile.objects.count() == 0


# --- Export → import → export --------------------------------------------------------------


def test_export_import_export_of_the_seed_is_byte_identical(seed_document):
    import_json(seed_document)
    first = export_text()
    assert f'"slug": "{SEED_SLUG}"' in first
    empty_the_registry()

    import_text(first)

    assert export_text() == first


def test_export_import_export_as_json_lines_is_byte_identical(seed_document):
    import_json(seed_document)
    first = export_text(jsonl=True)
    assert len(first.splitlines()) == 1
    empty_the_registry()

    import_text(first)

    assert export_text(jsonl=True) == first


def test_export_import_export_of_a_linked_set_is_byte_identical():
    shared = source("shared", "https://example.org/shared", publisher="Shared", review_status="reviewed")
    import_json([
        minimal(
            "alpha",
            status="published",
            score_override={"score": 0.42, "reason": "analyst judgement"},
            evidence=[shared, source("note", None, kind="internal", review_status="reviewed", visibility="internal"),
                      source("against", "https://example.org/against", publisher="Critic", review_status="reviewed")],
            claims=[{"section": "function", "text": {"en": "Alpha runs things.", "zh-hans": "阿尔法负责运行。"},
                     "evidence": [{"key": "shared", "note": "basis"}, {"key": "against", "stance": "contradicts"}],
                     "verified": True, "score_override": {"score": "0.61", "reason": "checked by phone"}}],
            timeline=[{"date": "2025-05-01", "title": "Later"}, {"date": "2024-01-01", "title": "Earlier",
                                                                 "evidence": ["note"]}],
            relationships=[{"target": "beta", "kind": "operates", "evidence": ["shared"], "verified": True}],
        ),
        minimal("beta", kind="topic", evidence=[dict(shared, key="same-source")],
                relationships=[{"target": "alpha", "kind": "operated_by"}]),
    ])  # fmt: skip
    first = export_text()
    empty_the_registry()

    import_text(first)

    assert export_text() == first
    assert EvidenceRecord.objects.count() == 3


def test_export_import_export_of_the_demo_set_is_byte_identical():
    files = sorted(DEMO_DIR.glob("*.json"))
    if len(files) < 2:
        pytest.skip("the demo set has only the seed profile so far")
    import_text("[" + ",".join(path.read_text(encoding="utf-8") for path in files) + "]")
    first = export_text()
    assert len(json.loads(first)) == len(files)
    empty_the_registry()

    import_text(first)

    assert export_text() == first


def test_export_writes_no_timestamps_of_its_own(seed_document):
    import_json(seed_document)
    doc = json.loads(export_text())[0]
    for name in ("created_at", "updated_at", "published_at", "last_reviewed_at"):
        assert name not in doc


def test_export_lists_the_timeline_by_date(seed_document):
    doc = copy.deepcopy(seed_document)
    doc["timeline"].reverse()
    import_json(doc)
    exported = json.loads(export_text())[0]
    assert [event["date"] for event in exported["timeline"]] == ["2022-10-26", "2023-05-27", "2026-11-20"]


def test_a_claim_citing_a_source_outside_the_profiles_list_exports_and_reimports():
    # As the editing UI can leave it: the claim cites a record the profile does not list.
    profile = ProfileFactory(slug="edited")
    cited = EvidenceFactory(url="https://example.org/cited", publisher="Cited")
    ProfileEvidenceFactory(profile=profile, evidence=EvidenceFactory(url="https://example.org/listed"), key="listed")
    ClaimEvidenceFactory(claim=ClaimFactory(profile=profile), evidence=cited)
    scoring.recompute_scores()
    first = export_text()
    doc = json.loads(first)[0]
    [link] = doc["claims"][0]["evidence"]
    assert [e["url"] for e in doc["evidence"] if e["key"] == link["key"]] == ["https://example.org/cited"]
    empty_the_registry()

    import_text(first)

    assert export_text() == first


def test_export_never_writes_the_same_evidence_key_twice():
    profile = ProfileFactory(slug="edited")
    cited = EvidenceFactory(url="https://example.org/cited", publisher="Cited")
    listed = EvidenceFactory(url="https://example.org/listed", publisher="Listed")
    ProfileEvidenceFactory(profile=profile, evidence=listed, key=f"e{cited.pk}")
    ClaimEvidenceFactory(claim=ClaimFactory(profile=profile), evidence=cited)
    scoring.recompute_scores()

    first = export_text()

    doc = json.loads(first)[0]
    keys = [e["key"] for e in doc["evidence"]]
    assert len(keys) == len(set(keys)) == 2, keys
    [link] = doc["claims"][0]["evidence"]
    assert [e["url"] for e in doc["evidence"] if e["key"] == link["key"]] == ["https://example.org/cited"]
    empty_the_registry()
    import_text(first)
    assert export_text() == first


def test_the_export_is_the_same_whatever_language_is_active(seed_document):
    import_json(seed_document)
    english_export = export_text()
    with translation.override("zh-hans"):
        chinese_export = export_text()
    assert chinese_export == english_export


# --- Dry run -------------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_but_reports_what_would_be_created(seed_document):
    report = import_json([seed_document, minimal("another")], dry_run=True)

    assert report.dry_run is True
    assert sorted(report.created) == sorted([SEED_SLUG, "another"])
    assert "2 would be created" in report.summary()
    assert snapshot()["counts"] == {model.__name__: 0 for model in ALL_MODELS}


def test_a_dry_run_of_an_update_reports_it_and_changes_nothing(seed_document):
    import_json(seed_document)
    before = snapshot()
    doc = copy.deepcopy(seed_document)
    doc["summary"] = {"en": "Would be new."}

    report = import_json([doc, minimal("another")], dry_run=True)

    assert report.updated == [SEED_SLUG] and report.created == ["another"]
    assert "1 would be updated" in report.summary()
    assert snapshot() == before


def test_a_dry_run_of_a_bad_file_reports_the_errors(registry, seed_document):
    doc = changed_seed(seed_document)
    _cite_e9_in_claim(doc)
    before = snapshot()
    with pytest.raises(InterchangeError) as caught:
        import_json(doc, dry_run=True)
    assert caught.value.errors == ['profiles[0].claims[0].evidence[0]: unknown evidence key "e9"']
    assert snapshot() == before


# --- Export by audience --------------------------------------------------------------------


def _gated_registry():
    """Two published profiles and three unpublished ones, with a marker in every gated field."""
    ev = [
        source("pub-ok", "https://example.org/ok", title="PUBLIC-EVIDENCE-OK", publisher="OK Publisher",
               review_status="reviewed", visibility="public"),
        source("pending", "https://example.org/pending", title="MARK-PENDING-EVIDENCE", publisher="MARK-PENDING-PUBLISHER",
               review_status="pending", visibility="public"),
        source("rejected", "https://example.org/rejected", title="MARK-REJECTED-EVIDENCE", review_status="rejected",
               visibility="public"),
        source("members-ev", "https://example.org/members", title="MARK-MEMBERS-EVIDENCE", review_status="reviewed",
               visibility="members"),
        source("internal-ev", None, title="MARK-INTERNAL-EVIDENCE", excerpt="MARK-INTERNAL-EXCERPT",
               review_status="reviewed", visibility="internal", kind="internal"),
    ]  # fmt: skip
    open_profile = minimal(
        "open-profile",
        status="published",
        evidence=ev,
        claims=[
            {"section": "public_role", "text": "PUBLIC-CLAIM-OK", "verified": True,
             "evidence": [{"key": "pub-ok"}, {"key": "pending", "note": "MARK-PENDING-NOTE"},
                          {"key": "members-ev"}, {"key": "internal-ev"}]},
            {"section": "function", "text": "MARK-UNVERIFIED-CLAIM", "verified": False, "evidence": [{"key": "pub-ok"}]},
            {"section": "outlook", "text": "MARK-MEMBERS-CLAIM", "verified": True, "visibility": "members"},
            {"section": "governance", "text": "MARK-INTERNAL-CLAIM", "verified": True, "visibility": "internal"},
        ],
        timeline=[
            {"date": "2026-01-01", "title": "PUBLIC-EVENT-OK", "evidence": ["pub-ok", "pending", "members-ev"]},
            {"date": "2026-02-01", "title": "MARK-MEMBERS-EVENT", "visibility": "members"},
            {"date": "2026-03-01", "title": "MARK-INTERNAL-EVENT", "visibility": "internal"},
        ],
        watchpoints=[
            {"text": "PUBLIC-WATCH-OK", "triggered_by": ["rejected", "internal-ev"]},
            {"text": "MARK-MEMBERS-WATCH", "visibility": "members"},
        ],
        faq=[
            {"question": "PUBLIC-FAQ-OK?", "answer": "Yes."},
            {"question": "MARK-INTERNAL-FAQ?", "answer": "MARK-INTERNAL-ANSWER", "visibility": "internal"},
            {"question": "MARK-MEMBERS-FAQ?", "visibility": "members"},
        ],
        briefing={"title": "MARK-BRIEFING-TITLE", "body": "MARK-BRIEFING-BODY", "source_notes": "MARK-SOURCE-NOTES"},
        relationships=[
            {"target": "other-published", "kind": "see_also", "note": "PUBLIC-REL-OK", "verified": True},
            {"target": "other-published", "kind": "partner", "note": "MARK-UNVERIFIED-REL", "verified": False},
            {"target": "other-published", "kind": "member_of", "note": "MARK-MEMBERS-REL", "verified": True,
             "visibility": "members"},
            {"target": "mark-draft-profile", "kind": "operates", "note": "MARK-REL-TO-DRAFT", "verified": True},
        ],
    )  # fmt: skip
    import_json([
        open_profile,
        minimal("other-published", status="published"),
        minimal("mark-draft-profile", name="MARK-DRAFT-PROFILE"),
        minimal("mark-review-profile", status="in_review", name="MARK-REVIEW-PROFILE"),
        minimal("mark-archived-profile", status="archived", name="MARK-ARCHIVED-PROFILE"),
    ])  # fmt: skip


PUBLIC_MARKERS = ["PUBLIC-EVIDENCE-OK", "PUBLIC-CLAIM-OK", "PUBLIC-EVENT-OK", "PUBLIC-WATCH-OK", "PUBLIC-FAQ-OK",
                  "PUBLIC-REL-OK"]  # fmt: skip
MEMBER_MARKERS = ["MARK-MEMBERS-EVIDENCE", "MARK-MEMBERS-CLAIM", "MARK-MEMBERS-EVENT", "MARK-MEMBERS-WATCH",
                  "MARK-MEMBERS-FAQ", "MARK-MEMBERS-REL", "MARK-BRIEFING-TITLE", "MARK-BRIEFING-BODY",
                  "MARK-SOURCE-NOTES"]  # fmt: skip
NEVER_PUBLIC_MARKERS = ["MARK-PENDING-EVIDENCE", "MARK-PENDING-PUBLISHER", "MARK-PENDING-NOTE", "MARK-REJECTED-EVIDENCE",
                        "MARK-INTERNAL-EVIDENCE", "MARK-INTERNAL-EXCERPT", "MARK-UNVERIFIED-CLAIM", "MARK-INTERNAL-CLAIM",
                        "MARK-INTERNAL-EVENT", "MARK-INTERNAL-FAQ", "MARK-INTERNAL-ANSWER", "MARK-UNVERIFIED-REL",
                        "MARK-REL-TO-DRAFT", "MARK-DRAFT-PROFILE", "MARK-REVIEW-PROFILE", "MARK-ARCHIVED-PROFILE",
                        "mark-draft-profile", "mark-review-profile", "mark-archived-profile"]  # fmt: skip


def test_an_anonymous_export_holds_only_public_reviewed_verified_published_content():
    _gated_registry()

    text = export_text(ANONYMOUS)

    assert [marker for marker in MEMBER_MARKERS + NEVER_PUBLIC_MARKERS if marker in text] == []
    assert [marker for marker in PUBLIC_MARKERS if marker not in text] == []
    docs = json.loads(text)
    assert [doc["slug"] for doc in docs] == ["open-profile", "other-published"]
    for doc in docs:
        assert doc["status"] == "published"
        assert doc["briefing"] is None
        assert all(e["review_status"] == "reviewed" and e["visibility"] == "public" for e in doc["evidence"])
        assert all(claim["verified"] and claim["visibility"] == "public" for claim in doc["claims"])
        for part in ("timeline", "watchpoints", "relationships", "faq"):
            assert all(item["visibility"] == "public" for item in doc[part])
    open_doc = docs[0]
    assert [e["key"] for e in open_doc["evidence"]] == ["pub-ok"]
    assert [link["key"] for link in open_doc["claims"][0]["evidence"]] == ["pub-ok"]
    assert open_doc["timeline"][0]["evidence"] == ["pub-ok"]
    assert open_doc["watchpoints"][0]["triggered_by"] == []
    assert [(r["target"], r["kind"]) for r in open_doc["relationships"]] == [("other-published", "see_also")]


def test_a_member_export_adds_members_content_and_the_briefing_but_nothing_internal():
    _gated_registry()

    text = export_text(MEMBER)

    assert [marker for marker in NEVER_PUBLIC_MARKERS if marker in text] == []
    assert [marker for marker in PUBLIC_MARKERS + MEMBER_MARKERS if marker not in text] == []
    open_doc = json.loads(text)[0]
    assert open_doc["briefing"]["visibility"] == "members"


def test_a_staff_export_holds_everything():
    _gated_registry()

    text = export_text(STAFF)

    assert [marker for marker in PUBLIC_MARKERS + MEMBER_MARKERS + NEVER_PUBLIC_MARKERS if marker not in text] == []
    assert len(json.loads(text)) == 5


def test_export_and_import_into_an_empty_registry_keep_a_retracted_claim_out_of_public_view(seed_document):
    import_json(seed_document)
    Claim.objects.filter(section="public_role").update(retracted_at=timezone.now(), retraction_reason="wrong")
    scoring.recompute_scores()  # as the editing UI does after a retraction
    retracted_text = "Tracked as a topic of the internet infrastructure ecosystem"
    assert retracted_text not in export_text(ANONYMOUS)
    exported = export_text(STAFF)
    assert retracted_text in exported
    empty_the_registry()

    import_text(exported)

    claim = Claim.objects.get(section="public_role")
    assert claim.retracted_at is not None and claim.retraction_reason == "wrong"
    assert retracted_text not in export_text(ANONYMOUS)
    assert export_text(STAFF) == exported


def test_a_retracted_claim_in_a_document_is_stored_retracted_and_kept_from_public_view(seed_document):
    doc = copy.deepcopy(seed_document)
    doc["claims"][0]["retraction"] = {"reason": "the paper was misread"}

    import_json(doc)

    claim = Claim.objects.get(section="public_role")
    assert claim.retracted_at is not None and claim.retraction_reason == "the paper was misread"
    assert claim.text_en not in export_text(ANONYMOUS)
    # A retracted claim no longer counts towards the profile's score.
    assert Profile.objects.get(slug=SEED_SLUG).score == claim_scores(SEED_SLUG)["operating_surface"]


def test_a_retraction_without_a_reason_is_refused(registry, seed_document):
    doc = changed_seed(seed_document)
    doc["claims"][1]["retraction"] = {"reason": ""}
    errors = refused(doc)
    assert_single_error(errors, "profiles[0].claims[1].retraction.reason")


# --- Scores --------------------------------------------------------------------------------


def test_importing_the_seed_computes_claim_and_profile_scores(seed_document):
    import_json(seed_document)

    scores = claim_scores(SEED_SLUG)
    # Every seed claim cites at least one reviewed source.
    assert all(score > Decimal("0.00") for score in scores.values()), scores
    profile = Profile.objects.get(slug=SEED_SLUG)
    assert profile.score > Decimal("0.00")
    # The profile's score is the mean of its verified claims (public_role, operating_surface).
    mean = (scores["public_role"] + scores["operating_surface"]) / 2
    assert abs(profile.score - mean) <= Decimal("0.005")


def test_a_claim_whose_only_evidence_is_pending_scores_zero(seed_document):
    doc = copy.deepcopy(seed_document)
    doc["evidence"][3]["review_status"] = "pending"  # analyst-note, the outlook claim's only source

    import_json(doc)

    scores = claim_scores(SEED_SLUG)
    assert scores["outlook"] == Decimal("0.00")
    assert scores["public_role"] > Decimal("0.00")


def test_a_claim_with_one_direct_a_source_published_today_scores_0_80():
    # direct 0.80 x reliability A 1.00, no decay on the day of publication.
    today = date.today().isoformat()
    import_json(minimal("scored", evidence=[source("s", "https://example.org/s", reliability="A", publisher="P",
                                                   published_on=today, review_status="reviewed")],
                        claims=[{"section": "function", "text": "c", "evidence": [{"key": "s"}], "verified": True}]))  # fmt: skip
    assert claim_scores("scored") == {"function": Decimal("0.80")}
    assert Profile.objects.get(slug="scored").score == Decimal("0.80")


def test_a_claim_with_two_direct_a_sources_from_two_publishers_scores_0_96():
    # 1 - (1 - 0.80) * (1 - 0.80) = 0.96: a direct source and two publishers, so no cap.
    today = date.today().isoformat()
    evidence = [source(key, f"https://example.org/{key}", reliability="A", publisher=key.upper(), published_on=today,
                       review_status="reviewed") for key in ("p", "q")]  # fmt: skip
    import_json(minimal("scored", evidence=evidence,
                        claims=[{"section": "function", "text": "c", "verified": True,
                                 "evidence": [{"key": "p"}, {"key": "q"}]}]))  # fmt: skip
    assert claim_scores("scored") == {"function": Decimal("0.96")}


def test_an_import_that_rejects_a_source_lowers_the_claims_that_cite_it(seed_document):
    import_json(seed_document)
    before = claim_scores(SEED_SLUG)
    doc = copy.deepcopy(seed_document)
    doc["evidence"][1]["review_status"] = "rejected"  # curse-of-recursion, cited by public_role only

    import_json(doc)

    after = claim_scores(SEED_SLUG)
    assert after["public_role"] < before["public_role"]
    assert after["operating_surface"] == before["operating_surface"]


def test_an_import_that_rejects_a_shared_source_rescores_other_profiles_citing_it(seed_document):
    import_json(seed_document)
    paper = copy.deepcopy(seed_document["evidence"][1])  # curse-of-recursion, reviewed
    import_json(minimal("other", evidence=[paper],
                        claims=[{"section": "function", "text": "c", "verified": True,
                                 "evidence": [{"key": "curse-of-recursion"}]}]))  # fmt: skip
    assert claim_scores("other")["function"] > Decimal("0.00")
    doc = copy.deepcopy(seed_document)
    doc["evidence"][1]["review_status"] = "rejected"

    import_json(doc)

    assert EvidenceRecord.objects.get(url="https://arxiv.org/abs/2305.17493").review_status == "rejected"
    assert claim_scores("other")["function"] == Decimal("0.00")
    assert Profile.objects.get(slug="other").score == Decimal("0.00")


def test_a_score_override_from_the_document_is_the_claims_score(seed_document):
    doc = copy.deepcopy(seed_document)
    doc["claims"][0]["score_override"] = {"score": 0.333, "reason": "analyst judgement"}

    import_json(doc)

    claim = Claim.objects.get(section="public_role")
    assert claim.score_override == Decimal("0.33") and claim.score == Decimal("0.33")
    assert claim.override_reason == "analyst judgement"



def test_timeline_evidence_follows_the_source_list_order_whatever_the_ids(seed_document):
    """Two undated sources on one event: export must not order them by database id."""
    seed_document["evidence"] += [
        {"key": "later-b", "title": "B", "kind": "secondary", "review_status": "reviewed"},
        {"key": "later-a", "title": "A", "kind": "secondary", "review_status": "reviewed"},
    ]
    seed_document["timeline"][0]["evidence"] = ["later-a", "later-b", "epoch-run-out"]
    import_text(json.dumps(seed_document))
    first = export_text()
    event = json.loads(first)[0]["timeline"][0]
    assert event["evidence"] == ["epoch-run-out", "later-b", "later-a"]  # the source list's order
    assert import_text(first).unchanged == [seed_document["slug"]]
    empty_the_registry()
    import_text(first)
    assert export_text() == first
