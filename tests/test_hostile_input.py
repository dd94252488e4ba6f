"""Hostile input: markup, script URLs and broken Unicode put into every text field through the
importer, the API and the admin render inert on every page, in the feed and in the API;
source URLs are http(s) only; oversized input is refused with a clear error."""

import json
import re
import xml.etree.ElementTree as ET
from html import unescape as html_unescape
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from profiles.accounts.roles import assign_role
from profiles.interchange.errors import InterchangeError
from profiles.interchange.service import import_text
from profiles.models import EvidenceRecord, Profile, ProfileStatus
from tests.admin_client import change_form_data, change_url, form_errors
from tests.api_support import API, error_of, token_client
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits", "band_table")]

# Each payload tries a different way to get a script to run: tags, event attributes,
# javascript:/data: URLs (plain and in Markdown), SVG, breaking out of an attribute or of
# the JSON-LD <script>, and Unicode meant to confuse filters. All are short enough for the
# shortest text fields (100 characters).
PAYLOADS = [
    "<script>alert('xss-1')</script>",
    '<img src=x onerror="alert(2)">',
    '<svg onload="alert(3)"><script>alert(3)</script></svg>',
    "[click me](javascript:alert(4)) <a href='javascript:alert(4)'>x</a>",
    '"><script>alert(5)</script><a href="data:text/html,<script>alert(5)</script>">d</a>',
    "</script><script>alert(6)</script><!--",
    '<iframe src="javascript:alert(7)"></iframe><object data="x.swf"></object>',
    "<a href='jav&#x09;ascript:alert(8)'>tab</a> <div style=\"background:url(javascript:alert(8))\">",
    "\u202e<b onmouseover=alert(9)>gnp.exe\u200b\ufeff</b> ＜script＞alert(9)＜/script＞",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(10)>",
]

SAFE_SCRIPT_TYPES = {"application/ld+json", "application/json"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset"}
NEVER_ELEMENTS = {"iframe", "object", "embed", "base", "math", "frame", "frameset", "applet", "style", "foreignobject"}
BAD_SCHEMES = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)


class ExecutableMarkup(HTMLParser):
    """Collects everything in a page that could run code; `problems` lists it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.script = None  # (type, collected text) inside a <script>

    def handle_starttag(self, tag, attrs):
        attrs = {name.lower(): value or "" for name, value in attrs}
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and BAD_SCHEMES.match(re.sub(r"[\s\x00-\x1f]", "", value)):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" and "javascript:" in value.lower():
                self.problems.append(f"<{tag} style={value!r}>")
        if tag in NEVER_ELEMENTS:
            self.problems.append(f"<{tag}>")
        if tag == "script":
            kind = attrs.get("type", "")
            if kind in SAFE_SCRIPT_TYPES:
                self.script = [kind, ""]
            elif not attrs.get("src", "").startswith("/static/") and not attrs.get("src", "").startswith("/admin/"):
                self.problems.append(f"<script {attrs}>")
            else:
                self.script = ["src", ""]
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")

    def handle_endtag(self, tag):
        if tag == "script" and self.script:
            kind, text = self.script
            if kind in SAFE_SCRIPT_TYPES:
                try:
                    json.loads(text)
                except ValueError:
                    self.problems.append(f"{kind} script that is not JSON: {text[:80]!r}")
            elif text.strip():
                self.problems.append(f"script with a src and a body: {text[:80]!r}")
            self.script = None

    def handle_data(self, data):
        if self.script is not None:
            self.script[1] += data


def assert_inert(html, where):
    parser = ExecutableMarkup()
    parser.feed(html)
    parser.close()
    assert not parser.problems, f"{where}: {parser.problems}"


def visible_text(html):
    parser = HTMLParser(convert_charrefs=True)
    chunks = []
    parser.handle_data = chunks.append
    parser.feed(html)
    return "".join(chunks)


def assert_feed_inert(xml_bytes, where):
    root = ET.fromstring(xml_bytes)  # well-formed: nothing broke out of an element
    for element in root.iter():
        if element.get("type") in ("html", "xhtml") and element.text:
            assert_inert(element.text, f"{where} <{element.tag}>")
        for child in element:
            tag = child.tag.rsplit("}", 1)[-1].lower()
            assert tag in {"title", "link", "id", "updated", "published", "summary", "content", "author", "name",
                           "uri", "email", "entry", "category", "subtitle", "rights", "generator", "icon", "logo",
                           "contributor"}, f"{where}: unexpected element <{tag}>"  # fmt: skip


# --- putting payloads in -------------------------------------------------------------------------


def hostile_document(seed, offset):
    """The seed profile, published and all public, with a payload in every text it has."""
    doc = json.loads(json.dumps(seed))
    counter = iter(range(10_000))

    def payload():
        return PAYLOADS[(next(counter) + offset) % len(PAYLOADS)]

    def text(value):
        return {"en": payload(), "zh-hans": payload()} if value is not None else None

    doc["slug"] = "hostile"
    doc["status"] = "published"
    doc["relationships"] = []
    for key in ("name", "summary", "function", "watch_focus", "public_view", "limitations"):
        doc[key] = text(doc.get(key) or {})
    for key in ("category", "region", "focus"):
        doc[key] = payload()
    doc["aliases"] = [payload(), payload()]
    doc["facets"] = {
        "primary_domain": payload(), "signal_focus": payload(), "content_type": payload(),
        "topics": [payload(), payload()],
    }  # fmt: skip
    doc["importance"]["statement"] = text({})
    for record in doc["evidence"]:
        record.update(title=text({}), excerpt=text({}), publisher=payload(), visibility="public", review_status="reviewed")
    for claim in doc["claims"]:
        claim.update(text=text({}), verified=True, visibility="public")
        for link in claim["evidence"]:
            link["note"] = text({})
    for event in doc["timeline"]:
        event.update(title=text({}), text=text({}), visibility="public")
    for watchpoint in doc["watchpoints"]:
        watchpoint.update(text=text({}), visibility="public")
    for entry in doc["faq"]:
        entry.update(question=text({}), answer=text({}), visibility="public")
    doc["briefing"].update(
        title=text({}), body={"en": "## Body\n\n" + payload() + "\n\n" + payload(), "zh-hans": payload()},
        source_notes=text({}),
    )
    return doc


def clients():
    member = Client()
    member.force_login(MembershipFactory().user)
    editor = Client()
    editor.force_login(assign_role(UserFactory(username="editor-reader"), "editor"))
    return {"anonymous": Client(), "member": member, "staff": editor}


def crawl_site(slug, *, expect_text):
    """Fetch every page that shows the profile, as each audience; assert nothing executable."""
    profile = Profile.objects.get(slug=slug)
    facet_pages = set()
    for audience, client in clients().items():
        pages = []
        for language in ("en", "zh-hans"):
            pages += [
                f"/{language}/profiles/{slug}/",
                f"/{language}/",
                f"/{language}/profiles/",
                f"/{language}/profiles/?q=alert",
                f"/{language}/profiles/?q=script",
                f"/{language}/profiles/?region={profile.region}",
            ]
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, (audience, url, response.status_code)
            html = response.content.decode()
            assert_inert(html, f"{audience} {url}")
        page = client.get(f"/en/profiles/{slug}/").content.decode()
        assert expect_text in visible_text(page), f"{audience}: the payload is not shown as text"
        facet_pages |= set(re.findall(r'href="(/en/facets/[^"]+)"', page))
        for language in ("en", "zh-hans"):
            feed = client.get(f"/{language}/feeds/updates.atom")
            assert feed.status_code == 200
            assert_feed_inert(feed.content, f"{audience} feed {language}")
        sitemap = client.get("/sitemap.xml")
        assert sitemap.status_code == 200
        ET.fromstring(sitemap.content)
        api = client.get(f"{API}/profiles/{slug}/?lang=all")
        assert api.status_code == 200 and api["Content-Type"] == "application/json"
        assert api["X-Content-Type-Options"] == "nosniff"
    for url in sorted(facet_pages):
        response = Client().get(html_unescape(url))
        assert response.status_code == 200, (url, response.status_code)
        assert_inert(response.content.decode(), url)


def crawl_admin(slug):
    profile = Profile.objects.get(slug=slug)
    editor = Client()
    editor.force_login(assign_role(UserFactory(username="editor-admin"), "editor"))
    urls = [
        "/admin/",
        "/admin/profiles/profile/",
        "/admin/profiles/profile/?q=alert",
        change_url(profile),
        f"/admin/profiles/profile/{profile.pk}/history/",
        f"/admin/profiles/profile/{profile.pk}/preview/anonymous/",
        f"/admin/profiles/profile/{profile.pk}/preview/member/",
        "/admin/profiles/evidencerecord/",
        "/admin/profiles/claim/",
        "/admin/profiles/watchpoint/",
    ]
    for url in urls:
        response = editor.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert_inert(response.content.decode(), url)


@pytest.mark.parametrize("offset", range(len(PAYLOADS)))
def test_payloads_imported_into_every_text_field_render_inert_everywhere(seed_document, offset):
    import_text(json.dumps(hostile_document(seed_document, offset)))
    profile = Profile.objects.get(slug="hostile")
    assert profile.status == ProfileStatus.PUBLISHED
    assert profile.name_en == PAYLOADS[offset % len(PAYLOADS)].strip()
    crawl_site("hostile", expect_text=profile.name_en[:15])
    crawl_admin("hostile")


def test_payloads_written_over_the_api_render_inert(settings):
    client, _user = token_client("editor")
    names = {"en": PAYLOADS[0], "zh-hans": PAYLOADS[1]}
    created = client.post(
        f"{API}/profiles/",
        {"slug": "via-api", "kind": "institution", "name": names, "summary": {"en": PAYLOADS[2], "zh-hans": PAYLOADS[3]},
         "function": PAYLOADS[4], "watch_focus": PAYLOADS[5], "public_view": PAYLOADS[6], "limitations": PAYLOADS[7],
         "category": PAYLOADS[8][:100], "region": PAYLOADS[9][:100], "aliases": [PAYLOADS[0], PAYLOADS[3]]},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    base = f"{API}/profiles/via-api"
    evidence = client.post(f"{base}/evidence/", {"title": PAYLOADS[1], "url": "https://example.org/a", "kind": "direct",
                                                "publisher": PAYLOADS[2][:100], "excerpt": PAYLOADS[3],
                                                "review_status": "reviewed", "visibility": "public"}, format="json")  # fmt: skip
    assert evidence.status_code == 201, evidence.content
    record = evidence.json()["id"]
    for part, payload in [
        ("claims", {"section": "function", "text": PAYLOADS[4], "verified": True, "visibility": "public",
                    "evidence": [{"evidence": record, "note": PAYLOADS[5]}]}),
        ("timeline", {"date": "2026-01-02", "title": PAYLOADS[6], "text": PAYLOADS[7], "kind": "publication",
                      "evidence": [record], "visibility": "public"}),
        ("watchpoints", {"text": PAYLOADS[8], "review_by": "2027-01-01", "visibility": "public"}),
        ("faq", {"question": PAYLOADS[9], "answer": PAYLOADS[0], "visibility": "public"}),
    ]:  # fmt: skip
        response = client.post(f"{base}/{part}/", payload, format="json")
        assert response.status_code == 201, (part, response.content)
    etag = client.get(f"{base}/")["ETag"]
    for status in ("in_review", "published"):
        response = client.patch(f"{base}/", {"status": status}, format="json", HTTP_IF_MATCH=etag)
        if response.status_code == 403:  # an editor may not publish their own submission
            other, _ = token_client("editor")
            response = other.patch(f"{base}/", {"status": status}, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 200, response.content
        etag = response["ETag"]
    assert Profile.objects.get(slug="via-api").status == ProfileStatus.PUBLISHED
    crawl_site("via-api", expect_text="alert('xss-1')")
    crawl_admin("via-api")


def test_payloads_saved_through_the_admin_render_inert(seed_document):
    doc = json.loads(json.dumps(seed_document))
    doc.update(slug="via-admin", status="published", relationships=[])
    import_text(json.dumps(doc))
    profile = Profile.objects.get(slug="via-admin")
    editor = Client()
    editor.force_login(assign_role(UserFactory(username="editor-writer"), "editor"))
    page = editor.get(change_url(profile))
    changes, i = {}, 0
    forms = [page.context["adminform"].form] + [
        form for inline in page.context["inline_admin_formsets"] for form in inline.formset.forms
    ]
    for form in forms:
        for bound in form:
            field = bound.field
            name = bound.html_name
            is_text = type(field).__name__ in {"CharField"} and not name.endswith(("slug", "language", "reason"))
            if is_text and bound.value() not in (None, "") and "-__prefix__-" not in name:
                limit = getattr(field, "max_length", None) or 1000
                changes[name] = PAYLOADS[i % len(PAYLOADS)][:limit]
                i += 1
    assert i >= 20, f"only {i} text fields found on the profile page"
    response = editor.post(change_url(profile), change_form_data(page, **changes))
    assert response.status_code == 302, form_errors(response)
    profile.refresh_from_db()
    assert "<script>" in (profile.name_en + profile.summary_en + profile.function_en)
    crawl_site("via-admin", expect_text="alert")
    crawl_admin("via-admin")


# --- source URLs -----------------------------------------------------------------------------------

SCRIPT_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//example.org/no-scheme",
]


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_the_importer_refuses_a_source_url_that_is_not_http(seed_document, url):
    doc = json.loads(json.dumps(seed_document))
    doc["evidence"][0]["url"] = url
    with pytest.raises(InterchangeError) as caught:
        import_text(json.dumps(doc))
    assert any("evidence[0].url" in error for error in caught.value.errors)
    assert not Profile.objects.exists()


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_the_api_refuses_a_source_url_that_is_not_http(url):
    client, _user = token_client("analyst")
    assert client.post(f"{API}/profiles/", {"slug": "p", "kind": "topic", "name": "P"}, format="json").status_code == 201
    response = client.post(f"{API}/profiles/p/evidence/", {"title": "T", "url": url, "kind": "direct"}, format="json")
    assert response.status_code == 400
    assert "url" in error_of(response)["fields"]
    assert not EvidenceRecord.objects.exists()


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_the_admin_refuses_a_source_url_that_is_not_http(url):
    editor = Client()
    editor.force_login(assign_role(UserFactory(username="editor-urls"), "editor"))
    page = editor.get("/admin/profiles/evidencerecord/add/")
    data = change_form_data(page, title_en="T", url=url, kind="direct", reliability="B")
    response = editor.post("/admin/profiles/evidencerecord/add/", data)
    assert response.status_code == 200
    assert "url" in form_errors(response)
    assert not EvidenceRecord.objects.exists()


# --- broken Unicode ----------------------------------------------------------------------------------

BROKEN_TEXT = ["nul \x00 inside", "lone surrogate \ud800 here", "reversed \udfff"]


@pytest.mark.parametrize("text", BROKEN_TEXT)
def test_the_importer_refuses_text_it_cannot_store_with_a_clear_error(seed_document, text):
    doc = json.loads(json.dumps(seed_document))
    doc["summary"] = {"en": text}
    with pytest.raises(InterchangeError) as caught:
        import_text(json.dumps(doc))
    assert any(error.startswith("profiles[0].summary.en: ") for error in caught.value.errors), caught.value.errors
    assert not Profile.objects.exists()


@pytest.mark.parametrize("text", BROKEN_TEXT)
def test_the_api_refuses_text_it_cannot_store_with_a_clear_error(text):
    client, _user = token_client("analyst")
    body = json.dumps({"slug": "p", "kind": "topic", "name": "P", "summary": {"en": text}})
    response = client.post(f"{API}/profiles/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert not Profile.objects.exists()
    response = client.post(f"{API}/profiles/import", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert not Profile.objects.exists()


def test_the_admin_stores_undecodable_bytes_as_replacement_characters_not_an_error(seed_document):
    doc = json.loads(json.dumps(seed_document))
    doc.update(slug="bytes", relationships=[])
    import_text(json.dumps(doc))
    profile = Profile.objects.get(slug="bytes")
    editor = Client()
    editor.force_login(assign_role(UserFactory(username="editor-bytes"), "editor"))
    data = change_form_data(editor.get(change_url(profile)))
    from urllib.parse import urlencode

    body = urlencode(data, doseq=True).replace("summary_en=", "summary_en=%ED%A0%80%FF%00", 1)
    response = editor.post(change_url(profile), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302)
    if response.status_code == 200:  # refused with a form error (NUL)
        assert "summary_en" in form_errors(response)
    profile.refresh_from_db()
    assert "\x00" not in profile.summary_en


# --- oversized input ---------------------------------------------------------------------------------


def test_an_api_request_larger_than_the_limit_is_a_413_and_writes_nothing(settings):
    settings.API_MAX_REQUEST_BYTES = 2000
    client, _user = token_client("editor")
    body = json.dumps({"slug": "big", "kind": "topic", "name": "Big", "summary": "x" * 5000})
    for url in (f"{API}/profiles/", f"{API}/profiles/import"):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 413
        assert error_of(response)["code"] == "request_too_large"
    assert not Profile.objects.exists()


def test_the_import_command_refuses_a_file_larger_than_the_limit(tmp_path, settings, seed_document):
    settings.IMPORT_MAX_BYTES = 1000
    path = tmp_path / "big.json"
    path.write_text(json.dumps(seed_document), encoding="utf-8")
    with pytest.raises(CommandError, match=r"larger than the import limit of 1000 bytes \(IMPORT_MAX_BYTES\)"):
        call_command("import_profiles", str(path))
    assert not Profile.objects.exists()
    settings.IMPORT_MAX_BYTES = 10_000_000
    call_command("import_profiles", str(path), stdout=open(tmp_path / "out.txt", "w"))
    assert Profile.objects.count() == 1
