"""Specification tests for the management commands, run through call_command.

import_profiles / export_profiles speak the interchange format (../shared/spec/
profile-format.md); create_user and load_demo set up accounts with the registry's
roles; recompute_confidence refreshes stored scores. Expected values are written out by
hand, never produced by the code under test.
"""

import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from profiles.interchange.service import import_text
from profiles.models import Claim, ConfidenceBand, EvidenceRecord, Membership, Profile
from profiles.rules.visibility import MEMBER, Audience
from profiles.services.band_table import replace_band_table
from tests.conftest import SEED_FILE, SEED_SLUG
from tests.factories import ClaimEvidenceFactory, ClaimFactory, EvidenceFactory, ProfileFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
DEMO_DIR = Path(__file__).resolve().parent.parent / "profiles" / "demo"
PASSWORD = "correct-horse-battery-staple-42"


def run(*args, **options):
    """Run a command; return (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def fails(*args, **options):
    """Run a command that must fail; return (CommandError message, stderr)."""
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=io.StringIO(), stderr=err, **options)
    return str(caught.value), err.getvalue()


def write(tmp_path, name, payload):
    path = tmp_path / name
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return str(path)


def minimal(slug, **fields):
    return {"format": "registry-profile/1", "slug": slug, "kind": "institution", "name": {"en": slug}, **fields}


def fresh_user(username):
    """The user as stored now (permission caches empty)."""
    return User.objects.get(username=username)


# --- import_profiles -----------------------------------------------------------------------


def test_import_profiles_imports_a_file_and_prints_a_summary(tmp_path):
    path = write(tmp_path, "seed.json", SEED_FILE.read_text(encoding="utf-8"))

    out, _ = run("import_profiles", path)

    assert "1 profiles read" in out and "1 were created" in out
    assert Profile.objects.filter(slug=SEED_SLUG).exists()
    assert Claim.objects.filter(profile__slug=SEED_SLUG).count() == 3


def test_import_profiles_twice_reports_the_profile_unchanged(tmp_path):
    path = write(tmp_path, "seed.json", SEED_FILE.read_text(encoding="utf-8"))
    run("import_profiles", path)

    out, _ = run("import_profiles", path)

    assert "0 were created" in out and "0 were updated" in out and "1 unchanged" in out


def test_import_profiles_with_a_bad_file_prints_every_error_and_imports_nothing(tmp_path):
    bad = minimal(
        "second",
        kind="organisation",
        evidence=[{"key": "s", "title": "Source", "kind": "direct", "url": "javascript:alert(1)"}],
        claims=[{"section": "function", "text": "c", "evidence": [{"key": "e9"}]}],
    )
    path = write(tmp_path, "bad.json", [minimal("first"), bad])

    message, err = fails("import_profiles", path)

    assert "nothing was imported" in message
    assert "3 errors" in message
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 3, lines
    assert 'profiles[1].claims[0].evidence[0]: unknown evidence key "e9"' in lines
    assert sorted(line.split(": ", 1)[0] for line in lines) == [
        "profiles[1].claims[0].evidence[0]",
        "profiles[1].evidence[0].url",
        "profiles[1].kind",
    ]
    assert Profile.objects.count() == 0 and EvidenceRecord.objects.count() == 0


def test_import_profiles_with_one_error_says_one_error(tmp_path):
    path = write(tmp_path, "bad.json", minimal("x", kind="organisation"))
    message, err = fails("import_profiles", path)
    assert "1 error;" in message and "nothing was imported" in message
    assert err.strip().startswith("profiles[0].kind: ")


def test_import_profiles_dry_run_reports_and_writes_nothing(tmp_path):
    path = write(tmp_path, "two.json", [minimal("first"), minimal("second")])

    out, _ = run("import_profiles", path, "--dry-run")

    assert "2 would be created" in out
    assert Profile.objects.count() == 0


def test_import_profiles_dry_run_of_an_update_changes_nothing(tmp_path):
    ProfileFactory(slug="first", name_en="Old name")
    path = write(tmp_path, "one.json", minimal("first", name={"en": "New name"}))

    out, _ = run("import_profiles", path, "--dry-run")

    assert "1 would be updated" in out
    assert Profile.objects.get(slug="first").name_en == "Old name"


def test_import_profiles_of_a_missing_file_is_a_clear_error(tmp_path):
    missing = str(tmp_path / "no-such-file.json")
    message, _ = fails("import_profiles", missing)
    assert missing in message
    assert "No such file" in message


def test_import_profiles_of_a_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps(minimal("x", name={"en": "Café"}), ensure_ascii=False).encode("latin-1"))
    message, _ = fails("import_profiles", str(path))
    assert "UTF-8" in message
    assert Profile.objects.count() == 0


def test_import_profiles_reads_standard_input_for_a_dash(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(minimal("from-stdin"))))
    out, _ = run("import_profiles", "-")
    assert "1 were created" in out
    assert Profile.objects.filter(slug="from-stdin").exists()


# --- export_profiles -----------------------------------------------------------------------


def _import_seed_and_one_more():
    import_text("[" + SEED_FILE.read_text(encoding="utf-8") + "," + json.dumps(minimal("zz-last")) + "]")


def test_export_profiles_of_one_slug_writes_a_single_object_to_a_file(tmp_path):
    _import_seed_and_one_more()
    target = tmp_path / "one.json"

    _, err = run("export_profiles", "--slug", SEED_SLUG, "-o", str(target))

    doc = json.loads(target.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    assert doc["slug"] == SEED_SLUG and doc["format"] == "registry-profile/1"
    assert doc["name"]["zh-hans"] == "数据枯竭引发的AI危机：如何挽救即将到来的模型崩溃"
    assert str(target) in err


def test_export_profiles_of_everything_writes_an_array_in_slug_order():
    _import_seed_and_one_more()

    out, _ = run("export_profiles")

    docs = json.loads(out)
    assert isinstance(docs, list)
    assert [doc["slug"] for doc in docs] == [SEED_SLUG, "zz-last"]


def test_export_profiles_of_an_empty_registry_writes_an_empty_array():
    out, _ = run("export_profiles")
    assert json.loads(out) == []


def test_export_profiles_jsonl_writes_one_object_per_line(tmp_path):
    _import_seed_and_one_more()
    target = tmp_path / "all.jsonl"

    run("export_profiles", "--jsonl", "-o", str(target))

    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["slug"] for line in lines] == [SEED_SLUG, "zz-last"]


def test_export_profiles_of_an_unknown_slug_is_a_clear_error():
    _import_seed_and_one_more()
    message, _ = fails("export_profiles", "--slug", "no-such-profile")
    assert '"no-such-profile"' in message


def test_export_profiles_for_the_anonymous_audience_leaves_out_drafts_and_gated_parts():
    _import_seed_and_one_more()  # zz-last is a draft (the default status)

    out, _ = run("export_profiles", "--audience", "anonymous")

    docs = json.loads(out)
    assert [doc["slug"] for doc in docs] == [SEED_SLUG]
    assert docs[0]["briefing"] is None
    assert [claim["section"] for claim in docs[0]["claims"]] == ["public_role", "operating_surface"]
    assert "analyst-note" not in out


def test_export_profiles_of_a_slug_the_audience_may_not_see_is_an_error(tmp_path):
    ProfileFactory(slug="a-draft", status="draft")
    target = tmp_path / "draft.json"
    message, _ = fails("export_profiles", "--slug", "a-draft", "--audience", "anonymous", "-o", str(target))
    assert "a-draft" in message


def test_export_then_import_with_the_commands_round_trips_byte_for_byte(tmp_path):
    _import_seed_and_one_more()
    first = tmp_path / "first.json"
    second = tmp_path / "second.json"
    run("export_profiles", "-o", str(first))
    Profile.objects.all().delete()
    EvidenceRecord.objects.all().delete()

    out, _ = run("import_profiles", str(first))
    run("export_profiles", "-o", str(second))

    assert "2 were created" in out
    assert second.read_bytes() == first.read_bytes()


# --- create_user ---------------------------------------------------------------------------


def test_create_user_member_gets_an_active_membership_of_the_given_days(monkeypatch):
    monkeypatch.setenv("REGISTRY_PASSWORD", PASSWORD)

    out, _ = run("create_user", "reader", "--role", "member", "--days", "10")

    assert "reader" in out
    user = fresh_user("reader")
    assert user.check_password(PASSWORD)
    assert not user.is_staff and not user.is_superuser
    assert list(user.groups.all()) == []
    expected = timezone.now() + timedelta(days=10)
    valid_until = Membership.objects.get(user=user).valid_until
    assert abs(valid_until - expected) < timedelta(minutes=5)
    assert Audience.for_user(user) == MEMBER
    assert authenticate(username="reader", password=PASSWORD) == user


def test_create_user_analyst_is_staff_in_the_analysts_group_without_publishing(monkeypatch):
    monkeypatch.setenv("REGISTRY_PASSWORD", PASSWORD)

    run("create_user", "ana", "--role", "analyst")

    user = fresh_user("ana")
    assert user.is_staff and not user.is_superuser
    assert [group.name for group in user.groups.all()] == ["Analysts"]
    assert user.has_perm("profiles.change_profile") and user.has_perm("profiles.add_evidencerecord")
    assert not user.has_perm("profiles.publish_profile")
    assert not user.has_perm("profiles.change_confidenceband")


def test_create_user_editor_may_publish_and_edit_the_band_table(monkeypatch):
    monkeypatch.setenv("REGISTRY_PASSWORD", PASSWORD)

    run("create_user", "eddie", "--role", "editor")

    user = fresh_user("eddie")
    assert user.is_staff and not user.is_superuser
    assert [group.name for group in user.groups.all()] == ["Editors"]
    assert user.has_perm("profiles.publish_profile")
    assert user.has_perm("profiles.change_confidenceband")


@pytest.mark.parametrize("weak", ["123", "password", "short1"])
def test_create_user_refuses_a_weak_password_and_creates_nothing(monkeypatch, weak):
    monkeypatch.setenv("REGISTRY_PASSWORD", weak)

    message, _ = fails("create_user", "weakling", "--role", "editor")

    assert "password" in message.lower()
    assert not User.objects.filter(username="weakling").exists()
    assert not Membership.objects.exists()


def test_create_user_refuses_a_weak_password_for_an_existing_user_and_keeps_the_old_one(monkeypatch):
    monkeypatch.setenv("REGISTRY_PASSWORD", PASSWORD)
    run("create_user", "reader", "--role", "member")
    monkeypatch.setenv("REGISTRY_PASSWORD", "123")

    fails("create_user", "reader", "--role", "editor")

    user = fresh_user("reader")
    assert user.check_password(PASSWORD) and not user.is_staff


def test_create_user_again_updates_the_role(monkeypatch):
    monkeypatch.setenv("REGISTRY_PASSWORD", PASSWORD)
    run("create_user", "sam", "--role", "member")
    pk = fresh_user("sam").pk

    out, _ = run("create_user", "sam", "--role", "editor")

    assert "Updated" in out
    assert User.objects.filter(username="sam").count() == 1
    user = fresh_user("sam")
    assert user.pk == pk and user.is_staff
    assert [group.name for group in user.groups.all()] == ["Editors"]
    assert user.has_perm("profiles.publish_profile")

    run("create_user", "sam", "--role", "analyst")

    user = fresh_user("sam")
    assert [group.name for group in user.groups.all()] == ["Analysts"]
    assert not user.has_perm("profiles.publish_profile")


def test_create_user_turning_staff_into_a_member_drops_staff_rights(monkeypatch):
    monkeypatch.setenv("REGISTRY_PASSWORD", PASSWORD)
    run("create_user", "sam", "--role", "editor")

    run("create_user", "sam", "--role", "member", "--days", "3")

    user = fresh_user("sam")
    assert not user.is_staff and list(user.groups.all()) == []
    assert not user.has_perm("profiles.change_profile")
    assert Audience.for_user(user) == MEMBER


def test_create_user_again_with_a_new_password_changes_it(monkeypatch):
    monkeypatch.setenv("REGISTRY_PASSWORD", PASSWORD)
    run("create_user", "sam", "--role", "member")
    monkeypatch.setenv("REGISTRY_PASSWORD", "another-long-unusual-passphrase-7")

    run("create_user", "sam", "--role", "member")

    assert authenticate(username="sam", password=PASSWORD) is None
    assert authenticate(username="sam", password="another-long-unusual-passphrase-7") is not None


def test_create_user_refuses_a_membership_of_zero_days(monkeypatch):
    monkeypatch.setenv("REGISTRY_PASSWORD", PASSWORD)
    message, _ = fails("create_user", "sam", "--role", "member", "--days", "0")
    assert "--days" in message
    assert not User.objects.filter(username="sam").exists()


def test_create_user_refuses_an_unknown_role(monkeypatch):
    monkeypatch.setenv("REGISTRY_PASSWORD", PASSWORD)
    with pytest.raises(CommandError):
        call_command("create_user", "sam", "--role", "admin", stdout=io.StringIO(), stderr=io.StringIO())
    assert not User.objects.filter(username="sam").exists()


def test_create_user_without_a_password_and_no_terminal_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("REGISTRY_PASSWORD", raising=False)
    monkeypatch.setattr("os.isatty", lambda fd: False)
    message, _ = fails("create_user", "sam", "--role", "member")
    assert "REGISTRY_PASSWORD" in message
    assert not User.objects.filter(username="sam").exists()


# --- load_demo -----------------------------------------------------------------------------

ACCOUNT_LINE = re.compile(r"^\s*(member|analyst|editor)\s+(\S+)\s+password: (\S+)\s*$")


def _accounts(out):
    return [match.groups() for match in map(ACCOUNT_LINE.match, out.splitlines()) if match]


def test_load_demo_twice_is_idempotent():
    files = len(list(DEMO_DIR.glob("*.json")))

    first, _ = run("load_demo")
    count = Profile.objects.count()
    evidence = EvidenceRecord.objects.count()
    second, _ = run("load_demo")

    assert count == files
    assert f"{files} were created" in first
    assert f"0 were created, 0 were updated, {files} unchanged" in second
    assert Profile.objects.count() == count and EvidenceRecord.objects.count() == evidence
    assert Profile.objects.filter(slug=SEED_SLUG).exists()


def test_load_demo_prints_three_accounts_whose_passwords_work():
    out, _ = run("load_demo")

    accounts = _accounts(out)
    assert sorted(role for role, _, _ in accounts) == ["analyst", "editor", "member"]
    for role, username, password in accounts:
        user = authenticate(username=username, password=password)
        assert user is not None, (role, username)
        assert user.is_staff == (role in ("analyst", "editor"))
    member = fresh_user(dict((role, name) for role, name, _ in accounts)["member"])
    assert Audience.for_user(member) == MEMBER
    editor = fresh_user(dict((role, name) for role, name, _ in accounts)["editor"])
    assert editor.has_perm("profiles.publish_profile")


def test_load_demo_again_gives_fresh_passwords_and_the_old_ones_stop_working():
    old = _accounts(run("load_demo")[0])
    new = _accounts(run("load_demo")[0])

    assert User.objects.filter(username__in=[name for _, name, _ in new]).count() == 3
    for (_, username, old_password), (_, _, new_password) in zip(sorted(old), sorted(new)):
        assert old_password != new_password
        assert authenticate(username=username, password=old_password) is None
        assert authenticate(username=username, password=new_password) is not None


def test_load_demo_without_accounts_creates_no_users():
    out, _ = run("load_demo", "--no-accounts")
    assert User.objects.count() == 0
    assert "password" not in out
    assert Profile.objects.count() == len(list(DEMO_DIR.glob("*.json")))


# --- recompute_confidence ------------------------------------------------------------------


def _claim_with_three_reporting_sources():
    """A verified claim backed by three reviewed A-rated reports from three publishers, dated today.

    Each weighs 0.55 (reporting) x 1.00 (A), undecayed: 1 - 0.45^3 = 0.908875 -> 0.91.
    With no direct source the default table caps it at 0.90 - 0.01 = 0.89.
    """
    profile = ProfileFactory(slug="capped")
    claim = ClaimFactory(profile=profile, verified=True)
    for publisher in ("Alpha News", "Beta Wire", "Gamma Post"):
        record = EvidenceFactory(publisher=publisher, kind="reporting", reliability="A", published_on=date.today())
        ClaimEvidenceFactory(claim=claim, evidence=record)
    return profile, claim


def test_recompute_confidence_stores_scores_and_prints_a_summary():
    profile, claim = _claim_with_three_reporting_sources()
    assert Claim.objects.get(pk=claim.pk).score == Decimal("0.00")  # never computed yet

    out, _ = run("recompute_confidence")

    assert "1 profiles changed" in out
    assert Claim.objects.get(pk=claim.pk).score == Decimal("0.89")
    assert Profile.objects.get(pk=profile.pk).score == Decimal("0.89")


def test_recompute_confidence_when_nothing_changed_reports_zero():
    _claim_with_three_reporting_sources()
    run("recompute_confidence")

    out, _ = run("recompute_confidence")

    assert "0 profiles changed" in out


NEW_TABLE = [
    {"lower": "0.95", "upper": "1.00", "grade": "A", "label_en": "High"},
    {"lower": "0.75", "upper": "0.94", "grade": "A/B", "label_en": "Strong"},
    {"lower": "0.55", "upper": "0.74", "grade": "B/C", "label_en": "Medium"},
    {"lower": "0.35", "upper": "0.54", "grade": "C/D", "label_en": "Weak–medium"},
    {"lower": "0.10", "upper": "0.34", "grade": "D", "label_en": "Weak signal"},
    {"lower": "0.00", "upper": "0.09", "grade": "D", "label_en": "Internal monitoring"},
]


def test_after_a_band_table_change_scores_are_recomputed():
    profile, claim = _claim_with_three_reporting_sources()
    run("recompute_confidence")
    assert Claim.objects.get(pk=claim.pk).score == Decimal("0.89")

    replace_band_table(NEW_TABLE)
    # The cap is now 0.95 - 0.01 = 0.94, so the uncapped 0.91 shows.
    assert Claim.objects.get(pk=claim.pk).score == Decimal("0.91")
    out, _ = run("recompute_confidence")

    assert "0 profiles changed" in out
    assert Profile.objects.get(pk=profile.pk).score == Decimal("0.91")
    exported = json.loads(run("export_profiles", "--slug", "capped")[0])
    assert exported["confidence"]["score"] == "0.91"
    assert exported["confidence"]["grade"] == "A/B" and exported["confidence"]["label"] == "Strong"


def test_recompute_confidence_applies_a_band_table_edited_directly():
    profile, claim = _claim_with_three_reporting_sources()
    run("recompute_confidence")
    # An edit that bypasses replace_band_table (e.g. raw SQL): the stored scores are stale.
    ConfidenceBand.objects.filter(lower=Decimal("0.90")).update(lower=Decimal("0.95"))
    ConfidenceBand.objects.filter(lower=Decimal("0.75")).update(upper=Decimal("0.94"))
    assert Claim.objects.get(pk=claim.pk).score == Decimal("0.89")

    out, _ = run("recompute_confidence")

    assert "1 profiles changed" in out
    assert Claim.objects.get(pk=claim.pk).score == Decimal("0.91")
    assert Profile.objects.get(pk=profile.pk).score == Decimal("0.91")
