"""Input serializers: the shape and types of what writes accept.

They check only shape, types and lengths; the rules (an override needs a reason,
http(s) sources only, no relationship to itself, …) are `profiles.services.editing`'s,
and the model's own validation runs there too. A text is `{"en": …, "zh-hans": …}`
or a plain string (English), as in the interchange format; in a PATCH only the
languages given change.
"""

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from profiles.models import (
    BRIEFING_VISIBILITIES,
    ClaimSection,
    Criticality,
    EvidenceKind,
    Impact,
    ProfileKind,
    ProfileStatus,
    RelationshipKind,
    Reliability,
    ReviewStatus,
    Stance,
    TimeHorizon,
    TimelineKind,
    Visibility,
    WatchpointKind,
    WatchpointStatus,
)
from profiles.rules import languages

MAX_ID = 2**63 - 1
SLUG_PATTERN = r"^[a-z0-9-]{1,100}$"
SURROGATE_RE = re.compile("[\ud800-\udfff]")

TEXT_INPUT_SCHEMA = {
    "oneOf": [
        {"type": "string", "description": "English text"},
        {
            "type": "object",
            "properties": {"en": {"type": "string", "nullable": True}, "zh-hans": {"type": "string", "nullable": True}},
            "additionalProperties": False,
        },
    ]
}


@extend_schema_field(TEXT_INPUT_SCHEMA)
class TextInputField(serializers.Field):
    """A text: {"en": …, "zh-hans": …} (null or "" clears a language) or a string (English)."""

    default_error_messages = {
        "invalid": 'Expected a text: a string or {{"en": "…", "zh-hans": "…"}}.',
        "language": 'Unknown language "{language}" (use "en" or "zh-hans").',
        "string": "{language}: expected a string.",
        "length": "{language}: longer than {max_length} characters.",
        "nul": "{language}: contains a NUL character.",
        "surrogate": "{language}: contains an unpaired surrogate (\\ud800–\\udfff), which is not text.",
    }

    def __init__(self, *, max_length=20000, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = {"en": data}
        if not isinstance(data, dict):
            self.fail("invalid")
        text = {}
        for language, value in data.items():
            if language not in languages.LANGUAGES:
                self.fail("language", language=str(language)[:20])
            if value is None:
                value = ""
            if not isinstance(value, str):
                self.fail("string", language=language)
            value = value.strip()
            if "\x00" in value:
                self.fail("nul", language=language)
            if SURROGATE_RE.search(value):
                self.fail("surrogate", language=language)
            if len(value) > self.max_length:
                self.fail("length", language=language, max_length=self.max_length)
            text[language] = value
        return text

    def to_representation(self, value):
        return value


@extend_schema_field({"oneOf": [{"type": "number"}, {"type": "string"}]})
class ScoreInputField(serializers.Field):
    """A score as a number or a decimal string; its range is checked by `editing`."""

    default_error_messages = {"invalid": "Expected a number from 0 to 1."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail("invalid")
        if isinstance(data, str) and (len(data) > 50 or "\x00" in data):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


def choice(choices, **kwargs):
    return serializers.ChoiceField(choices=choices.choices, **kwargs)


def ids(**kwargs):
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=500, **kwargs
    )


class OverrideInput(serializers.Serializer):
    score = ScoreInputField()
    reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class FacetsInput(serializers.Serializer):
    primary_domain = serializers.CharField(max_length=100, allow_blank=True, required=False)
    signal_focus = serializers.CharField(max_length=100, allow_blank=True, required=False)
    content_type = serializers.CharField(max_length=100, allow_blank=True, required=False)
    topics = serializers.ListField(child=serializers.CharField(max_length=100), max_length=50, required=False)


class ImportanceInput(serializers.Serializer):
    statement = TextInputField(required=False)
    criticality = choice(Criticality, allow_null=True, allow_blank=True, required=False)
    time_horizon = choice(TimeHorizon, allow_null=True, allow_blank=True, required=False)
    impact = choice(Impact, allow_null=True, allow_blank=True, required=False)


class BriefingInput(serializers.Serializer):
    title = TextInputField(max_length=300, required=False)
    body = TextInputField(max_length=200000, required=False)
    source_notes = TextInputField(required=False)
    visibility = serializers.ChoiceField(choices=BRIEFING_VISIBILITIES, required=False)


class ProfileUpdateInput(serializers.Serializer):
    """PATCH a profile: any of these; `status` moves it through the workflow."""

    name = TextInputField(max_length=300, required=False)
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), max_length=50, required=False)
    category = serializers.CharField(max_length=200, allow_blank=True, required=False)
    region = serializers.CharField(max_length=100, allow_blank=True, required=False)
    focus = serializers.CharField(max_length=100, allow_blank=True, required=False)
    facets = FacetsInput(required=False)
    summary = TextInputField(required=False)
    function = TextInputField(required=False)
    importance = ImportanceInput(required=False)
    watch_focus = TextInputField(required=False)
    public_view = TextInputField(required=False)
    limitations = TextInputField(required=False)
    score_override = OverrideInput(required=False, allow_null=True)
    briefing = BriefingInput(required=False, allow_null=True)
    status = choice(ProfileStatus, required=False)


class ProfileCreateInput(ProfileUpdateInput):
    """POST a new profile (a draft)."""

    slug = serializers.RegexField(SLUG_PATTERN, max_length=100)
    kind = choice(ProfileKind)
    name = TextInputField(max_length=300)


class ClaimEvidenceInput(serializers.Serializer):
    evidence = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="A source's id on this profile.")
    note = TextInputField(max_length=500, required=False)
    stance = choice(Stance, required=False)


class RetractionInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ClaimInput(serializers.Serializer):
    section = choice(ClaimSection)
    text = TextInputField()
    verified = serializers.BooleanField(required=False)
    visibility = choice(Visibility, required=False)
    score_override = OverrideInput(required=False, allow_null=True)
    evidence = serializers.ListField(child=ClaimEvidenceInput(), max_length=200, required=False)
    retraction = RetractionInput(required=False, allow_null=True, help_text="Retract with a reason; null restores.")


class EvidenceInput(serializers.Serializer):
    key = serializers.RegexField(r"^[A-Za-z0-9_.:-]{1,100}$", required=False)
    title = TextInputField(max_length=500)
    url = serializers.CharField(max_length=1000, allow_blank=True, allow_null=True, required=False)
    publisher = serializers.CharField(max_length=200, allow_blank=True, required=False)
    published_on = serializers.DateField(allow_null=True, required=False)
    kind = choice(EvidenceKind)
    reliability = choice(Reliability, required=False)
    excerpt = TextInputField(required=False)
    language = serializers.CharField(max_length=20, allow_blank=True, required=False)
    review_status = choice(ReviewStatus, required=False)
    visibility = choice(Visibility, required=False)


class TimelineEventInput(serializers.Serializer):
    date = serializers.DateField()
    kind = choice(TimelineKind, required=False)
    title = TextInputField(max_length=300)
    text = TextInputField(required=False)
    visibility = choice(Visibility, required=False)
    evidence = ids(required=False)


class WatchpointInput(serializers.Serializer):
    text = TextInputField()
    kind = choice(WatchpointKind, required=False)
    status = choice(WatchpointStatus, required=False)
    review_by = serializers.DateField(allow_null=True, required=False)
    visibility = choice(Visibility, required=False)
    triggered_by = ids(required=False)


class RelationshipInput(serializers.Serializer):
    target = serializers.RegexField(SLUG_PATTERN, max_length=100, help_text="The related profile's slug.")
    kind = choice(RelationshipKind, required=False)
    note = TextInputField(required=False)
    verified = serializers.BooleanField(required=False)
    visibility = choice(Visibility, required=False)
    evidence = ids(required=False)


class FaqEntryInput(serializers.Serializer):
    question = TextInputField(max_length=500)
    answer = TextInputField(required=False)
    visibility = choice(Visibility, required=False)
