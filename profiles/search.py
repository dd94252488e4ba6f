"""Search: which visible profiles match a query, how they rank, and what they show.

What is searched: a profile's names (both languages), its aliases, its summaries
(both languages) and the text (both languages) of the claims the audience may see,
as `visibility.visible_claims(audience)` decides. Nothing else: an anonymous
search can never match members-only, internal, unverified or retracted claim
text, and the caller's queryset (from `visible_profiles`) keeps drafts out.

A query is cut into terms (runs of letters and digits, at most ``MAX_TERMS``);
every term must match somewhere in that text (AND across terms, OR across fields).

Two engines answer it, chosen per query by ``parse_query``:

* **Full text** (PostgreSQL, a query without CJK characters): each term is a
  prefix query (``term:*``) in the "simple" configuration (the texts are
  bilingual, so no one language's stemming applies) against two documents backed
  by GIN indexes (migration 0003): the profile document (names, aliases,
  summaries) and the claim document (claim texts). Ranked by ``SearchRank`` over
  a weighted vector (names and aliases A, summaries B) plus the best rank among
  the profile's matching visible claims (unweighted, so D), so a name match
  outranks a claim-only match.
* **Substring** (SQLite; and CJK queries on both databases, since PostgreSQL's
  parser does not split Chinese text into words): ``icontains`` over the same
  fields. Ranked by a simple score summed over the terms: a term found in a name
  scores 4, in an alias 3, in a summary 2, only in a claim 1.

Highlighting is the same for both engines: ``highlight`` escapes the text and
puts ``<mark>`` around matches, in Python, and is only ever given text the
audience may see.
"""

import json
import re
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, FloatField, IntegerField, OuterRef, Q, Subquery, TextField, Value, When
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import IContains
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Profile
from .visibility import visible_claims

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
SEARCH_CONFIG = "simple"

TERM_RE = re.compile(r"[^\W_]+")
# Han ideographs (with extensions and compatibility forms), kana, Hangul, bopomofo.
CJK_RE = re.compile(
    "[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)

# The two indexed documents. Migration 0003 builds its GIN indexes from the same
# expressions: change them together (tests/test_search.py checks the plan uses them).
PROFILE_DOCUMENT_FIELDS = ("name_en", "name_zh_hans", "aliases", "summary_en", "summary_zh_hans")
CLAIM_DOCUMENT_FIELDS = ("text_en", "text_zh_hans")

# Substring ranking: the best place a term was found.
NAME_SCORE, ALIAS_SCORE, SUMMARY_SCORE, CLAIM_SCORE = 4, 3, 2, 1

MARK_OPEN = mark_safe("<mark>")
MARK_CLOSE = mark_safe("</mark>")
ELLIPSIS = SafeString("…")  # a literal without markup


def profile_document():
    return SearchVector(*PROFILE_DOCUMENT_FIELDS, config=SEARCH_CONFIG)


def claim_document():
    return SearchVector(*CLAIM_DOCUMENT_FIELDS, config=SEARCH_CONFIG)


@dataclass(frozen=True)
class ParsedQuery:
    """A reader's query: the text as typed (trimmed), its terms, and the engine to use."""

    text: str
    terms: tuple
    full_text: bool

    def __bool__(self):
        return bool(self.terms)


def parse_query(text, *, vendor=None):
    """Cut a query into terms and pick the engine (full text only on PostgreSQL, never for CJK)."""
    text = " ".join((text or "").split())[:MAX_QUERY_LENGTH]
    terms = []
    for term in TERM_RE.findall(text):
        if term.casefold() not in (t.casefold() for t in terms):
            terms.append(term)
    vendor = vendor or connection.vendor
    return ParsedQuery(
        text=text,
        terms=tuple(terms[:MAX_TERMS]),
        full_text=vendor == "postgresql" and not CJK_RE.search(text),
    )


# Matching ----------------------------------------------------------------------


def _term_query(term):
    # Terms are letters and digits only, so they cannot break the raw tsquery syntax.
    return SearchQuery(f"{term.lower()}:*", search_type="raw", config=SEARCH_CONFIG)


def _any_term_query(query):
    return reduce(or_, (_term_query(term) for term in query.terms))


def _alias_q(term):
    # Aliases are a JSON list searched as its JSON text. SQLite stores that text with
    # non-ASCII characters as \uXXXX escapes, so look for the escaped spelling too.
    aliases = Cast("aliases", TextField())
    spellings = {term, json.dumps(term)[1:-1]}
    return reduce(or_, (Q(IContains(aliases, spelling)) for spelling in spellings))


def _name_q(term):
    return Q(name_en__icontains=term) | Q(name_zh_hans__icontains=term)


def _summary_q(term):
    return Q(summary_en__icontains=term) | Q(summary_zh_hans__icontains=term)


def _claim_text_q(term):
    return Q(text_en__icontains=term) | Q(text_zh_hans__icontains=term)


def _matching_claims(query, audience, term=None):
    """Visible claims matching one term (or any term when `term` is None)."""
    claims = visible_claims(audience)
    if query.full_text:
        tsquery = _term_query(term) if term else _any_term_query(query)
        return claims.alias(search_document=claim_document()).filter(search_document=tsquery)
    terms = [term] if term else query.terms
    return claims.filter(reduce(or_, (_claim_text_q(t) for t in terms)))


def _term_matches(query, term, audience):
    claim_match = Q(pk__in=_matching_claims(query, audience, term).values("profile_id"))
    if query.full_text:
        profile_ids = (
            Profile.objects.alias(search_document=profile_document())
            .filter(search_document=_term_query(term))
            .values("pk")
        )
        return Q(pk__in=profile_ids) | claim_match
    return _name_q(term) | _alias_q(term) | _summary_q(term) | claim_match


def search_filter(query, audience):
    """A Q keeping profiles where every term matches text the audience may see."""
    return reduce(and_, (_term_matches(query, term, audience) for term in query.terms))


def matching_claims(query, audience):
    """The audience's visible claims that match any term (for snippets), in page order."""
    return _matching_claims(query, audience).order_by("profile_id", "position", "id")


def with_rank(profiles, query, audience):
    """The profiles annotated with `search_rank` (higher is better)."""
    if query.full_text:
        any_term = _any_term_query(query)
        weighted = SearchVector("name_en", "name_zh_hans", "aliases", config=SEARCH_CONFIG, weight="A") + SearchVector(
            "summary_en", "summary_zh_hans", config=SEARCH_CONFIG, weight="B"
        )
        best_claim = (
            _matching_claims(query, audience)
            .filter(profile=OuterRef("pk"))
            .annotate(claim_rank=SearchRank(claim_document(), any_term))
            .order_by("-claim_rank")
            .values("claim_rank")[:1]
        )
        rank = SearchRank(weighted, any_term) + Coalesce(
            Subquery(best_claim, output_field=FloatField()), Value(0.0), output_field=FloatField()
        )
        return profiles.annotate(search_rank=rank)
    scores = [
        Case(
            When(_name_q(term), then=Value(NAME_SCORE)),
            When(_alias_q(term), then=Value(ALIAS_SCORE)),
            When(_summary_q(term), then=Value(SUMMARY_SCORE)),
            default=Value(CLAIM_SCORE),
            output_field=IntegerField(),
        )
        for term in query.terms
    ]
    return profiles.annotate(search_rank=reduce(lambda a, b: a + b, scores))


# Highlighting ------------------------------------------------------------------


def match_pattern(query):
    """A regex finding the query's terms: at a word start for full text, anywhere otherwise."""
    if not query:
        return None
    alternatives = "|".join(re.escape(term) for term in sorted(query.terms, key=len, reverse=True))
    prefix = r"(?<![^\W_])" if query.full_text else ""
    return re.compile(f"{prefix}(?:{alternatives})", re.IGNORECASE)


def highlight(text, pattern, *, around=None):
    """`text` escaped, with each match of `pattern` wrapped in <mark>; None without a match.

    With `around` (a number of characters), only a window of about that size
    around the first match is kept, with ellipses where text was cut.
    """
    text = text or ""
    matches = list(pattern.finditer(text)) if pattern else []
    if not matches:
        return None
    start, end = 0, len(text)
    if around and len(text) > around:
        start = max(0, matches[0].start() - around // 3)
        end = min(len(text), start + around)
        start = max(0, min(start, end - around))
        start, end = _snap_to_words(text, start, end)
    html = SafeString(ELLIPSIS if start > 0 else "")
    position = start
    for match in matches:
        if match.start() < position or match.end() > end:
            continue
        # Every piece of stored text goes through escape(); only our own tags are literal.
        html += escape(text[position : match.start()]) + MARK_OPEN + escape(match.group()) + MARK_CLOSE
        position = match.end()
    html += escape(text[position:end])
    if end < len(text):
        html += ELLIPSIS
    return html


def excerpt(text, length):
    """The beginning of `text`, escaped, cut at a word near `length` characters."""
    text = text or ""
    if len(text) <= length:
        return escape(text)
    _, end = _snap_to_words(text, 0, length)
    return escape(text[:end]) + ELLIPSIS


def _snap_to_words(text, start, end):
    # Move the cuts back to whitespace when there is some nearby (CJK text has none).
    if start > 0:
        space = text.find(" ", start, start + 20)
        if space != -1:
            start = space + 1
    if end < len(text):
        space = text.rfind(" ", end - 20, end)
        if space > start:
            end = space
    return start, end
