"""Output serializers: a profile as the caller's audience may see it.

They read only what `visibility.profile_graph_queryset` prefetched (the `visible_*`
lists), so they cannot show what the audience may not see and run no queries.
Texts are in the language the view chose (`context["lang"]`), falling back to the
other one; with `lang=all` each text is an object `{"en": …, "zh-hans": …}` holding
the languages that have text, as in the interchange format.

Context keys: `lang` ("en", "zh-hans" or "all"), `bands` ({language: bands}, from
`services.current_bands()` in each language), `audience`, `request`.

The serializer classes declare the representation (the OpenAPI schema reads them);
their `to_representation` hands the work to plain functions building dicts, which
resolve the language, bands and URL prefixes once per request (`Reading`) instead of
once per field: a changes page holds tens of thousands of fields.
"""

import re

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from modeltranslation.utils import resolution_order
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from profiles.rules import confidence
from profiles.web import rendering
from profiles.rules.visibility import visible_explanation

LANGUAGES = ("en", "zh-hans")
ALL = "all"

TEXT_SCHEMA = {
    "oneOf": [
        {"type": "string", "description": "the text in the chosen language (or the other one)"},
        {
            "type": "object",
            "description": "with lang=all: the text in each language that has one",
            "properties": {"en": {"type": "string"}, "zh-hans": {"type": "string"}},
            "additionalProperties": False,
        },
    ]
}


def _column(name, language):
    return f"{name}_{language.replace('-', '_')}"


def _text(obj, columns):
    """The first non-empty of these columns, as modeltranslation's fallback reads it."""
    for column in columns:
        if value := getattr(obj, column, None):
            return value
    return ""


def text_value(obj, name, lang, transform=None):
    """A translated field in `lang` (with fallback), or every language's text for lang=all."""
    if lang == ALL:
        return {
            language: transform(value) if transform else value
            for language in LANGUAGES
            if (value := getattr(obj, _column(name, language), "") or "")
        }
    value = _text(obj, [_column(name, language) for language in resolution_order(lang)])
    if transform is None:
        return value
    with translation.override(lang):
        return transform(value)


@extend_schema_field(TEXT_SCHEMA)
class TextField(serializers.Field):
    """A bilingual model field, read in the request's language (see the module docstring)."""

    def __init__(self, name, *, via=None, transform=None, **kwargs):
        self.name_in_model = name
        self.via = via  # read the text from this attribute of the instance (e.g. a link's record)
        self.transform = transform
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj):
        if self.via:
            obj = getattr(obj, self.via)
        return text_value(obj, self.name_in_model, self.context["lang"], self.transform)


@extend_schema_field(TEXT_SCHEMA)
class TextValueField(serializers.JSONField):
    """A text already worked out (a string, or an object for lang=all): for the schema."""


def band_summary(score, context):
    """{grade, label} for a score, from the live band table (label per language for lang=all)."""
    lang = context["lang"]
    bands = context["bands"]
    if lang == ALL:
        by_language = {language: confidence.band_for(score, bands[language]) for language in LANGUAGES}
        band = by_language["en"]
        return band.grade, {language: str(b.label) for language, b in by_language.items() if b.label}
    band = confidence.band_for(score, bands[lang])
    return band.grade, str(band.label)


SCORE_FIELD = {"type": "string", "pattern": r"^[01]\.\d\d$", "example": "0.80"}


class ConfidenceSummarySerializer(serializers.Serializer):
    score = serializers.CharField(help_text='Two places, e.g. "0.80".')
    grade = serializers.CharField()
    label = TextValueField(help_text="The band's label (a text).")
    overridden = serializers.BooleanField(help_text="An analyst set this score (see the explanation).")


class ConfidenceSerializer(ConfidenceSummarySerializer):
    explanation = serializers.DictField(help_text="How the score was reached; records the audience may not see are only counted.")


def confidence_of(obj, context, explanation=None):
    grade, label = band_summary(obj.score, context)
    data = {"score": str(obj.score), "grade": grade, "label": label, "overridden": obj.is_overridden}
    if explanation is not None:
        data["explanation"] = explanation
    return data


def profile_explanation(profile, audience):
    explanation = dict(profile.explanation or {})
    if not audience.is_staff:
        explanation.pop("claims", None)  # would count claims this audience may not see
    return explanation


def api_url(context, name, **kwargs):
    path = reverse(f"api:{name}", kwargs=kwargs)
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


def page_url(profile, context):
    lang = context["lang"]
    with translation.override(settings.LANGUAGE_CODE if lang == ALL else lang):
        path = profile.get_absolute_url()
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


# Reading: a request's language, bands and URLs, resolved once ------------------------

DATETIME = serializers.DateTimeField()
SAFE_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _str(value):
    return None if value is None else str(value)


def _date(value):
    return value.isoformat() if value else None


def _datetime(value):
    return DATETIME.to_representation(value) if value else None


class Reading:
    """How one request reads texts, grades and URLs (kept in the serializer context)."""

    def __init__(self, context):
        self.lang = context["lang"]
        self.bands = context["bands"]
        self.audience = context.get("audience")
        self.request = context.get("request")
        self.context = context
        self._columns = {}
        self._grades = {}
        self._api_url = None
        self._page_url = None

    def text(self, obj, name):
        """As `text_value(obj, name, lang)`, with the column names worked out once."""
        columns = self._columns.get(name)
        if columns is None:
            languages = LANGUAGES if self.lang == ALL else resolution_order(self.lang)
            columns = self._columns[name] = tuple(_column(name, language) for language in languages)
        if self.lang == ALL:
            return {
                language: value
                for language, column in zip(LANGUAGES, columns)
                if (value := getattr(obj, column, "") or "")
            }
        return _text(obj, columns)

    def grade(self, score):
        """(grade, label) as `band_summary`, once per distinct score."""
        found = self._grades.get(score)
        if found is None:
            found = self._grades[score] = band_summary(score, self.context)
        return found

    def profile_api_url(self, slug):
        if not SAFE_SLUG.fullmatch(slug):
            return api_url(self.context, "profile-detail", slug=slug)
        if self._api_url is None:
            self._api_url = api_url(self.context, "profile-detail", slug=slug).rsplit(slug, 1)
        prefix, suffix = self._api_url
        return f"{prefix}{slug}{suffix}"

    def profile_page_url(self, profile):
        slug = profile.slug
        if not SAFE_SLUG.fullmatch(slug):
            return page_url(profile, self.context)
        if self._page_url is None:
            self._page_url = page_url(profile, self.context).rsplit(slug, 1)
        prefix, suffix = self._page_url
        return f"{prefix}{slug}{suffix}"


def reading(context):
    """The context's `Reading`, made on first use."""
    found = context.get("reading")
    if found is None:
        found = context["reading"] = Reading(context)
    return found


# The representations, as plain functions ---------------------------------------------


def confidence_data(obj, r, explanation=None):
    grade, label = r.grade(obj.score)
    data = {
        "score": str(obj.score),
        "grade": grade,
        "label": dict(label) if isinstance(label, dict) else label,
        "overridden": obj.is_overridden,
    }
    if explanation is not None:
        data["explanation"] = explanation
    return data


def evidence_data(link, r):
    record = link.evidence
    return {
        "id": record.id,
        "key": _str(link.key),
        "title": r.text(record, "title"),
        "url": _str(record.url),
        "publisher": _str(record.publisher),
        "published_on": _date(record.published_on),
        "kind": _str(record.kind),
        "reliability": _str(record.reliability),
        "excerpt": r.text(record, "excerpt"),
        "language": _str(record.language),
        "review_status": _str(record.review_status),
        "visibility": _str(record.visibility),
    }


def evidence_basis_data(link, r, keys):
    record = link.evidence
    return {
        "evidence": record.id,
        "key": keys.get(link.evidence_id),
        "title": r.text(record, "title"),
        "publisher": _str(record.publisher),
        "published_on": _date(record.published_on),
        "kind": _str(record.kind),
        "reliability": _str(record.reliability),
        "url": _str(record.url),
        "note": r.text(link, "note"),
        "stance": _str(link.stance),
    }


def claim_data(claim, r, keys):
    links = claim.visible_evidence_links
    explanation = visible_explanation(claim.explanation, [link.evidence_id for link in links]) or {}
    retraction = None
    if claim.is_retracted:
        retraction = {"reason": claim.retraction_reason, "at": DATETIME.to_representation(claim.retracted_at)}
    return {
        "id": claim.id,
        "section": _str(claim.section),
        "text": r.text(claim, "text"),
        "verified": bool(claim.verified),
        "visibility": _str(claim.visibility),
        "retraction": retraction,
        "confidence": confidence_data(claim, r, explanation),
        "evidence": [evidence_basis_data(link, r, keys) for link in links],
    }


def timeline_event_data(event, r):
    return {
        "id": event.id,
        "date": _date(event.date),
        "kind": _str(event.kind),
        "title": r.text(event, "title"),
        "text": r.text(event, "text"),
        "visibility": _str(event.visibility),
        "evidence": [record.pk for record in event.visible_evidence],
    }


def watchpoint_data(watchpoint, r):
    return {
        "id": watchpoint.id,
        "text": r.text(watchpoint, "text"),
        "kind": _str(watchpoint.kind),
        "status": _str(watchpoint.status),
        "review_by": _date(watchpoint.review_by),
        "visibility": _str(watchpoint.visibility),
        "triggered_by": [record.pk for record in watchpoint.visible_triggered_by],
    }


def relationship_data(relationship, r):
    target = relationship.target  # visible to the same audience: see visibility.visible_relationships
    return {
        "id": relationship.id,
        "kind": _str(relationship.kind),
        "target": {
            "slug": target.slug,
            "name": r.text(target, "name"),
            "kind": target.kind,
            "url": r.profile_api_url(target.slug),
        },
        "note": r.text(relationship, "note"),
        "verified": bool(relationship.verified),
        "visibility": _str(relationship.visibility),
        "evidence": [record.pk for record in relationship.visible_evidence],
    }


def faq_entry_data(entry, r):
    return {
        "id": entry.id,
        "question": r.text(entry, "question"),
        "answer": r.text(entry, "answer"),
        "visibility": _str(entry.visibility),
    }


def briefing_data(briefing, r):
    return {
        "title": r.text(briefing, "title"),
        "body": r.text(briefing, "body"),
        "body_html": text_value(briefing, "body", r.lang, rendering.render_markdown),
        "source_notes": r.text(briefing, "source_notes"),
        "visibility": _str(briefing.visibility),
    }


def profile_summary_data(profile, r, confidence=None):
    return {
        "slug": _str(profile.slug),
        "url": r.profile_api_url(profile.slug),
        "html_url": r.profile_page_url(profile),
        "kind": _str(profile.kind),
        "status": _str(profile.status),
        "name": r.text(profile, "name"),
        "category": _str(profile.category),
        "region": _str(profile.region),
        "focus": _str(profile.focus),
        "facets": facets_of(profile),
        "summary": r.text(profile, "summary"),
        "confidence": confidence or confidence_data(profile, r),
        "updated_at": _datetime(profile.updated_at),
        "published_at": _datetime(profile.published_at),
    }


def profile_detail_data(profile, r):
    keys = {link.evidence_id: link.key for link in profile.visible_sources}
    briefing = profile.visible_briefing  # None unless the audience may read it
    data = profile_summary_data(profile, r, confidence_data(profile, r, profile_explanation(profile, r.audience)))
    data.update(
        aliases=[None if alias is None else str(alias) for alias in profile.aliases],
        function=r.text(profile, "function"),
        importance={
            "statement": r.text(profile, "importance_statement"),
            "criticality": profile.criticality or None,
            "time_horizon": profile.time_horizon or None,
            "impact": profile.impact or None,
        },
        watch_focus=r.text(profile, "watch_focus"),
        public_view=r.text(profile, "public_view"),
        limitations=r.text(profile, "limitations"),
        claims=[claim_data(claim, r, keys) for claim in profile.visible_claims],
        evidence=[evidence_data(link, r) for link in profile.visible_sources],
        timeline=[timeline_event_data(event, r) for event in profile.visible_timeline],
        watchpoints=[watchpoint_data(watchpoint, r) for watchpoint in profile.visible_watchpoints],
        relationships=[relationship_data(relationship, r) for relationship in profile.visible_relationships],
        faq=[faq_entry_data(entry, r) for entry in profile.visible_faq],
        briefing=None if briefing is None else briefing_data(briefing, r),
        created_at=_datetime(profile.created_at),
        last_reviewed_at=_datetime(profile.last_reviewed_at),
        version=profile.version,
    )
    return data


def confidence_band_data(band, r):
    return {
        "lower": _str(band.lower),
        "upper": _str(band.upper),
        "grade": _str(band.grade),
        "label": r.text(band, "label"),
        "description": r.text(band, "description"),
    }


# Parts -----------------------------------------------------------------------------


class EvidenceSerializer(serializers.Serializer):
    """A source listed on the profile (`visible_sources` links)."""

    id = serializers.IntegerField(source="evidence.id", help_text="The evidence record's id (shared across profiles).")
    key = serializers.CharField(help_text="The key the profile's interchange document uses for it.")
    title = TextField("title", via="evidence")
    url = serializers.CharField(source="evidence.url", allow_blank=True)
    publisher = serializers.CharField(source="evidence.publisher", allow_blank=True)
    published_on = serializers.DateField(source="evidence.published_on", allow_null=True)
    kind = serializers.CharField(source="evidence.kind")
    reliability = serializers.CharField(source="evidence.reliability")
    excerpt = TextField("excerpt", via="evidence")
    language = serializers.CharField(source="evidence.language", allow_blank=True)
    review_status = serializers.CharField(source="evidence.review_status")
    visibility = serializers.CharField(source="evidence.visibility")

    def to_representation(self, link):
        return evidence_data(link, reading(self.context))


class EvidenceBasisSerializer(serializers.Serializer):
    """A claim's citation of a source: the source, the note (evidence basis) and the stance."""

    evidence = serializers.IntegerField(source="evidence.id")
    key = serializers.SerializerMethodField(help_text="The source's key on this profile (null if not listed).")
    title = TextField("title", via="evidence")
    publisher = serializers.CharField(source="evidence.publisher", allow_blank=True)
    published_on = serializers.DateField(source="evidence.published_on", allow_null=True)
    kind = serializers.CharField(source="evidence.kind")
    reliability = serializers.CharField(source="evidence.reliability")
    url = serializers.CharField(source="evidence.url", allow_blank=True)
    note = TextField("note")
    stance = serializers.CharField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_key(self, link):
        return self.context.get("keys", {}).get(link.evidence_id)

    def to_representation(self, link):
        return evidence_basis_data(link, reading(self.context), self.context.get("keys", {}))


class RetractionSerializer(serializers.Serializer):
    reason = serializers.CharField()
    at = serializers.DateTimeField()


class ClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    section = serializers.CharField()
    text = TextField("text")
    verified = serializers.BooleanField()
    visibility = serializers.CharField()
    retraction = serializers.SerializerMethodField()
    confidence = serializers.SerializerMethodField()
    evidence = EvidenceBasisSerializer(source="visible_evidence_links", many=True)

    @extend_schema_field(RetractionSerializer(allow_null=True))
    def get_retraction(self, claim):
        if not claim.is_retracted:
            return None
        return {"reason": claim.retraction_reason, "at": serializers.DateTimeField().to_representation(claim.retracted_at)}

    @extend_schema_field(ConfidenceSerializer)
    def get_confidence(self, claim):
        shown = [link.evidence_id for link in claim.visible_evidence_links]
        return confidence_of(claim, self.context, visible_explanation(claim.explanation, shown) or {})

    def to_representation(self, claim):
        return claim_data(claim, reading(self.context), self.context.get("keys", {}))


class TimelineEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    kind = serializers.CharField()
    title = TextField("title")
    text = TextField("text")
    visibility = serializers.CharField()
    evidence = serializers.SerializerMethodField(help_text="Ids of the sources it cites.")

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_evidence(self, event):
        return [record.pk for record in event.visible_evidence]

    def to_representation(self, event):
        return timeline_event_data(event, reading(self.context))


class WatchpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = TextField("text")
    kind = serializers.CharField()
    status = serializers.CharField()
    review_by = serializers.DateField(allow_null=True)
    visibility = serializers.CharField()
    triggered_by = serializers.SerializerMethodField(help_text="Ids of the sources that triggered it.")

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_triggered_by(self, watchpoint):
        return [record.pk for record in watchpoint.visible_triggered_by]

    def to_representation(self, watchpoint):
        return watchpoint_data(watchpoint, reading(self.context))


class RelationshipTargetSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = TextField("name")
    kind = serializers.CharField()
    url = serializers.CharField()


class RelationshipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    target = serializers.SerializerMethodField()
    note = TextField("note")
    verified = serializers.BooleanField()
    visibility = serializers.CharField()
    evidence = serializers.SerializerMethodField()

    @extend_schema_field(RelationshipTargetSerializer)
    def get_target(self, relationship):
        target = relationship.target  # visible to the same audience: see visibility.visible_relationships
        return {
            "slug": target.slug,
            "name": text_value(target, "name", self.context["lang"]),
            "kind": target.kind,
            "url": api_url(self.context, "profile-detail", slug=target.slug),
        }

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_evidence(self, relationship):
        return [record.pk for record in relationship.visible_evidence]

    def to_representation(self, relationship):
        return relationship_data(relationship, reading(self.context))


class FaqEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = TextField("question")
    answer = TextField("answer")
    visibility = serializers.CharField()

    def to_representation(self, entry):
        return faq_entry_data(entry, reading(self.context))


class BriefingSerializer(serializers.Serializer):
    title = TextField("title")
    body = TextField("body", help_text="Markdown.")
    body_html = TextField("body", transform=rendering.render_markdown, help_text="The body as sanitised HTML.")
    source_notes = TextField("source_notes")
    visibility = serializers.CharField()

    def to_representation(self, briefing):
        return briefing_data(briefing, reading(self.context))


# Profiles --------------------------------------------------------------------------


class FacetsSerializer(serializers.Serializer):
    primary_domain = serializers.CharField(allow_blank=True)
    signal_focus = serializers.CharField(allow_blank=True)
    content_type = serializers.CharField(allow_blank=True)
    topics = serializers.ListField(child=serializers.CharField())


class ImportanceSerializer(serializers.Serializer):
    statement = TextValueField()
    criticality = serializers.CharField(allow_null=True)
    time_horizon = serializers.CharField(allow_null=True)
    impact = serializers.CharField(allow_null=True)


def facets_of(profile):
    return {
        "primary_domain": profile.primary_domain,
        "signal_focus": profile.signal_focus,
        "content_type": profile.content_type,
        "topics": [topic.name for topic in profile.topics_list],
    }


class ProfileSummarySerializer(serializers.Serializer):
    """A profile in a list: what it is, its grade, when it changed."""

    slug = serializers.CharField()
    url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()
    kind = serializers.CharField()
    status = serializers.CharField()
    name = TextField("name")
    category = serializers.CharField(allow_blank=True)
    region = serializers.CharField(allow_blank=True)
    focus = serializers.CharField(allow_blank=True)
    facets = serializers.SerializerMethodField()
    summary = TextField("summary")
    confidence = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, profile):
        return api_url(self.context, "profile-detail", slug=profile.slug)

    @extend_schema_field(OpenApiTypes.URI)
    def get_html_url(self, profile):
        return page_url(profile, self.context)

    @extend_schema_field(FacetsSerializer)
    def get_facets(self, profile):
        return facets_of(profile)

    @extend_schema_field(ConfidenceSummarySerializer)
    def get_confidence(self, profile):
        return confidence_of(profile, self.context)

    def to_representation(self, profile):
        return profile_summary_data(profile, reading(self.context))


class ProfileDetailSerializer(ProfileSummarySerializer):
    """The whole profile as the audience may see it."""

    aliases = serializers.ListField(child=serializers.CharField())
    function = TextField("function")
    importance = serializers.SerializerMethodField()
    watch_focus = TextField("watch_focus")
    public_view = TextField("public_view")
    limitations = TextField("limitations")
    claims = ClaimSerializer(source="visible_claims", many=True)
    evidence = EvidenceSerializer(source="visible_sources", many=True)
    timeline = TimelineEventSerializer(source="visible_timeline", many=True)
    watchpoints = WatchpointSerializer(source="visible_watchpoints", many=True)
    relationships = RelationshipSerializer(source="visible_relationships", many=True)
    faq = FaqEntrySerializer(source="visible_faq", many=True)
    briefing = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    last_reviewed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField(help_text="Raised by every change; the ETag carries it.")

    @extend_schema_field(ImportanceSerializer)
    def get_importance(self, profile):
        return {
            "statement": text_value(profile, "importance_statement", self.context["lang"]),
            "criticality": profile.criticality or None,
            "time_horizon": profile.time_horizon or None,
            "impact": profile.impact or None,
        }

    @extend_schema_field(ConfidenceSerializer)
    def get_confidence(self, profile):
        return confidence_of(profile, self.context, profile_explanation(profile, self.context["audience"]))

    @extend_schema_field(BriefingSerializer(allow_null=True))
    def get_briefing(self, profile):
        briefing = profile.visible_briefing  # None unless the audience may read it
        return None if briefing is None else BriefingSerializer(briefing, context=self.context).data

    def to_representation(self, profile):
        return profile_detail_data(profile, reading(self.context))


class ConfidenceBandSerializer(serializers.Serializer):
    lower = serializers.CharField()
    upper = serializers.CharField()
    grade = serializers.CharField()
    label = TextField("label")
    description = TextField("description")

    def to_representation(self, band):
        return confidence_band_data(band, reading(self.context))
