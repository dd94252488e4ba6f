"""The analyst desk: Django's admin at /admin/, over the registry's own rules.

The classes here stay thin. Workflow moves go through `publishing.transition`; saved edits
through `revisions` (stale-save refusal, version, recomputation, changes feed, history);
citation review through `history.review_evidence`; the band table through
`replace_band_table`; watchpoints through `watchpoints`; the front page through
`dashboard`; previews through `views.preview`. Every bilingual field is edited in both
languages (modeltranslation's admin classes).
"""

import reversion
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.widgets import AdminTextareaWidget
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Case, CharField, Count, Value, When
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline

from profiles.selectors.history import current_snapshot, diff_snapshots, profile_versions, revision_snapshot, version_of
from profiles.services import history
from profiles.services.recovery import RestoreError, deleted_profiles, describe_deleted, may_recover, recover_profile, restore_version
from profiles.selectors.bands import current_bands
from profiles.services import scoring
from profiles.services.band_table import replace_band_table
from profiles.selectors import browsing, dashboard
from profiles.rules import confidence
from profiles.rules import publishing as publishing_rules
from profiles.services import publishing, watchpoints
from profiles.admin.forms import (
    BandRowForm,
    BandTableFormSet,
    BilingualForm,
    BriefingForm,
    ClaimAdminForm,
    ClaimForm,
    DeskForm,
    EvidenceRecordForm,
    ProfileEvidenceForm,
    ProfileForm,
    RelationshipForm,
    TriggerForm,
    WatchpointAdminForm,
    WatchpointForm,
)
from profiles.models import (
    Briefing,
    Claim,
    ClaimEvidence,
    ConfidenceBand,
    EvidenceRecord,
    FaqEntry,
    Profile,
    ProfileEvidence,
    ProfileStatus,
    ProfileTopic,
    Relationship,
    ReviewStatus,
    SecurityEvent,
    TimelineEvent,
    Watchpoint,
    WatchpointStatus,
)
from profiles.web.views import preview
from profiles.rules.visibility import is_public

admin.site.site_header = _("Infrastructure Intelligence Registry — analyst desk")
admin.site.site_title = _("Analyst desk")
admin.site.index_title = _("Dashboard")

MOVE_LABELS = {
    "submit": _("Submit for review"),
    "publish": _("Publish"),
    "return": _("Return to draft"),
    "archive": _("Archive"),
    "unpublish": _("Unpublish (back to draft)"),
    "restore": _("Reopen as draft"),
}


# Shared admin behaviour ---------------------------------------------------------------


class RevisionedAdmin:
    """Every admin write is one revision, by the user, with the admin's change message.

    Like reversion's VersionAdmin, without its revert-through-the-form views: restoring a
    profile goes through `restore_version`, which keeps the workflow state. The
    revision is managed manually: each write records its final state once
    (`history.profile_saved` captures the whole profile graph after recomputation).
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with history.versioned(actor=request.user, manual=True):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        with history.versioned(actor=request.user, manual=True):
            return super().changelist_view(request, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        with history.versioned(actor=request.user, manual=True):
            return super().delete_view(request, object_id, extra_context)

    def _comment(self, entry):
        if reversion.is_active():
            reversion.set_comment(entry.get_change_message())
        return entry

    def log_addition(self, request, obj, message):
        return self._comment(super().log_addition(request, obj, message))

    def log_change(self, request, obj, message):
        return self._comment(super().log_change(request, obj, message))


def _band_case(bands, attribute="grade"):
    """A database expression giving each row's band grade (or label) from its stored score."""
    return Case(
        *[When(score__gte=band.lower, score__lte=band.upper, then=Value(str(getattr(band, attribute))))
          for band in bands],
        default=Value(""),
        output_field=CharField(),
    )  # fmt: skip


def _with_grades(queryset):
    """Annotate `grade_now` and `band_label` from the live band table (one query for the table)."""
    bands = current_bands()
    return queryset.annotate(grade_now=_band_case(bands), band_label=_band_case(bands, "label"))


def _grade_text(score, bands):
    band = confidence.band_for(score, bands)
    return f"{band.grade} — {band.label}"


def _explanation_html(explanation):
    """A stored explanation in words (claims: each record; profiles: the mean), for analysts."""
    if not explanation:
        return _("Not computed yet: save to compute.")
    lines = []
    if "claims" in explanation:  # a profile's
        if explanation.get("claims"):
            lines.append(
                _("Mean of %(count)s verified claims: %(mean)s, rounds to %(computed)s.")
                % {"count": explanation["claims"], "mean": explanation.get("mean"), "computed": explanation["computed"]}
            )
        else:
            lines.append(_("No verified claims: the computed score is 0.00."))
    else:
        for entry in explanation.get("evidence", []):
            reason = {
                None: _("counted"),
                "not_reviewed": _("not counted: not reviewed"),
                "duplicate_publisher": _("not counted: a stronger record from the same publisher counts"),
            }.get(entry.get("reason"), entry.get("reason"))
            lines.append(
                _("#%(id)s %(publisher)s (%(kind)s, %(reliability)s, %(stance)s): %(base)s × %(decay)s = %(weight)s — %(reason)s")
                % {**entry, "publisher": entry.get("publisher") or "—", "reason": reason}
            )
        if explanation.get("no_reviewed_support"):
            lines.append(_("No reviewed supporting evidence: the computed score is 0.00."))
        else:
            lines.append(
                _("Support %(support)s, contradiction %(contradiction)s: %(support)s × (1 − %(contradiction)s) = %(raw)s, rounds to %(computed)s.")
                % explanation
            )
        if explanation.get("capped"):
            lines.append(_("Capped at %(cap)s (%(cap_reason)s).") % explanation)
    if explanation.get("override") is not None:
        lines.append(
            _("Analyst override %(override)s (computed %(computed)s). Reason: %(override_reason)s") % explanation
        )
    return format_html("<ul class=\"explanation\">{}</ul>", format_html_join("", "<li>{}</li>", ((line,) for line in lines)))


# Inlines --------------------------------------------------------------------------------

COMPACT_TEXT = {models.TextField: {"widget": AdminTextareaWidget(attrs={"rows": 3})}}


class ProfileTopicInline(admin.TabularInline):
    model = ProfileTopic
    form = DeskForm
    fields = ("name", "position")
    extra = 0
    verbose_name_plural = _("topics (facet)")


class _EvidenceLinkMixin:
    """An inline of links to evidence records, showing each record's citation review."""

    readonly_fields = ("review",)
    autocomplete_fields = ("evidence",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("evidence")

    @admin.display(description=_("citation review"))
    def review(self, link):
        return link.evidence.get_review_status_display() if link.evidence_id else "—"


class ProfileEvidenceInline(_EvidenceLinkMixin, admin.TabularInline):
    model = ProfileEvidence
    form = ProfileEvidenceForm
    fields = ("evidence", "review", "key", "position")
    extra = 0
    verbose_name = _("source")
    verbose_name_plural = _("sources (evidence listed on this profile)")


class ClaimInline(TranslationStackedInline):
    formfield_overrides = COMPACT_TEXT
    model = Claim
    form = ClaimForm
    fieldsets = [
        (None, {"fields": [("section", "visibility", "verified", "position"), "text"]}),
        (_("Confidence"), {"fields": [("computed_score", "grade"), ("score_override", "override_reason"),
                                      "evidence_summary"]}),  # fmt: skip
    ]
    readonly_fields = ("computed_score", "grade", "evidence_summary")
    extra = 0
    show_change_link = True

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0

    def get_queryset(self, request):
        return _with_grades(super().get_queryset(request).annotate(evidence_count=Count("evidence_links")))

    def has_delete_permission(self, request, obj=None):
        # A claim of a profile that has ever been published is retracted with a reason, not deleted.
        return super().has_delete_permission(request, obj) and (obj is None or obj.published_at is None)

    @admin.display(description=_("grade"))
    def grade(self, claim):
        return f"{claim.grade_now} — {claim.band_label}" if claim.pk else "—"

    @admin.display(description=_("evidence"))
    def evidence_summary(self, claim):
        if not claim.pk:
            return _("Save the profile, then add this claim's evidence.")
        url = reverse("admin:profiles_claim_change", args=[claim.pk])
        count = getattr(claim, "evidence_count", None)
        count = claim.evidence_links.count() if count is None else count
        label = ngettext("%(count)s evidence link", "%(count)s evidence links", count) % {"count": count}
        return format_html('{} — <a href="{}">{}</a>', label, url, _("edit the evidence and notes"))


class TimelineEventInline(TranslationStackedInline):
    form = BilingualForm
    formfield_overrides = COMPACT_TEXT
    model = TimelineEvent
    fields = (("date", "kind", "visibility", "position"), "title", "text", "evidence")
    autocomplete_fields = ("evidence",)
    extra = 0


class WatchpointInline(TranslationStackedInline):
    formfield_overrides = COMPACT_TEXT
    model = Watchpoint
    form = WatchpointForm
    fields = (("kind", "status", "review_by", "visibility", "position"), "text", "trigger")
    readonly_fields = ("trigger",)
    extra = 0

    @admin.display(description=_("triggered by"))
    def trigger(self, watchpoint):
        if not watchpoint.pk:
            return "—"
        sources = ", ".join(str(record) for record in watchpoint.triggered_by.all()) or "—"
        url = reverse("admin:profiles_watchpoint_trigger", args=[watchpoint.pk])
        return format_html('{} · <a href="{}">{}</a>', sources, url, _("Trigger with evidence…"))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("triggered_by")


class BriefingInline(TranslationStackedInline):
    model = Briefing
    form = BriefingForm
    fields = ("visibility", "title", "body", "source_notes")
    max_num = 1
    extra = 0
    verbose_name_plural = _("members' briefing")


class RelationshipInline(TranslationStackedInline):
    formfield_overrides = COMPACT_TEXT
    model = Relationship
    form = RelationshipForm
    fk_name = "source"
    fields = (("target", "kind", "verified", "visibility", "position"), "note", "evidence")
    autocomplete_fields = ("target", "evidence")
    extra = 0


class FaqEntryInline(TranslationStackedInline):
    form = BilingualForm
    formfield_overrides = COMPACT_TEXT
    model = FaqEntry
    fields = (("visibility", "position"), "question", "answer")
    extra = 0


# List filters -------------------------------------------------------------------------


class GradeListFilter(admin.SimpleListFilter):
    title = _("confidence grade")
    parameter_name = "grade"

    def lookups(self, request, model_admin):
        self.bands = current_bands()
        return [(grade, browsing.grade_label(grade, self.bands)) for grade in browsing.grades(self.bands)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(browsing.grade_q(self.value(), self.bands))
        return queryset


class YesNoFilter(admin.SimpleListFilter):
    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]


class StaleListFilter(YesNoFilter):
    title = _("stale (review older than its time horizon)")
    parameter_name = "stale"

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=dashboard.stale_profiles().values("pk"))
        if self.value() == "no":
            return queryset.exclude(pk__in=dashboard.stale_profiles().values("pk"))
        return queryset


class PendingEvidenceListFilter(YesNoFilter):
    title = _("has evidence pending review")
    parameter_name = "pending_evidence"

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(dashboard.pending_evidence_q())
        if self.value() == "no":
            return queryset.exclude(dashboard.pending_evidence_q())
        return queryset


# Profiles -------------------------------------------------------------------------------


@admin.register(Profile)
class ProfileAdmin(RevisionedAdmin, TranslationAdmin):
    form = ProfileForm
    list_display = ("display_name", "slug", "kind", "status", "grade_column", "score", "region", "updated_at",
                    "last_reviewed_at")  # fmt: skip
    list_filter = ("status", "kind", GradeListFilter, "region", StaleListFilter, PendingEvidenceListFilter)
    search_fields = ("slug", "name_en", "name_zh_hans", "category", "region")
    ordering = ("slug",)
    save_as = False
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["slug", "kind", "name", "aliases", "category", ("region", "focus")]}),
        (_("Facets"), {"fields": [("primary_domain", "signal_focus", "content_type")]}),
        (_("Content"), {"fields": ["summary", "function", "importance_statement",
                                   ("criticality", "time_horizon", "impact"), "watch_focus", "public_view",
                                   "limitations"]}),  # fmt: skip
        (_("Confidence"), {"fields": [("computed_score", "grade"), ("score_override", "override_reason"),
                                      "explanation_text"]}),  # fmt: skip
        (_("Workflow"), {"fields": [("status", "version"), ("published_at", "last_reviewed_at", "updated_at"),
                                    "workflow_history", "loaded_version"]}),  # fmt: skip
    ]
    readonly_fields = ("computed_score", "grade", "explanation_text", "status", "version", "published_at",
                       "last_reviewed_at", "updated_at", "workflow_history")  # fmt: skip
    inlines = [ProfileTopicInline, ProfileEvidenceInline, ClaimInline, TimelineEventInline, WatchpointInline,
               BriefingInline, RelationshipInline, FaqEntryInline]  # fmt: skip

    def get_queryset(self, request):
        return _with_grades(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.published_at is not None:
            fields.append("slug")  # a published profile's address stays stable
        return fields

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.is_published else None

    @admin.display(description=_("name"), ordering="name_en")
    def display_name(self, profile):
        return profile.name

    @admin.display(description=_("grade"), ordering="score")
    def grade_column(self, profile):
        return profile.grade_now

    @admin.display(description=_("grade"))
    def grade(self, profile):
        return f"{profile.grade_now} — {profile.band_label}" if profile.pk else "—"

    @admin.display(description=_("explanation"))
    def explanation_text(self, profile):
        return _explanation_html(profile.explanation)

    @admin.display(description=_("workflow moves"))
    def workflow_history(self, profile):
        moves = profile.transitions.select_related("actor").order_by("-at", "-id") if profile.pk else []
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(move.at).strftime("%Y-%m-%d %H:%M"),
                    move.get_from_status_display(),
                    move.get_to_status_display(),
                    move.actor.get_username() if move.actor else "—",
                    move.note,
                )
                for move in moves
            ),
        )
        if not rows:
            return _("No workflow moves yet.")
        return format_html(
            '<table class="workflow-moves"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            _("when"), _("move"), _("by"), _("note"), rows,
        )  # fmt: skip

    # Saving: the form refused a stale version already (ProfileForm.clean, under a row lock).

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        fresh = history.profile_saved(form.instance, actor=request.user, created=not change)
        form.instance.version, form.instance.updated_at = fresh.version, fresh.updated_at

    def delete_model(self, request, obj):
        history.profile_deleted(obj, public_before=is_public(obj), actor=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for profile in queryset:
            self.delete_model(request, profile)

    # The change page: workflow buttons, previews, history.

    def allowed_moves(self, request, profile):
        return [
            {"to_status": to_status, "move": move, "label": MOVE_LABELS[move]}
            for to_status, move in publishing_rules.allowed_moves(profile, request.user)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        profile = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if profile is not None:
            context.update(
                workflow_moves=self.allowed_moves(request, profile),
                transition_url=reverse("admin:profiles_profile_transition", args=[quote(profile.pk)]),
                preview_urls={
                    name: reverse("admin:profiles_profile_preview", args=[quote(profile.pk), name])
                    for name in preview.AUDIENCES
                },
                current_status=profile.get_status_display(),
                current_version=profile.version,
            )
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/transition/", view(self.transition_view), name="profiles_profile_transition"),
            path("<path:object_id>/preview/<str:audience>/", view(self.preview_view), name="profiles_profile_preview"),
            path("<path:object_id>/history/compare/", view(self.compare_view), name="profiles_profile_compare"),
            path("<path:object_id>/history/<int:version_id>/restore/", view(self.restore_view),
                 name="profiles_profile_restore"),  # fmt: skip
            path("recover/", view(self.recoverlist_view), name="profiles_profile_recoverlist"),
            path("recover/<int:version_id>/", view(self.recover_view), name="profiles_profile_recover"),
            *super().get_urls(),
        ]

    def _profile_or_404(self, request, object_id, *, change=False):
        profile = self.get_object(request, unquote(object_id))
        if profile is None:
            raise Http404(_("No such profile."))
        allowed = self.has_change_permission(request, profile) if change else self.has_view_permission(request, profile)
        if not allowed:
            raise PermissionDenied
        return profile

    def _change_url(self, profile):
        return reverse("admin:profiles_profile_change", args=[quote(profile.pk)])

    def transition_view(self, request, object_id):
        """A workflow button: the move itself, and who may make it, is publishing's to decide."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        profile = self._profile_or_404(request, object_id)
        to_status = request.POST.get("to_status", "")
        try:
            expected = int(request.POST.get("version", ""))
        except ValueError:
            expected = -1  # no version: treated as stale
        if to_status not in ProfileStatus.values:
            messages.error(request, _("Unknown workflow move."))
            return redirect(self._change_url(profile))
        labels = {"from": profile.get_status_display(), "to": ProfileStatus(to_status).label}
        try:
            publishing.transition(
                profile, to_status, actor=request.user, expected_version=expected,
                note=request.POST.get("note", "").strip(),
            )  # fmt: skip
        except publishing_rules.TransitionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Moved from “%(from)s” to “%(to)s”.") % labels)
        return redirect(self._change_url(profile))

    def preview_view(self, request, object_id, audience):
        profile = self._profile_or_404(request, object_id)
        return preview.profile_preview(request, profile.slug, audience, admin_url=self._change_url(profile))

    def _history_context(self, request, profile, title):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": profile,
            "title": title,
            "subtitle": str(profile),
            "change_url": self._change_url(profile),
            "history_url": reverse("admin:profiles_profile_history", args=[quote(profile.pk)]),
            "compare_url": reverse("admin:profiles_profile_compare", args=[quote(profile.pk)]),
            "can_restore": self.has_change_permission(request, profile),
        }

    def history_view(self, request, object_id, extra_context=None):
        """Every recorded version: who saved it, when, with what message; compare or restore."""
        profile = self._profile_or_404(request, object_id)
        versions = list(profile_versions(profile)[:201])
        pairs = list(zip(versions, [*versions[1:], None]))[:200]  # each with the version before it
        context = self._history_context(request, profile, _("History of %(name)s") % {"name": profile})
        context.update(versions=pairs, **(extra_context or {}))
        return TemplateResponse(request, "admin/profiles/profile/history.html", context)

    def _version_or_404(self, profile, version_id):
        version = version_of(profile, version_id)
        if version is None:
            raise Http404(_("No such version of this profile."))
        return version

    def compare_view(self, request, object_id):
        """A readable diff between two recorded versions, or a version and the profile now."""
        profile = self._profile_or_404(request, object_id)
        try:
            before = self._version_or_404(profile, int(request.GET.get("from", "")))
            after_id = request.GET.get("to", "current")
            after = None if after_id == "current" else self._version_or_404(profile, int(after_id))
        except ValueError:
            raise Http404(_("Choose two versions to compare.")) from None
        old = revision_snapshot(before.revision, profile.pk)
        new = current_snapshot(profile) if after is None else revision_snapshot(after.revision, profile.pk)
        context = self._history_context(request, profile, _("Changes to %(name)s") % {"name": profile})
        context.update(before=before, after=after, diff=diff_snapshots(old, new))
        return TemplateResponse(request, "admin/profiles/profile/compare.html", context)

    def restore_view(self, request, object_id, version_id):
        """Restore an earlier version: a confirmation page showing what would change, then the restore."""
        profile = self._profile_or_404(request, object_id, change=True)
        version = self._version_or_404(profile, version_id)
        if request.method == "POST":
            try:
                expected = int(request.POST.get("version", ""))
            except ValueError:
                expected = -1
            try:
                result = restore_version(profile, version, actor=request.user, expected_version=expected)
            except (history.StaleEdit, RestoreError) as exc:
                messages.error(request, str(exc))
                return redirect(reverse("admin:profiles_profile_history", args=[quote(profile.pk)]))
            when = date_format(timezone.localtime(version.revision.date_created), "DATETIME_FORMAT")
            messages.success(request, _("The version saved on %(when)s is restored.") % {"when": when})
            if result.skipped:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)s link to a source or profile deleted since could not be restored.",
                        "%(count)s links to sources or profiles deleted since could not be restored.",
                        result.skipped,
                    )
                    % {"count": result.skipped},
                )
            return redirect(self._change_url(profile))
        diff = diff_snapshots(current_snapshot(profile), revision_snapshot(version.revision, profile.pk))
        context = self._history_context(request, profile, _("Restore %(name)s") % {"name": profile})
        context.update(version=version, diff=diff, current_version=profile.version)
        return TemplateResponse(request, "admin/profiles/profile/restore.html", context)


    def recoverlist_view(self, request):
        """Deleted profiles, each as last recorded, with who deleted it and when; editors recover them."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Recover deleted profiles"),
            "deleted": [describe_deleted(version) for version in deleted_profiles()[:200]],
            "can_recover": may_recover(request.user),
        }
        return TemplateResponse(request, "admin/profiles/profile/recover_list.html", context)

    def recover_view(self, request, version_id):
        """Recover one deleted profile (POST): the whole graph as last recorded, through `revisions`."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not may_recover(request.user):
            raise PermissionDenied
        version = deleted_profiles().filter(pk=version_id).first()
        if version is None:
            raise Http404(_("No such deleted profile."))
        try:
            result = recover_profile(version, actor=request.user)
        except RestoreError as exc:
            messages.error(request, str(exc))
            return redirect("admin:profiles_profile_recoverlist")
        messages.success(request, _("“%(name)s” is recovered.") % {"name": result.profile})
        if result.skipped:
            messages.warning(
                request,
                ngettext(
                    "%(count)s link to a source or profile deleted since could not be restored.",
                    "%(count)s links to sources or profiles deleted since could not be restored.",
                    result.skipped,
                )
                % {"count": result.skipped},
            )
        return redirect(self._change_url(result.profile))


# Parts edited on their own pages -----------------------------------------------------------


class ProfilePartAdmin(RevisionedAdmin, TranslationAdmin):
    """A part of a profile with its own page: saving it is an edit of its profile."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "profile"] if obj is not None else fields

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        history.profile_saved(form.instance.profile, actor=request.user)

    def delete_model(self, request, obj):
        profile = obj.profile
        super().delete_model(request, obj)
        history.profile_saved(profile, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def _back_to_profile(self, request, obj, default):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return default
        return redirect(reverse("admin:profiles_profile_change", args=[quote(obj.profile_id)]))

    def response_change(self, request, obj):
        return self._back_to_profile(request, obj, super().response_change(request, obj))

    def response_add(self, request, obj, post_url_continue=None):
        return self._back_to_profile(request, obj, super().response_add(request, obj, post_url_continue))


class ClaimEvidenceInline(_EvidenceLinkMixin, TranslationTabularInline):
    form = BilingualForm
    model = ClaimEvidence
    fields = ("evidence", "review", "stance", "note", "position")
    extra = 1
    verbose_name = _("evidence link")
    verbose_name_plural = _("evidence (each link with its note: the evidence basis)")


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
        return _grade_text(claim.score, current_bands()) if claim.pk else "—"

    @admin.display(description=_("explanation"))
    def explanation_text(self, claim):
        return _explanation_html(claim.explanation)


@admin.register(Watchpoint)
class WatchpointAdmin(ProfilePartAdmin):
    form = WatchpointAdminForm
    list_display = ("short_text", "profile", "kind", "status", "review_by", "visibility", "trigger_link")
    list_filter = ("status", "kind", "visibility")
    list_select_related = ("profile",)
    search_fields = ("text_en", "text_zh_hans", "profile__slug", "profile__name_en")
    autocomplete_fields = ("profile",)
    fields = ("profile", ("kind", "status", "review_by", "visibility", "position"), "text", "loaded_version")
    ordering = ("review_by", "id")

    @admin.display(description=_("watchpoint"))
    def short_text(self, watchpoint):
        return str(watchpoint)

    @admin.display(description=_("trigger"))
    def trigger_link(self, watchpoint):
        if watchpoint.status == WatchpointStatus.RESOLVED:
            return "—"
        url = reverse("admin:profiles_watchpoint_trigger", args=[watchpoint.pk])
        return format_html('<a href="{}">{}</a>', url, _("Trigger with evidence…"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/trigger/", view(self.trigger_view), name="profiles_watchpoint_trigger"),
            *super().get_urls(),
        ]

    def trigger_view(self, request, object_id):
        watchpoint = self.get_object(request, unquote(object_id))
        if watchpoint is None:
            raise Http404(_("No such watchpoint."))
        if not self.has_change_permission(request, watchpoint):
            raise PermissionDenied
        form = TriggerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                watchpoints.trigger_watchpoint(
                    watchpoint, form.cleaned_data["evidence"], request.user,
                    note_en=form.cleaned_data["note_en"], note_zh_hans=form.cleaned_data["note_zh_hans"],
                )  # fmt: skip
            except watchpoints.WatchpointError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Watchpoint triggered; the timeline has a new event."))
            return redirect(reverse("admin:profiles_profile_change", args=[quote(watchpoint.profile_id)]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": watchpoint,
            "title": _("Trigger watchpoint"),
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/profiles/watchpoint/trigger.html", context)


# Evidence ------------------------------------------------------------------------------


@admin.register(EvidenceRecord)
class EvidenceRecordAdmin(RevisionedAdmin, TranslationAdmin):
    form = EvidenceRecordForm
    list_display = ("title", "publisher", "kind", "reliability", "review_status", "visibility", "published_on",
                    "citing_claims")  # fmt: skip
    list_filter = ("review_status", "kind", "reliability", "visibility")
    search_fields = ("title_en", "title_zh_hans", "publisher", "url")
    fields = ("title", "url", "publisher", "published_on", ("kind", "reliability"), "excerpt", "language",
              ("review_status", "visibility"), "loaded_fingerprint")  # fmt: skip
    actions = ["mark_reviewed", "mark_rejected"]
    ordering = ("-created_at", "-id")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claims_count=Count("claim_links", distinct=True))

    @admin.display(description=_("cited by claims"), ordering="claims_count")
    def citing_claims(self, record):
        return record.claims_count

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        history.capture(form.instance)
        if change:
            scoring.recompute_for_evidence(form.instance)

    def delete_model(self, request, obj):
        profile_ids = set(Claim.objects.filter(evidence_links__evidence=obj).values_list("profile_id", flat=True))
        super().delete_model(request, obj)
        scoring.recompute_scores(profile_ids)

    def delete_queryset(self, request, queryset):
        for record in queryset:
            self.delete_model(request, record)

    def _review(self, request, queryset, status):
        changed = history.review_evidence(queryset, status, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)s source marked “%(status)s”; the scores citing it are recomputed.",
                "%(count)s sources marked “%(status)s”; the scores citing them are recomputed.",
                changed,
            )
            % {"count": changed, "status": ReviewStatus(status).label},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark the selected sources reviewed (citation checked)"), permissions=["change"])
    def mark_reviewed(self, request, queryset):
        self._review(request, queryset, ReviewStatus.REVIEWED)

    @admin.action(description=_("Mark the selected sources rejected"), permissions=["change"])
    def mark_rejected(self, request, queryset):
        self._review(request, queryset, ReviewStatus.REJECTED)


# The band table ----------------------------------------------------------------------------


@admin.register(ConfidenceBand)
class ConfidenceBandAdmin(admin.ModelAdmin):
    """The band table, edited as one table: saved whole through `replace_band_table` or not at all."""

    def has_add_permission(self, request):
        return False  # rows are added in the table itself

    def has_delete_permission(self, request, obj=None):
        return False  # rows are deleted in the table itself

    def can_edit_table(self, request):
        return request.user.has_perms(
            ["profiles.add_confidenceband", "profiles.change_confidenceband", "profiles.delete_confidenceband"]
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:profiles_confidenceband_changelist")

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        can_edit = self.can_edit_table(request)
        table_errors = []
        if request.method == "POST":
            if not can_edit:
                raise PermissionDenied
            formset = BandTableFormSet(request.POST, prefix="bands")
            if formset.is_valid():
                rows = [form.cleaned_data for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
                try:
                    changed = replace_band_table(rows)
                except confidence.BandTableError as exc:
                    table_errors = exc.problems
                else:
                    messages.success(
                        request,
                        _("The band table is saved (%(count)s bands); every score has been recomputed.")
                        % {"count": len(changed)},
                    )
                    return redirect("admin:profiles_confidenceband_changelist")
        else:
            initial = [
                {name: getattr(band, name) for name in BandRowForm.base_fields}
                for band in ConfidenceBand.objects.order_by("-lower")
            ]
            formset = BandTableFormSet(prefix="bands", initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Confidence bands"),
            "formset": formset,
            "bands": ConfidenceBand.objects.order_by("-lower"),
            "can_edit": can_edit,
            "table_errors": table_errors,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/profiles/confidenceband/band_table.html", context)


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The audit log: editors and superusers read it; nobody adds, edits or deletes an entry."""

    list_display = ["created_at", "kind", "user", "actor", "ip"]
    list_filter = ["kind"]
    search_fields = ["user__username", "actor__username", "ip"]
    list_select_related = ["user", "actor"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "kind", "user", "actor", "ip", "detail"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
