"""How the desk shows a score: each row's band grade and label, and a stored explanation in words.

Shared by the profile page, its claim inline and the claim page.
"""

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from profiles.rules import confidence
from profiles.rules.confidence_sql import band_case
from profiles.selectors.bands import current_bands


def with_grades(queryset):
    """Annotate `grade_now` and `band_label` from the live band table (one query for the table)."""
    bands = current_bands()
    return queryset.annotate(grade_now=band_case(bands, "grade"), band_label=band_case(bands, "label"))


def grade_text(score, bands):
    band = confidence.band_for(score, bands)
    return f"{band.grade} — {band.label}"


def explanation_html(explanation):
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
