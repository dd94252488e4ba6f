"""Output serializers: a profile as the caller's audience may see it.

They read only what `visibility.profile_graph_queryset` prefetched (the `visible_*`
lists), so they cannot show what the audience may not see and run no queries.
Texts are in the language the view chose (`context["lang"]`), falling back to the
other one; with `lang=all` each text is an object `{"en": …, "zh-hans": …}` holding
the languages that have text, as in the interchange format.

Context keys: `lang` ("en", "zh-hans" or "all"), `bands` ({language: bands}, from
`services.current_bands()` in each language), `audience`, `request`.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import confidence, rendering
from ..visibility import visible_explanation

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


def text_value(obj, name, lang, transform=None):
    """A translated field in `lang` (with fallback), or every language's text for lang=all."""
    transform = transform or (lambda text: text)
    if lang == ALL:
        return {
            language: transform(value)
            for language in LANGUAGES
            if (value := getattr(obj, _column(name, language), "") or "")
        }
    with translation.override(lang):
        return transform(getattr(obj, name, "") or "")


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


class FaqEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = TextField("question")
    answer = TextField("answer")
    visibility = serializers.CharField()


class BriefingSerializer(serializers.Serializer):
    title = TextField("title")
    body = TextField("body", help_text="Markdown.")
    body_html = TextField("body", transform=rendering.render_markdown, help_text="The body as sanitised HTML.")
    source_notes = TextField("source_notes")
    visibility = serializers.CharField()


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
        self.context["keys"] = {link.evidence_id: link.key for link in profile.visible_sources}
        return super().to_representation(profile)


class ConfidenceBandSerializer(serializers.Serializer):
    lower = serializers.CharField()
    upper = serializers.CharField()
    grade = serializers.CharField()
    label = TextField("label")
    description = TextField("description")
