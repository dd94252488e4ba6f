"""Migrations apply cleanly on an existing database: one made by the last release, with data in it.

The rest of the suite runs on a database migrated from empty, which proves nothing about
the databases already in service. Here the test database is moved back to the newest
migration of the last release, given a profile with a claim, a source and a band table
through the models of that time (the migration state's, not today's classes), and moved
forward to the newest migration: every value must have come through, today's models must
read it, and the pages and the API must serve the profile.

When nothing has been added since the release, the release's own newest migration is the
one under test: the database starts at the migration before it.

Transactional (schema changes cannot be rolled back on every backend) and fast: only the
profiles migrations after the start run, twice. Whatever happens, the database is left
migrated to the newest state, and pytest-django empties it afterwards as for any
transactional test.
"""

from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from profiles.models import Claim, ClaimEvidence, ConfidenceBand, EvidenceRecord, Profile, ProfileEvidence

pytestmark = [pytest.mark.migrations, pytest.mark.django_db(transaction=True)]

# The newest profiles migration at the last release (commit 7e541a0): every database that
# release made or migrated is at it. Move it forward when a release ships.
RELEASED = ("profiles", "0007_search_vectors")

SLUG = "pacific-numbers-registry"
PROFILE = {
    "slug": SLUG,
    "kind": "institution",
    "name": "Pacific Numbers Registry",
    "name_en": "Pacific Numbers Registry",
    "name_zh_hans": "太平洋号码注册机构",
    "aliases": ["PNR", "太平洋注册"],
    "category": "Registry",
    "region": "Oceania",
    "summary": "Allocates address space in the Pacific.",
    "summary_en": "Allocates address space in the Pacific.",
    "summary_zh_hans": "负责太平洋地区的地址分配。",
    "criticality": "high",
    "time_horizon": "next_year",
    "impact": "medium",
    "status": "published",
    "published_at": datetime(2026, 11, 1, 9, 30, tzinfo=dt_timezone.utc),
    "computed_score": Decimal("0.70"),
    "score_override": Decimal("0.80"),
    "override_reason": "Confirmed by the registry's own filing.",
    "score": Decimal("0.80"),
    "policy_version": "2026.1",
    "version": 3,
}
EVIDENCE = {
    "title": "Annual allocation report",
    "title_en": "Annual allocation report",
    "title_zh_hans": "年度分配报告",
    "url": "https://example.org/annual-report",
    "normalized_url": "example.org/annual-report",
    "publisher": "Pacific Numbers Registry",
    "published_on": date(2026, 6, 30),
    "kind": "direct",
    "reliability": "A",
    "review_status": "reviewed",
    "visibility": "public",
}
CLAIM = {
    "section": "function",
    "text": "Operates an anycast cluster in Fiji.",
    "text_en": "Operates an anycast cluster in Fiji.",
    "text_zh_hans": "在斐济运营任播集群。",
    "verified": True,
    "visibility": "public",
    "computed_score": Decimal("0.85"),
    "score": Decimal("0.85"),
}
LINK = {"note": "Section 2.", "note_en": "Section 2.", "note_zh_hans": "第二节。", "stance": "supports"}
# Not the default table (0002 installs that one), so the grades shown can only come from these rows.
BANDS = [
    {"lower": Decimal("0.50"), "upper": Decimal("1.00"), "grade": "X", "label": "Upper half",
     "label_en": "Upper half", "label_zh_hans": "上半", "description_en": "From the migration test."},
    {"lower": Decimal("0.00"), "upper": Decimal("0.49"), "grade": "Y", "label": "Lower half",
     "label_en": "Lower half", "label_zh_hans": "下半", "description_en": ""},
]  # fmt: skip


def migrate(targets):
    """Migrate the test database to `targets` and return the loader of the state it is in.

    A new executor each time: one reads which migrations are applied when it is made.
    """
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader


def start_of(loader):
    """The migration a database of the last release is at, or the one before it if nothing is newer."""
    assert RELEASED in loader.graph.nodes, f"{RELEASED} is no longer in the migration graph"
    [leaf] = [node for node in loader.graph.leaf_nodes() if node[0] == "profiles"]
    if leaf != RELEASED:
        return RELEASED
    [previous] = [node for node in loader.get_migration(*RELEASED).dependencies if node[0] == "profiles"]
    return previous


def write_release_data(apps):
    """The rows an existing database holds, written through the models of the migration state."""
    Profile = apps.get_model("profiles", "Profile")
    EvidenceRecord = apps.get_model("profiles", "EvidenceRecord")
    ProfileEvidence = apps.get_model("profiles", "ProfileEvidence")
    Claim = apps.get_model("profiles", "Claim")
    ClaimEvidence = apps.get_model("profiles", "ClaimEvidence")
    ConfidenceBand = apps.get_model("profiles", "ConfidenceBand")

    ConfidenceBand.objects.all().delete()
    for band in BANDS:
        ConfidenceBand.objects.create(**band)
    profile = Profile.objects.create(**PROFILE)
    record = EvidenceRecord.objects.create(**EVIDENCE)
    ProfileEvidence.objects.create(profile=profile, evidence=record, key="annual-report")
    claim = Claim.objects.create(profile=profile, **CLAIM)
    ClaimEvidence.objects.create(claim=claim, evidence=record, **LINK)
    return {"profile": profile.pk, "evidence": record.pk, "claim": claim.pk}


def row(model, pk, expected):
    return model.objects.filter(pk=pk).values(*expected).get()


def test_a_database_of_the_last_release_migrates_with_its_data(client):
    loader = MigrationExecutor(connection).loader
    start, end = start_of(loader), loader.graph.leaf_nodes()
    try:
        loader = migrate([start])
        assert start in loader.applied_migrations and not set(end) <= set(loader.applied_migrations)
        ids = write_release_data(loader.project_state([start]).apps)
    finally:
        # The step under test, and also what puts the database back for the other tests if
        # writing failed: never leave it behind the models.
        migrate(end)

    # Every value came through, and today's models read it.
    assert row(Profile, ids["profile"], PROFILE) == PROFILE
    assert row(EvidenceRecord, ids["evidence"], EVIDENCE) == EVIDENCE
    assert row(Claim, ids["claim"], CLAIM) == CLAIM
    link = ClaimEvidence.objects.get(claim_id=ids["claim"])
    assert (link.evidence_id, row(ClaimEvidence, link.pk, LINK)) == (ids["evidence"], LINK)
    sources = ProfileEvidence.objects.filter(profile_id=ids["profile"]).values_list("evidence_id", "key")
    assert list(sources) == [(ids["evidence"], "annual-report")]
    assert list(ConfidenceBand.objects.values(*BANDS[0])) == BANDS

    # The smoke checks: the profile's page, its API detail and a search find it as they would before.
    page = client.get(f"/en/profiles/{SLUG}/")
    assert page.status_code == 200
    assert "Operates an anycast cluster in Fiji." in page.content.decode()
    api = client.get(f"/api/v1/profiles/{SLUG}/")
    assert api.status_code == 200, api.content
    body = api.json()
    assert (body["name"], body["confidence"]["grade"], body["confidence"]["label"]) == (
        "Pacific Numbers Registry", "X", "Upper half",
    )  # fmt: skip
    [claim] = body["claims"]
    assert claim["text"] == CLAIM["text_en"]
    assert [(basis["key"], basis["note"]) for basis in claim["evidence"]] == [("annual-report", "Section 2.")]
    # On PostgreSQL the search vectors of rows written before the migration are computed by it.
    for query in ("anycast", "注册"):
        response = client.get("/en/profiles/", {"q": query})
        assert response.status_code == 200
        assert [result.profile.slug for result in response.context["page_obj"]] == [SLUG], query
