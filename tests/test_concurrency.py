"""Concurrent writers, PostgreSQL only, real threads with their own database connections.

Each race ends with exactly one winner, a clear refusal for every other writer, and
nothing lost or half-written: parallel imports of the same slugs, parallel API PATCHes
with the same ETag, parallel saves of the admin change form from the same loaded version.
"""

import io
import json
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from profiles.accounts.tokens import create_token
from profiles.models import Claim, Profile, ProfileChange
from tests.admin_client import change_form_data, change_url
from tests.conftest import SEED_FILE, SEED_SLUG
from tests.factories import user_with_role

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="races need PostgreSQL's row locks and real connections"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("band_table"),
]

WRITERS = 6


def race(work, count=WRITERS):
    """Run work(i) in `count` threads released together; [(result, exception)] in order."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(i):
        try:
            barrier.wait(timeout=30)
            outcomes[i] = (work(i), None)
        except BaseException as exc:  # noqa: BLE001 - every outcome is inspected by the test
            outcomes[i] = (None, exc)
        finally:
            connection.close()  # each thread's own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return outcomes


# --- imports touching the same slugs ----------------------------------------------------------------

SLUGS = ("race-a", "race-b", "race-c")


def import_file(tmp_path, writer):
    """A JSON Lines file of three profiles, every text marked with the writer's number.

    Odd writers list the slugs in the opposite order, so writers can also deadlock.
    """
    seed = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    path = tmp_path / f"writer-{writer}.jsonl"
    lines = []
    for slug in SLUGS if isinstance(writer, str) or writer % 2 == 0 else reversed(SLUGS):
        document = {**seed, "slug": slug, "name": {"en": f"{slug} by writer {writer}", "zh-hans": f"{slug} 写者 {writer}"},
                    "summary": {"en": f"Summary by writer {writer}.", "zh-hans": f"写者 {writer} 的摘要。"}}  # fmt: skip
        lines.append(json.dumps(document, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_import(path):
    """The import's summary; a refusal is a CommandError carrying the errors it reported."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_profiles", str(path), stdout=out, stderr=err)
    except CommandError as exc:
        raise CommandError(f"{exc} {err.getvalue().strip()}") from None
    return out.getvalue()


def assert_one_files_state(files_by_writer):
    """Every profile holds the same writer's texts: one whole file won, none was mixed in."""
    profiles = {p.slug: p for p in Profile.objects.filter(slug__in=SLUGS)}
    assert set(profiles) == set(SLUGS)
    writers = {p.name_en.rsplit(" ", 1)[-1] for p in profiles.values()}
    assert len(writers) == 1, {slug: p.name_en for slug, p in profiles.items()}
    writer = int(writers.pop())
    for profile in profiles.values():
        assert profile.summary_en == f"Summary by writer {writer}."
        # the parts were replaced as a whole, never duplicated by two writers
        assert Claim.objects.filter(profile=profile).count() == 3
    return writer


def refusal_or_none(exc):
    """A refused import says so plainly (CommandError, nothing imported); anything else is a failure."""
    if exc is None:
        return None
    assert isinstance(exc, CommandError), repr(exc)
    assert "nothing was imported" in str(exc).lower() or "try again" in str(exc).lower(), str(exc)
    return exc


@pytest.mark.parametrize("existing", [False, True], ids=["creating", "updating"])
def test_parallel_imports_of_the_same_slugs_end_as_one_whole_file(tmp_path, existing):
    files = {writer: import_file(tmp_path, writer) for writer in range(WRITERS)}
    if existing:
        run_import(import_file(tmp_path, "before"))
    outcomes = race(lambda i: run_import(files[i]))
    refusals = [refusal_or_none(exc) for _result, exc in outcomes]
    succeeded = [i for i, (_result, exc) in enumerate(outcomes) if exc is None]
    assert succeeded, [str(exc) for exc in refusals]
    winner = assert_one_files_state(files)
    assert winner in succeeded
    # imports run one at a time, so each reports what it really did: one created the
    # profiles (or, when they existed, none did), the others updated them
    summaries = [result for result, exc in outcomes if exc is None]
    creators = [summary for summary in summaries if f"{len(SLUGS)} were created" in summary]
    assert len(creators) == (0 if existing else 1), summaries
    # the changes feed has one entry per profile per successful write, none from refused ones
    assert ProfileChange.objects.filter(slug__in=SLUGS).count() >= len(SLUGS)


@pytest.fixture
def import_in_progress():
    """Another connection holds the import lock, as a long import would, until the test ends."""
    from profiles.interchange.service import IMPORT_LOCK_KEY

    taken, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
            taken.set()
            release.wait(timeout=60)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(timeout=10)
    yield
    release.set()
    holder.join(timeout=10)


def test_an_import_that_waits_too_long_for_another_is_refused_and_writes_nothing(tmp_path, settings, import_in_progress):
    settings.IMPORT_WAIT_SECONDS = 0.5
    before = Profile.objects.count()
    with pytest.raises(CommandError) as refused:
        run_import(import_file(tmp_path, 0))
    assert "Another import is in progress; nothing was imported. Try again" in str(refused.value)
    assert Profile.objects.count() == before


def test_the_api_answers_409_with_retry_after_while_another_import_runs(tmp_path, settings, import_in_progress):
    settings.IMPORT_WAIT_SECONDS = 0.5
    _token, key = create_token(user=user_with_role("editor"), name="importer")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = import_file(tmp_path, 0).read_text(encoding="utf-8")
    response = client.post("/api/v1/profiles/import", body, content_type="application/x-ndjson", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 409
    assert response["Retry-After"]
    assert response.json()["error"]["code"] == "import_in_progress"
    assert "另一项导入正在进行" in response.json()["error"]["message"]
    assert not Profile.objects.filter(slug__in=SLUGS).exists()


# --- API PATCH with the same ETag ---------------------------------------------------------------------


def test_parallel_patches_with_the_same_etag_have_one_winner_and_412s():
    call_command("import_profiles", str(SEED_FILE), stdout=io.StringIO())
    profile = Profile.objects.get(slug=SEED_SLUG)
    clients = []
    for i in range(WRITERS):
        _token, key = create_token(user=user_with_role("analyst"), name=f"writer {i}")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        clients.append(client)
    url = f"/api/v1/profiles/{SEED_SLUG}/"
    etag = clients[0].get(url)["ETag"]

    def patch(i):
        return clients[i].patch(url, {"name": {"en": f"Renamed by writer {i}"}}, format="json", HTTP_IF_MATCH=etag)

    outcomes = race(patch)
    assert all(exc is None for _response, exc in outcomes), [repr(exc) for _r, exc in outcomes]
    statuses = [response.status_code for response, _exc in outcomes]
    assert sorted(statuses) == [200] + [412] * (WRITERS - 1), statuses
    winner = statuses.index(200)
    for response, _exc in outcomes:
        if response.status_code == 412:
            assert response.json()["error"]["code"] == "precondition_failed"
    fresh = Profile.objects.get(pk=profile.pk)
    assert fresh.name_en == f"Renamed by writer {winner}"
    assert fresh.version == profile.version + 1  # one write, not one per writer


# --- admin saves from the same loaded version -----------------------------------------------------------


def test_parallel_admin_saves_of_the_same_version_have_one_winner_and_stale_refusals():
    call_command("import_profiles", str(SEED_FILE), stdout=io.StringIO())
    profile = Profile.objects.get(slug=SEED_SLUG)
    url = change_url(profile)
    clients, forms = [], []
    for i in range(WRITERS):
        client = Client()
        client.force_login(user_with_role("editor"))
        page = client.get(url)
        assert page.status_code == 200
        forms.append(change_form_data(page, summary_en=f"Summary saved by writer {i}."))
        clients.append(client)

    outcomes = race(lambda i: clients[i].post(url, forms[i]))
    assert all(exc is None for _response, exc in outcomes), [repr(exc) for _r, exc in outcomes]
    statuses = [response.status_code for response, _exc in outcomes]
    assert sorted(statuses) == [200] * (WRITERS - 1) + [302], statuses  # 302: saved, back to the list
    winner = statuses.index(302)
    for response, _exc in outcomes:
        if response.status_code == 200:
            assert "Someone else saved this profile since you opened it" in response.content.decode()
    fresh = Profile.objects.get(pk=profile.pk)
    assert fresh.summary_en == f"Summary saved by writer {winner}."
    assert fresh.version == profile.version + 1
