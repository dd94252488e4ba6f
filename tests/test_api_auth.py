"""Tokens (hashed, shown once, revocable), token and session audiences, and rate limits."""

import hashlib
import io
import re

import pytest
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from profiles.accounts.tokens import create_token, revoke_token
from profiles.admin.tokens import ApiTokenAdmin
from profiles.models import ApiToken, ProfileStatus
from tests.api_support import API, client_with_token, error_of
from tests.factories import ProfileFactory, StaffFactory, UserFactory, user_with_role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]


# --- Tokens ---------------------------------------------------------------------------------


def test_only_the_sha256_of_a_key_is_stored():
    token, key = create_token(user=UserFactory(), name="dashboard")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {stored.key_hash, stored.prefix, stored.name}
    assert key.startswith(stored.prefix) and len(key) > 40


def test_a_staff_token_reads_drafts_and_a_revoked_one_is_401():
    draft = ProfileFactory(status=ProfileStatus.DRAFT)
    token, key = create_token(user=user_with_role("analyst"))
    client = client_with_token(key)
    assert client.get(f"{API}/profiles/{draft.slug}/").status_code == 200
    revoke_token(token=token)
    response = client.get(f"{API}/profiles/{draft.slug}/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("header", ["Token rk_wrong", "Token", "Token a b", "Token rk_\u00e9"])
def test_a_wrong_or_malformed_token_is_401_even_for_public_reads(header):
    ProfileFactory(slug="public")
    client = client_with_token()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(f"{API}/profiles/public/").status_code == 401


def test_a_token_of_an_inactive_user_is_401():
    _token, key = create_token(user=UserFactory(is_active=False))
    assert client_with_token(key).get(f"{API}/profiles/").status_code == 401


def test_using_a_token_records_when():
    token, key = create_token(user=UserFactory())
    assert token.last_used_at is None
    client_with_token(key).get(f"{API}/profiles/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_member_token_is_a_member_audience_and_a_plain_user_token_anonymous():
    from profiles.models import Visibility
    from tests.factories import FaqEntryFactory

    profile = ProfileFactory()
    FaqEntryFactory(profile=profile, visibility=Visibility.MEMBERS, question_en="Members question?")
    _t, member_key = create_token(user=user_with_role("member"))
    _t, plain_key = create_token(user=UserFactory())
    assert len(client_with_token(member_key).get(f"{API}/profiles/{profile.slug}/faq/").json()["results"]) == 1
    assert client_with_token(plain_key).get(f"{API}/profiles/{profile.slug}/faq/").json()["results"] == []


def test_create_token_command_prints_the_key_once():
    user = UserFactory(username="dashboard-bot")
    out, err = io.StringIO(), io.StringIO()
    call_command("create_token", "dashboard-bot", "--name", "Dashboard", stdout=out, stderr=err)
    key = out.getvalue().strip()
    token = ApiToken.objects.get(user=user)
    assert token.name == "Dashboard"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in err.getvalue()
    assert client_with_token(key).get(f"{API}/profiles/").status_code == 200


def test_create_token_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="no user"):
        call_command("create_token", "nobody", stdout=io.StringIO(), stderr=io.StringIO())


# --- The admin ------------------------------------------------------------------------------


def admin_request(user, method="post"):
    request = getattr(RequestFactory(), method)("/admin/profiles/apitoken/add/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_admin_creates_a_token_with_its_hash_only_and_puts_no_key_in_a_message():
    superuser = StaffFactory(is_superuser=True)
    owner = UserFactory()
    model_admin = ApiTokenAdmin(ApiToken, admin.site)
    request = admin_request(superuser)
    token = ApiToken(user=owner, name="Partner site")
    model_admin.save_model(request, token, form=None, change=False)
    assert list(request._messages) == []  # messages travel in a cookie or the session
    stored = ApiToken.objects.get(user=owner)
    assert stored.pk == token.pk and len(stored.key_hash) == 64 and stored.prefix.startswith("rk_")


def test_admin_revoke_action_revokes_tokens():
    superuser = StaffFactory(is_superuser=True)
    token, key = create_token(user=UserFactory())
    model_admin = ApiTokenAdmin(ApiToken, admin.site)
    model_admin.revoke(admin_request(superuser), ApiToken.objects.filter(pk=token.pk))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client_with_token(key).get(f"{API}/profiles/").status_code == 401


@pytest.mark.skipif(not admin.site.is_registered(ApiToken), reason="profiles/admin.py does not import profiles.admin.tokens yet")
def test_admin_pages_create_list_and_revoke_tokens(client):
    superuser = StaffFactory(is_superuser=True)
    owner = UserFactory()
    client.force_login(superuser)
    response = client.post("/admin/profiles/apitoken/add/", {"user": owner.pk, "name": "Sync"}, follow=True)
    assert response.status_code == 200
    key = re.search(r"<code>(rk_[^<]+)</code>", response.content.decode()).group(1)
    assert client.get("/admin/profiles/apitoken/").content.decode().count(key) == 0
    token = ApiToken.objects.get(user=owner)
    client.post("/admin/profiles/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None


def create_in_admin(client, owner, **headers):
    client.force_login(StaffFactory(is_superuser=True))
    return client.post("/admin/profiles/apitoken/add/", {"user": owner.pk, "name": "Sync"}, **headers)


def test_a_key_created_in_the_admin_is_shown_on_the_answer_itself_never_in_a_cookie_or_the_session(client):
    owner = UserFactory()
    response = create_in_admin(client, owner)
    assert response.status_code == 200
    key = re.search(r"<code>(rk_[^<]+)</code>", response.content.decode()).group(1)
    token = ApiToken.objects.get(user=owner)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and key.startswith(token.prefix)
    assert "messages" not in response.cookies
    assert all(key not in morsel.OutputString() for morsel in response.cookies.values())
    assert key not in repr(dict(client.session.items()))
    assert all(key not in repr(session.get_decoded()) for session in Session.objects.all())
    assert "no-store" in response["Cache-Control"]
    assert client_with_token(key).get(f"{API}/profiles/").status_code == 200
    # Shown once: no later page has it.
    for page in ("/admin/profiles/apitoken/", f"/admin/profiles/apitoken/{token.pk}/change/", "/admin/"):
        assert key not in client.get(page).content.decode(), page


def test_the_page_showing_a_new_key_speaks_chinese_to_a_chinese_reader(client):
    response = create_in_admin(client, UserFactory(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    body = response.content.decode()
    assert "请立即复制密钥" in body and "返回 API 令牌列表" in body


# --- Rate limits ----------------------------------------------------------------------------


def limit(settings, anon=None, user=None):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user}}
    cache.clear()


def test_anonymous_callers_are_limited_with_429_and_retry_after(settings):
    limit(settings, anon="3/min")
    client = client_with_token()
    assert [client.get(f"{API}/confidence-bands/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(f"{API}/confidence-bands/")
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_token_callers_have_their_own_limit(settings):
    limit(settings, anon="1/min", user="3/min")
    _token, key = create_token(user=UserFactory())
    client = client_with_token(key)
    assert [client.get(f"{API}/profiles/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client_with_token().get(f"{API}/profiles/").status_code == 200  # anonymous still has its one


def test_a_new_x_forwarded_for_on_each_request_does_not_escape_the_anonymous_limit(settings):
    """Without a trusted proxy (NUM_PROXIES=0, the default) the caller's own address counts, not a header it sends."""
    limit(settings, anon="3/min")
    client = client_with_token()
    statuses = [
        client.get(f"{API}/confidence-bands/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_behind_one_trusted_proxy_each_forwarded_client_has_its_own_limit(settings):
    limit(settings, anon="1/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = client_with_token()

    def through_proxy(forwarded_for):
        return client.get(f"{API}/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    assert through_proxy("198.51.100.1") == 200
    assert through_proxy("198.51.100.1") == 429
    # The proxy appends the address it saw; what the client wrote before it is not trusted.
    assert through_proxy("192.0.2.77, 198.51.100.1") == 429
    assert through_proxy("198.51.100.2") == 200


def test_no_rate_set_means_no_limit(settings):
    limit(settings)
    client = client_with_token()
    assert {client.get(f"{API}/").status_code for _ in range(30)} == {200}
