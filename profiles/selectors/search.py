"""Search: which visible profiles match a query, how they rank, and what they show.

What is searched: a profile's names (both languages), its aliases, its summaries
(both languages) and the text (both languages) of the claims the audience may see,
as `visibility.visible_claims(audience)` decides. Nothing else: an anonymous
search can never match members-only, internal, unverified or retracted claim
text, and the caller's queryset (from `visible_profiles`) keeps drafts out.

A query is cut into terms (runs of letters and digits, at most ``MAX_TERMS``);
every term must match somewhere in that text (AND across terms, OR across fields).

Two engines answer it, chosen by the database:

* **Full text** (PostgreSQL): the database keeps tsvector columns itself, indexed
  with GIN (migration 0007): a profile's names and aliases, its summaries, and each
  claim's texts. Words are indexed in the "simple" configuration (the texts are
  bilingual, so no one language's stemming applies); Chinese, Japanese and Korean
  text, which has no spaces between words, as overlapping character bigrams. A term
  is cut into its CJK and other pieces, all of which must be found in the same
  field: an other piece as a word prefix (``piece:*``); a CJK piece of two or more
  characters as its bigrams in a row (``路由 <-> 由器``), i.e. those characters
  together; a single CJK character as the start of a bigram (or a run's end).
* **Substring** (SQLite): ``icontains`` over the same fields.

Both rank alike, by a score summed over the terms: a term found in a name scores 4,
in an alias 3 (full text indexes aliases with the names: 4), in a summary 2, only in
a claim 1; ties go to the most recently updated profile. The full-text engine
answers "where was it found" from its GIN indexes alone, without reading any
profile's text or vectors, so ranking thousands of matches stays cheap.

Highlighting is the same for both engines: ``highlight`` escapes the text and
puts ``<mark>`` around matches, in Python, and is only ever given text the
audience may see.
"""

import json
import re
from dataclasses import dataclass
from functools import reduce
from operator import add, and_, or_

from django.contrib.postgres.search import SearchQuery, SearchVectorExact, SearchVectorField
from django.db import connection
from django.db.models import Case, Expression, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Cast
from django.db.models.lookups import IContains
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from profiles.models import Profile
from profiles.rules.visibility import visible_claims

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
SEARCH_CONFIG = "simple"

TERM_RE = re.compile(r"[^\W_]+")
# Han ideographs (with extensions and compatibility forms), kana, Hangul, bopomofo.
# Migration 0007 tokenises the same characters as bigrams.
CJK_CHARACTERS = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
CJK_RE = re.compile(f"[{CJK_CHARACTERS}]")
PIECE_RE = re.compile(f"[{CJK_CHARACTERS}]+|[^{CJK_CHARACTERS}]+")

# The stored tsvector columns (PostgreSQL only; migration 0007 defines them and their
# GIN indexes, and tests/test_search.py checks the plans use them).
PROFILE_NAMES = "search_names"  # names in both languages and aliases
PROFILE_SUMMARIES = "search_summaries"
CLAIM_TEXTS = "search_document"

# Ranking: the best place a term was found.
NAME_SCORE, ALIAS_SCORE, SUMMARY_SCORE, CLAIM_SCORE = 4, 3, 2, 1

MARK_OPEN = mark_safe("<mark>")
MARK_CLOSE = mark_safe("</mark>")
ELLIPSIS = SafeString("…")  # a literal without markup


class StoredVector(Expression):
    """A tsvector column of the queryset's own table, which the models do not declare."""

    output_field = SearchVectorField()

    def __init__(self, column, alias=None):
        super().__init__()
        self.column, self.alias = column, alias

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        resolved.alias = query.get_initial_alias()
        return resolved

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def get_group_by_cols(self):
        return [self]

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name(self.alias)}.{connection.ops.quote_name(self.column)}", []


@dataclass(frozen=True)
class ParsedQuery:
    """A reader's query: the text as typed (trimmed), its terms, and the engine to use."""

    text: str
    terms: tuple
    full_text: bool

    def __bool__(self):
        return bool(self.terms)


def parse_query(text, *, vendor=None):
    """Cut a query into terms and pick the engine (full text on PostgreSQL, substrings elsewhere)."""
    text = " ".join((text or "").split())[:MAX_QUERY_LENGTH]
    terms = []
    for term in TERM_RE.findall(text):
        if term.casefold() not in (t.casefold() for t in terms):
            terms.append(term)
    vendor = vendor or connection.vendor
    return ParsedQuery(text=text, terms=tuple(terms[:MAX_TERMS]), full_text=vendor == "postgresql")


# Matching ----------------------------------------------------------------------


def term_tsquery(term):
    """The raw tsquery for one term: its CJK pieces as bigrams in a row, other pieces as prefixes.

    Terms are letters and digits only, so they cannot break the raw tsquery syntax.
    """
    parts = []
    for piece in PIECE_RE.findall(term.lower()):
        if len(piece) == 1 or not CJK_RE.match(piece):
            parts.append(f"{piece}:*")  # one CJK character: a bigram it starts, or a run's last character
        else:
            parts.append("(" + " <-> ".join(piece[i : i + 2] for i in range(len(piece) - 1)) + ")")
    return " & ".join(parts)


def _tsquery(term):
    return SearchQuery(term_tsquery(term), search_type="raw", config=SEARCH_CONFIG)


def _matches(column, term):
    return Q(SearchVectorExact(StoredVector(column), _tsquery(term)))


def _profiles_matching(column, term):
    """Q: the profile's `column` matches the term, answered by that column's GIN index."""
    return Q(pk__in=Profile.objects.filter(_matches(column, term)).values("pk"))


def _alias_q(term):
    # Aliases are a JSON list searched as its JSON text. SQLite stores that text with
    # non-ASCII characters as \uXXXX escapes, so look for the escaped spelling too.
    aliases = Cast("aliases", TextField())
    spellings = {term, json.dumps(term)[1:-1]}
    return reduce(or_, (Q(IContains(aliases, spelling)) for spelling in spellings))


def _name_q(query, term):
    if query.full_text:
        return _profiles_matching(PROFILE_NAMES, term)  # aliases included
    return Q(name_en__icontains=term) | Q(name_zh_hans__icontains=term)


def _summary_q(query, term):
    if query.full_text:
        return _profiles_matching(PROFILE_SUMMARIES, term)
    return Q(summary_en__icontains=term) | Q(summary_zh_hans__icontains=term)


def _matching_claims(query, audience, term=None):
    """Visible claims matching one term (or any term when `term` is None)."""
    terms = [term] if term else query.terms
    if query.full_text:
        return visible_claims(audience).filter(reduce(or_, (_matches(CLAIM_TEXTS, t) for t in terms)))
    return visible_claims(audience).filter(
        reduce(or_, (Q(text_en__icontains=t) | Q(text_zh_hans__icontains=t) for t in terms))
    )


def _term_matches(query, term, audience):
    claim_profiles = _matching_claims(query, audience, term).values("profile_id")
    if query.full_text:
        # Sets of ids from the GIN indexes, which PostgreSQL hashes once and probes per row:
        # an ordered index scan can stop at the first page, and counts read a narrow index.
        profiles = Profile.objects.filter(_matches(PROFILE_NAMES, term) | _matches(PROFILE_SUMMARIES, term))
        return Q(pk__in=profiles.values("pk")) | Q(pk__in=claim_profiles)
    return _name_q(query, term) | _alias_q(term) | _summary_q(query, term) | Q(pk__in=claim_profiles)


def search_filter(query, audience):
    """A Q keeping profiles where every term matches text the audience may see."""
    return reduce(and_, (_term_matches(query, term, audience) for term in query.terms))


def matching_claims(query, audience):
    """The audience's visible claims that match any term (for snippets), in page order."""
    return _matching_claims(query, audience).order_by("profile_id", "position", "id")


def rank(query):
    """The relevance of a matching profile (higher is better): see the module's docstring."""
    scores = []
    for term in query.terms:
        places = [When(_name_q(query, term), then=Value(NAME_SCORE))]
        if not query.full_text:
            places.append(When(_alias_q(term), then=Value(ALIAS_SCORE)))
        places.append(When(_summary_q(query, term), then=Value(SUMMARY_SCORE)))
        scores.append(Case(*places, default=Value(CLAIM_SCORE), output_field=IntegerField()))
    return reduce(add, scores)


def with_rank(profiles, query, audience=None):
    """The profiles annotated with `search_rank` (higher is better)."""
    return profiles.annotate(search_rank=rank(query))


# Highlighting ------------------------------------------------------------------


# Where a full-text word match may start: not right after a letter or digit, unless a CJK one.
WORD_START = f"(?<![^\\W_{CJK_CHARACTERS}])"


def match_pattern(query):
    """A regex finding what the query matched: anywhere for substrings; for full text, each
    piece of a term, CJK pieces anywhere and other pieces at a word start."""
    if not query:
        return None
    if not query.full_text:
        alternatives = [re.escape(term) for term in sorted(query.terms, key=len, reverse=True)]
    else:
        pieces = {piece for term in query.terms for piece in PIECE_RE.findall(term)}
        alternatives = [
            re.escape(piece) if CJK_RE.match(piece) else WORD_START + re.escape(piece)
            for piece in sorted(pieces, key=len, reverse=True)
        ]
    return re.compile("|".join(alternatives), re.IGNORECASE)


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
