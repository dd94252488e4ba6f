"""The profile pages of the desk: the list, the form with its inlines, the workflow buttons,
the previews, and the history views (history, compare, restore, recover a deleted profile).

Workflow moves: the buttons come from `rules.publishing.allowed_moves`, the move itself is
`services.publishing.transition`; saved edits go through `history.profile_saved`; history
is read through `selectors.history` and restored through `services.recovery`; previews
are `views.preview`.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from profiles.admin.base import RevisionedAdmin
from profiles.admin.display import explanation_html, with_grades
from profiles.admin.filters import GradeListFilter, PendingEvidenceListFilter, StaleListFilter
from profiles.admin.forms import ProfileForm
from profiles.admin.inlines import (
    BriefingInline,
    ClaimInline,
    FaqEntryInline,
    ProfileEvidenceInline,
    ProfileTopicInline,
    RelationshipInline,
    TimelineEventInline,
    WatchpointInline,
)
from profiles.models import Profile, ProfileStatus
from profiles.rules import publishing as publishing_rules
from profiles.rules.visibility import is_public
from profiles.selectors.history import current_snapshot, diff_snapshots, profile_versions, revision_snapshot, version_of
from profiles.services import history, publishing
from profiles.services.recovery import (
    RestoreError,
    deleted_profiles,
    describe_deleted,
    may_recover,
    recover_profile,
    restore_version,
)
from profiles.web.views import preview

MOVE_LABELS = {
    "submit": _("Submit for review"),
    "publish": _("Publish"),
    "return": _("Return to draft"),
    "archive": _("Archive"),
    "unpublish": _("Unpublish (back to draft)"),
    "restore": _("Reopen as draft"),
}


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
        return with_grades(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.published_at is not None:
            fields.append("slug")  # a published profile's address stays stable
        return fields

    def view_on_site(self, obj):
        return obj.get_absolute_url() if is_public(obj) else None

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
        return explanation_html(profile.explanation)

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
            _warn_skipped(request, result)
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
        _warn_skipped(request, result)
        return redirect(self._change_url(result.profile))


def _warn_skipped(request, result):
    """Say how many links a restore or recovery left out (their source or profile is gone)."""
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
