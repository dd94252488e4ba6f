"""A claim's own page: its text, confidence and retraction, with its evidence links and their notes.

Saving it is an edit of its profile (`ProfilePartAdmin`).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from profiles.admin.base import ProfilePartAdmin
from profiles.admin.display import explanation_html, grade_text
from profiles.admin.forms import ClaimAdminForm
from profiles.admin.inlines import ClaimEvidenceInline
from profiles.models import Claim
from profiles.selectors.bands import current_bands


@admin.register(Claim)
class ClaimAdmin(ProfilePartAdmin):
    form = ClaimAdminForm
    list_display = ("short_text", "profile", "section", "verified", "visibility", "score", "is_retracted")
    list_filter = ("section", "visibility", "verified")
    list_select_related = ("profile",)
    search_fields = ("text_en", "text_zh_hans", "profile__slug", "profile__name_en")
    autocomplete_fields = ("profile",)
    fieldsets = [
        (None, {"fields": ["profile", ("section", "visibility", "verified", "position"), "text"]}),
        (_("Confidence"), {"fields": [("computed_score", "grade"), ("score_override", "override_reason"),
                                      "explanation_text"]}),  # fmt: skip
        (_("Retraction"), {"fields": [("retracted_at", "retraction_reason")]}),
        (None, {"fields": ["loaded_version"]}),
    ]
    readonly_fields = ("computed_score", "grade", "explanation_text")
    inlines = [ClaimEvidenceInline]

    @admin.display(description=_("claim"))
    def short_text(self, claim):
        return str(claim)

    @admin.display(description=_("retracted"), boolean=True)
    def is_retracted(self, claim):
        return claim.is_retracted

    @admin.display(description=_("grade"))
    def grade(self, claim):
        return grade_text(claim.score, current_bands()) if claim.pk else "—"

    @admin.display(description=_("explanation"))
    def explanation_text(self, claim):
        return explanation_html(claim.explanation)
