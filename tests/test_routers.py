"""The read-replica router: reads to the replica, writes and read-after-write to the primary."""

import pytest
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from profiles.models import Profile, ProfileStatus
from profiles.services.band_table import ensure_band_table
from registry.infra import middleware, routers
from tests.admin_client import change_form_data, change_url
from tests.factories import ProfileFactory, user_with_role

ROUTER = routers.PrimaryReplicaRouter()
ON_POSTGRESQL = connection.vendor == "postgresql"

if ON_POSTGRESQL:
    # A second connection to the test database stands in for a streaming replica: the alias
    # DATABASE_REPLICA_URL would add, mirrored in tests as registry/settings.py mirrors it.
    connections.settings.setdefault(
        "replica",
        {**connections["default"].settings_dict, "TEST": {**connections["default"].settings_dict["TEST"], "MIRROR": "default"}},
    )


# --- the router's decisions -------------------------------------------------------------------------


def test_reads_go_to_the_replica():
    assert ROUTER.db_for_read(Profile) == "replica"


def test_writes_always_go_to_the_primary():
    assert ROUTER.db_for_write(Profile) == "default"
    with routers.primary_pinned(False):
        assert ROUTER.db_for_write(Profile, instance=Profile()) == "default"


def test_reads_in_a_pinned_block_go_to_the_primary_and_the_pin_ends_with_it():
    with routers.primary_pinned():
        assert ROUTER.db_for_read(Profile) == "default"
        with routers.primary_pinned(False):  # an inner block never unpins
            assert ROUTER.db_for_read(Profile) == "default"
    assert ROUTER.db_for_read(Profile) == "replica"


@pytest.mark.django_db
def test_reads_inside_a_transaction_on_the_primary_stay_on_the_primary():
    assert connection.in_atomic_block  # the test runs in one
    assert ROUTER.db_for_read(Profile) == "default"


def test_only_the_primary_is_migrated_and_objects_of_both_relate():
    assert ROUTER.allow_migrate("default", "profiles") is True
    assert ROUTER.allow_migrate("replica", "profiles") is False
    assert ROUTER.allow_relation(Profile(), Profile()) is True


# --- the pinning middleware ---------------------------------------------------------------------------


def pinned_while_serving(request, settings):
    settings.DATABASE_REPLICA_PIN_SECONDS = 7
    seen = []

    def view(request):
        from django.http import HttpResponse

        seen.append(routers.is_pinned())
        return HttpResponse("ok")

    response = middleware.PrimaryPinMiddleware(view)(request)
    return seen[0], response


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_request_that_writes_reads_from_the_primary_and_pins_the_browser_for_a_while(method, settings):
    pinned, response = pinned_while_serving(getattr(RequestFactory(), method)("/en/"), settings)
    assert pinned is True
    cookie = response.cookies[routers.PIN_COOKIE]
    assert cookie["max-age"] == 7 and cookie["httponly"] is True
    assert routers.is_pinned() is False  # nothing leaks to the next request on this thread


def test_a_read_is_pinned_only_while_the_browser_has_the_cookie(settings):
    pinned, response = pinned_while_serving(RequestFactory().get("/en/"), settings)
    assert pinned is False and routers.PIN_COOKIE not in response.cookies
    request = RequestFactory().get("/en/")
    request.COOKIES[routers.PIN_COOKIE] = "1"
    pinned, response = pinned_while_serving(request, settings)
    assert pinned is True and routers.PIN_COOKIE not in response.cookies  # not extended by reads


# --- end to end: a second connection as the replica -----------------------------------------------------


@pytest.fixture
def replica(settings):
    """The router and the pinning middleware switched on, as DATABASE_REPLICA_URL switches them on."""
    settings.DATABASE_ROUTERS = ["registry.infra.routers.PrimaryReplicaRouter"]
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:settings.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware")],
        "registry.infra.middleware.PrimaryPinMiddleware",
        *settings.MIDDLEWARE[settings.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"):],
    ]  # fmt: skip
    yield connections["replica"]
    connections["replica"].close()


def queries_by_database(client, method, url, **kwargs):
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections["replica"]) as copy:
        response = getattr(client, method)(url, **kwargs)
    return response, len(primary.captured_queries), len(copy.captured_queries)


@pytest.mark.skipif(not ON_POSTGRESQL, reason="two connections to one test database need PostgreSQL")
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_pages_read_from_the_replica_and_a_writer_reads_the_primary_until_the_pin_expires(replica):
    ensure_band_table()
    profile = ProfileFactory(status=ProfileStatus.DRAFT, summary_en="First summary.")
    editor = Client()
    editor_user = user_with_role("editor")
    editor_name = editor_user.get_username()
    editor.force_login(editor_user)

    response, on_primary, on_replica = queries_by_database(Client(), "get", "/en/profiles/")
    assert response.status_code == 200 and on_primary == 0 and on_replica > 0

    response, on_primary, on_replica = queries_by_database(editor, "get", "/en/profiles/")
    assert on_primary == 0 and on_replica > 0  # the session and the user are read there too
    assert editor_name in response.content.decode()

    # The admin's change view runs in a transaction on the primary, its reads included.
    page, on_primary, _on_replica = queries_by_database(editor, "get", change_url(profile))
    assert page.status_code == 200 and on_primary > 0
    data = change_form_data(page, summary_en="Saved through the primary.")
    response, on_primary, on_replica = queries_by_database(editor, "post", change_url(profile), data=data)
    assert response.status_code == 302 and on_primary > 0 and on_replica == 0
    assert routers.PIN_COOKIE in response.cookies

    # Right after the write, the editor's reads go to the primary, where the save certainly is.
    response, on_primary, on_replica = queries_by_database(editor, "get", "/en/profiles/")
    assert response.status_code == 200 and on_primary > 0 and on_replica == 0

    editor.cookies.pop(routers.PIN_COOKIE)  # the pin has expired: back to the replica
    response, on_primary, on_replica = queries_by_database(editor, "get", "/en/profiles/")
    assert response.status_code == 200 and on_primary == 0 and on_replica > 0
    assert editor_name in response.content.decode()
    assert Profile.objects.get(pk=profile.pk).summary_en == "Saved through the primary."
