"""The analyst desk's forms: what each admin page accepts, refused next to the field otherwise.

Validation only: each form asks the rule's own module (scores: `confidence.round_score`;
source addresses: `interchange.normalize_url`; lost updates: `history.lock_profile` and
`history.lock_evidence`).
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modeltranslation.translator import NotRegistered, translator

from profiles.interchange.format import normalize_url
from profiles.models import (
    BRIEFING_VISIBILITIES,
    Briefing,
    Claim,
    EvidenceRecord,
    Profile,
    ProfileEvidence,
    Relationship,
    Watchpoint,
    WatchpointStatus,
)
from profiles.rules import confidence
from profiles.services import history

OVERRIDE_REASON_REQUIRED = _("Give the reason for overriding the computed score.")


class ScoreField(forms.DecimalField):
    """A score as typed by an analyst: any number, rounded half up to two places, 0.00–1.00."""

    default_error_messages = {"score": _("Enter a score from 0.00 to 1.00.")}

    def __init__(self, **kwargs):
        for name in ("max_digits", "decimal_places", "max_value", "min_value"):
            kwargs.pop(name, None)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return confidence.round_score(value)
        except confidence.ScoreError:
            raise ValidationError(self.error_messages["score"], code="score") from None


class DeskForm(forms.ModelForm):
    """A model form that does not re-check the database constraints of a stored row left unchanged.

    Django checks every unique and check constraint of every form, each with a query; an
    inline row the analyst did not touch is not saved, and was valid when it was stored.
    """

    def _unchanged_stored_row(self):
        return not self.instance._state.adding and not self.has_changed()

    def validate_unique(self):
        if not self._unchanged_stored_row():
            super().validate_unique()

    def validate_constraints(self):
        if not self._unchanged_stored_row():
            super().validate_constraints()


class BilingualForm(DeskForm):
    """A required text may be given in either language (readers get the other as a fallback).

    modeltranslation makes the English column of a required field required; here it is
    enough that one language is filled in, and the error sits on the English field.
    """

    def _required_translations(self):
        try:
            options = translator.get_options_for_model(self._meta.model)
        except NotRegistered:
            return []
        groups = []
        for original, translations in options.all_fields.items():
            if self._meta.model._meta.get_field(original).blank:
                continue
            names = [f.name for f in sorted(translations, key=lambda f: f.name) if f.name in self.fields]
            if names:
                groups.append(sorted(names, key=lambda name: not name.endswith("_en")))
        return groups

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for names in self._required_translations():
            for name in names:
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for names in self._required_translations():
            if any(name in self.errors for name in names):
                continue
            if not any((cleaned.get(name) or "").strip() for name in names):
                self.add_error(names[0], _("Fill this in, in English or Simplified Chinese (or both)."))
        return cleaned


class ScoreOverrideForm(BilingualForm):
    """An override needs its reason, next to the reason field."""

    score_override = ScoreField(label=_("Score override"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("score_override") is not None and not (cleaned.get("override_reason") or "").strip():
            self.add_error("override_reason", OVERRIDE_REASON_REQUIRED)
        return cleaned


class ProfileVersionForm(BilingualForm):
    """Carries the version of the profile the editor opened; a save based on an older one is refused."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def edited_profile(self):
        """The profile this form edits (None for a new one)."""
        return self.instance if self.instance.pk is not None else None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        profile = self.edited_profile()
        if profile is not None:
            self.fields["loaded_version"].initial = profile.version

    def clean(self):
        cleaned = super().clean()
        profile = self.edited_profile()
        profile_id = profile.pk if profile is not None else None
        if profile_id is not None:
            try:
                history.lock_profile(profile_id, cleaned.get("loaded_version"))
            except history.StaleEdit as exc:
                raise ValidationError(str(exc), code="stale") from None
        return cleaned


class ProfileForm(ProfileVersionForm, ScoreOverrideForm):
    class Meta:
        model = Profile
        fields = "__all__"  # narrowed by ProfileAdmin.fieldsets; staff-only UI

    def clean_aliases(self):
        aliases = self.cleaned_data.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(alias, str) for alias in aliases):
            raise ValidationError(_('Give the aliases as a JSON list of names, e.g. ["IANA", "互联网号码分配局"].'))
        return aliases


class ClaimForm(ScoreOverrideForm):
    class Meta:
        model = Claim
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("retracted_at") and not (cleaned.get("retraction_reason") or "").strip():
            self.add_error("retraction_reason", _("Say why the claim is retracted."))
        return cleaned


class ProfilePartForm(ProfileVersionForm):
    """A part edited on its own page: it carries its profile's version."""

    def edited_profile(self):
        return self.instance.profile if self.instance.pk is not None else None


class ClaimAdminForm(ProfilePartForm, ClaimForm):
    pass


class ProfileEvidenceForm(DeskForm):
    class Meta:
        model = ProfileEvidence
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False
        self.fields["key"].help_text = _("Left blank: e<number of the source>.")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("key") and cleaned.get("evidence") is not None:
            cleaned["key"] = f"e{cleaned['evidence'].pk}"
        return cleaned


class WatchpointForm(BilingualForm):
    class Meta:
        model = Watchpoint
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields and self.instance.status != WatchpointStatus.TRIGGERED:
            # Triggering goes through its own page so the evidence and the timeline event are recorded.
            self.fields["status"].choices = [
                choice for choice in self.fields["status"].choices if choice[0] != WatchpointStatus.TRIGGERED
            ]

    def clean_review_by(self):
        review_by = self.cleaned_data.get("review_by")
        if review_by is not None and review_by < timezone.localdate():
            if self.instance._state.adding:
                raise ValidationError(_("A new watchpoint needs a review-by date today or later."), code="past")
            if "review_by" in self.changed_data:
                raise ValidationError(_("A review-by date cannot be moved into the past."), code="past")
        return review_by


class WatchpointAdminForm(ProfilePartForm, WatchpointForm):
    pass


class RelationshipForm(BilingualForm):
    class Meta:
        model = Relationship
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        target, source_id = cleaned.get("target"), self.instance.source_id
        if target is not None and source_id is not None and target.pk == source_id:
            self.add_error("target", _("A profile cannot be related to itself."))
        return cleaned


class BriefingForm(BilingualForm):
    class Meta:
        model = Briefing
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "visibility" in self.fields:
            choices = self.fields["visibility"].choices
            self.fields["visibility"].choices = [c for c in choices if c[0] in BRIEFING_VISIBILITIES]


HTTP_ONLY = URLValidator(schemes=["http", "https"])


class EvidenceRecordForm(BilingualForm):
    """Carries a fingerprint of the record as opened; a save over someone else's later save is refused."""

    url = forms.CharField(
        label=_("URL"), max_length=1000, required=False, help_text=_("An http:// or https:// address.")
    )
    loaded_fingerprint = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = EvidenceRecord
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            self.fields["loaded_fingerprint"].initial = history.evidence_fingerprint(self.instance)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            try:
                history.lock_evidence(self.instance.pk, cleaned.get("loaded_fingerprint"))
            except history.StaleEdit as exc:
                raise ValidationError(str(exc), code="stale") from None
        return cleaned

    def clean_url(self):
        url = (self.cleaned_data.get("url") or "").strip()
        if not url:
            self.instance.normalized_url = ""
            return ""
        normal = normalize_url(url)
        try:
            HTTP_ONLY(url)
        except ValidationError:
            normal = None
        if normal is None:
            raise ValidationError(
                _("Use a full http:// or https:// address; other kinds of link (such as javascript:) are refused."),
                code="scheme",
            )
        same = EvidenceRecord.objects.filter(normalized_url=normal).exclude(pk=self.instance.pk).first()
        if same is not None:
            raise ValidationError(
                _("This source is already in the registry as “%(title)s”."), code="duplicate", params={"title": same}
            )
        self.instance.normalized_url = normal
        return url



class TriggerForm(forms.Form):
    evidence = forms.ModelChoiceField(
        EvidenceRecord.objects.all(),
        label=_("Evidence that set it off"),
        widget=AutocompleteSelect(Watchpoint._meta.get_field("triggered_by"), admin.site),
    )
    note_en = forms.CharField(label=_("Note for the timeline (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    note_zh_hans = forms.CharField(
        label=_("Note for the timeline (Simplified Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class BandRowForm(forms.Form):
    lower = forms.DecimalField(label=_("lower"), max_digits=3, decimal_places=2, min_value=0, max_value=1)
    upper = forms.DecimalField(label=_("upper"), max_digits=3, decimal_places=2, min_value=0, max_value=1)
    grade = forms.CharField(label=_("grade"), max_length=10)
    label_en = forms.CharField(label=_("label (English)"), max_length=100)
    label_zh_hans = forms.CharField(label=_("label (Simplified Chinese)"), max_length=100, required=False)
    description_en = forms.CharField(label=_("description (English)"), max_length=300, required=False)
    description_zh_hans = forms.CharField(label=_("description (Simplified Chinese)"), max_length=300, required=False)


BandTableFormSet = formset_factory(BandRowForm, extra=1, can_delete=True)
