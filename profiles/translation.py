"""Bilingual fields: each gets an `_en` and a `_zh_hans` column (django-modeltranslation).

Reading `profile.name` gives the active language, falling back to the other one.
"""

from modeltranslation.translator import TranslationOptions, register

from profiles.models import (
    Briefing,
    Claim,
    ClaimEvidence,
    ConfidenceBand,
    EvidenceRecord,
    FaqEntry,
    Profile,
    Relationship,
    TimelineEvent,
    Watchpoint,
)


@register(Profile)
class ProfileTranslation(TranslationOptions):
    fields = (
        "name",
        "summary",
        "function",
        "importance_statement",
        "watch_focus",
        "public_view",
        "limitations",
    )


@register(EvidenceRecord)
class EvidenceTranslation(TranslationOptions):
    fields = ("title", "excerpt")


@register(Claim)
class ClaimTranslation(TranslationOptions):
    fields = ("text",)


@register(ClaimEvidence)
class ClaimEvidenceTranslation(TranslationOptions):
    fields = ("note",)


@register(ConfidenceBand)
class ConfidenceBandTranslation(TranslationOptions):
    fields = ("label", "description")


@register(TimelineEvent)
class TimelineEventTranslation(TranslationOptions):
    fields = ("title", "text")


@register(Watchpoint)
class WatchpointTranslation(TranslationOptions):
    fields = ("text",)


@register(Briefing)
class BriefingTranslation(TranslationOptions):
    fields = ("title", "body", "source_notes")


@register(Relationship)
class RelationshipTranslation(TranslationOptions):
    fields = ("note",)


@register(FaqEntry)
class FaqEntryTranslation(TranslationOptions):
    fields = ("question", "answer")
