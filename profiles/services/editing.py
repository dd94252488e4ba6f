"""Edits to profiles and their parts: validated, versioned, rescored and fed to the changes feed.

Plain functions for the API and the admin. Each edit:

1. locks the profile row and, given `expected_version`, refuses with `StaleProfile`
   when someone else changed the profile meanwhile;
2. applies the change and validates it (`full_clean`, plus the rules below), raising
   `EditError` with messages per field — nothing is written then;
3. raises `Profile.version`, recomputes the stored scores (`scoring.recompute_scores`)
   and appends an entry to the changes feed (`record_changes`).

Values are in the API's shape: a text is `{"en": …, "zh-hans": …}` (only the
languages given are changed; `""` or None clears one), evidence is referred to
by record id and must be among the profile's sources. Status changes go through
`publishing.transition` only, so the workflow's rules (editors publish) hold here too.

Rules decided here: a score override needs a reason and lies in 0.00–1.00
(`confidence.round_score`), a source URL is http(s) (`interchange.normalize_url`),
a relationship never points at its own profile, and a claim is retracted with a
reason rather than deleted.
"""

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.interchange.format import normalize_url
from profiles.models import (
    Briefing,
    Claim,
    ClaimEvidence,
    EvidenceRecord,
    Profile,
    ProfileEvidence,
    ProfileStatus,
    ProfileTopic,
    Relationship,
    TimelineEvent,
    Visibility,
    Watchpoint,
)
from profiles.parts import part_of
from profiles.rules import confidence, languages
from profiles.rules import publishing as publishing_rules
from profiles.rules.visibility import is_public
from profiles.services import history, publishing, scoring


class EditError(Exception):
    """An edit that is not valid; `fields` maps a field name to its messages."""

    def __init__(self, fields):
        self.fields = {name: list(messages) for name, messages in fields.items()}
        super().__init__("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in self.fields.items()))


class StaleProfile(Exception):
    """The profile changed since the version the edit was based on."""


class EditDenied(Exception):
    """The actor may not make this edit (the message says why)."""


# Shared steps -------------------------------------------------------------------


def set_text(obj, name, text):
    """Set the languages given in `text` on a translated field; others are kept."""
    for language, value in (text or {}).items():
        if language in languages.LANGUAGES:
            setattr(obj, languages.column(name, language), value or "")


def _api_name(field):
    """`title_zh_hans` → `title.zh-hans`, the name the caller used."""
    split = languages.split_column(field)
    return f"{split[0]}.{split[1]}" if split else field


def _clean(obj, *, exclude=(), prefix="", renames=None):
    """full_clean() with the model's messages keyed by the caller's field names."""
    try:
        obj.full_clean(exclude=list(exclude), validate_constraints=False, validate_unique=False)
    except ValidationError as exc:
        renames = renames or {}
        raise EditError(
            {prefix + renames.get(name, _api_name(name)): messages for name, messages in exc.message_dict.items()}
        ) from None


@contextmanager
def _editing(profile, *, expected_version=None):
    """Lock the profile, check its version; after the body, finish the edit as every edit is.

    The bookkeeping (version, rescoring, changes feed, history) is `history.profile_saved`,
    shared with the analyst desk.
    """
    with transaction.atomic(), history.versioned(comment="API", manual=True):
        locked = Profile.objects.select_for_update().get(pk=profile.pk)
        if expected_version is not None and locked.version != expected_version:
            raise StaleProfile(_("Someone else changed this profile meanwhile; reload it and try again."))
        public_before = is_public(locked)
        yield locked
        fresh = history.profile_saved(locked, public_before=public_before)
        locked.version, locked.updated_at = fresh.version, fresh.updated_at


def _override(value, prefix):
    """(score, reason) from {"score", "reason"} or None; an override needs a reason."""
    if value is None:
        return None, ""
    errors = {}
    try:
        score = confidence.round_score(value.get("score"))
    except confidence.ScoreError:
        score = None
        errors[f"{prefix}.score"] = [_("A score is a number from 0.00 to 1.00.")]
    reason = (value.get("reason") or "").strip()
    if not reason:
        errors[f"{prefix}.reason"] = [_("An override needs a reason.")]
    if errors:
        raise EditError(errors)
    return score, reason


def _source_ids(profile):
    return set(ProfileEvidence.objects.filter(profile=profile).values_list("evidence_id", flat=True))


def _check_sources(profile, ids, field):
    """Evidence a part cites must be among the profile's sources."""
    known = _source_ids(profile)
    errors = {
        f"{field}[{i}]": [_("Evidence %(id)s is not one of this profile's sources.") % {"id": value}]
        for i, value in enumerate(ids)
        if value not in known
    }
    if len(set(ids)) != len(ids):
        errors[field] = [_("The same evidence is listed twice.")]
    if errors:
        raise EditError(errors)
    return list(ids)


def _next_position(queryset):
    last = queryset.order_by("-position").values_list("position", flat=True).first()
    return 0 if last is None else last + 1


# Profiles -----------------------------------------------------------------------

PROFILE_TEXTS = ("name", "summary", "function", "watch_focus", "public_view", "limitations")
PROFILE_STRINGS = ("category", "region", "focus")
FACET_STRINGS = ("primary_domain", "signal_focus", "content_type")


def _apply_profile_fields(profile, fields, *, new=False):
    """Set a profile's own fields from the API shape; return (topics or None, briefing change)."""
    for name in PROFILE_TEXTS:
        if name in fields:
            set_text(profile, name, fields[name])
    for name in PROFILE_STRINGS:
        if name in fields:
            setattr(profile, name, fields[name] or "")
    if "aliases" in fields:
        profile.aliases = list(fields["aliases"] or [])
    facets = fields.get("facets") or {}
    for name in FACET_STRINGS:
        if name in facets:
            setattr(profile, name, facets[name] or "")
    importance = fields.get("importance") or {}
    if "statement" in importance:
        set_text(profile, "importance_statement", importance["statement"])
    for name in ("criticality", "time_horizon", "impact"):
        if name in importance:
            setattr(profile, name, importance[name] or "")
    if "score_override" in fields:
        profile.score_override, profile.override_reason = _override(fields["score_override"], "score_override")
    renames = {"importance_statement": "importance.statement", **{name: f"facets.{name}" for name in FACET_STRINGS}}
    _clean(profile, exclude=[] if new else ["slug"], renames=renames)
    return facets.get("topics"), fields.get("briefing", ...)


def _write_topics(profile, topics):
    if topics is None:
        return
    if len(set(topics)) != len(topics):
        raise EditError({"facets.topics": [_("A topic is listed twice.")]})
    ProfileTopic.objects.filter(profile=profile).delete()
    ProfileTopic.objects.bulk_create(ProfileTopic(profile=profile, name=name, position=i) for i, name in enumerate(topics))


def _write_briefing(profile, briefing):
    """`...` leaves the briefing alone, None removes it, a mapping creates or changes it."""
    if briefing is ...:
        return
    if briefing is None:
        Briefing.objects.filter(profile=profile).delete()
        return
    record = Briefing.objects.filter(profile=profile).first() or Briefing(profile=profile)
    for name in ("title", "body", "source_notes"):
        if name in briefing:
            set_text(record, name, briefing[name])
    if briefing.get("visibility"):
        record.visibility = briefing["visibility"]
    if record.visibility == Visibility.PUBLIC:
        raise EditError({"briefing.visibility": [_('A briefing is "members" or "internal", never "public".')]})
    _clean(record, exclude=["profile"], prefix="briefing.")
    record.save()


def create_profile(*, slug, kind, fields, actor=None):
    """Create a draft profile; return it. `fields` as for `update_profile` (without status)."""
    status = fields.get("status") or ProfileStatus.DRAFT
    if status != ProfileStatus.DRAFT:
        raise EditError({"status": [_("A new profile starts as a draft; move it through the workflow afterwards.")]})
    with transaction.atomic():
        if Profile.objects.filter(slug=slug).exists():
            raise EditError({"slug": [_("A profile with this slug exists already.")]})
        profile = Profile(slug=slug, kind=kind, status=ProfileStatus.DRAFT)
        topics, briefing = _apply_profile_fields(profile, fields, new=True)
        profile.save()
        _write_topics(profile, topics)
        _write_briefing(profile, briefing)
        with history.versioned(actor=actor, comment="API", manual=True):
            profile = history.profile_saved(profile, actor=actor, created=True, public_before=False)
    return profile


def update_profile(profile, *, fields, actor, expected_version=None):
    """Change a profile's own fields and, through the workflow, its status; return it fresh.

    Both happen in one transaction: a refused status move leaves the fields unchanged too.
    """
    fields = dict(fields)
    status = fields.pop("status", None)
    with transaction.atomic():
        if fields:
            with _editing(profile, expected_version=expected_version) as locked:
                topics, briefing = _apply_profile_fields(locked, fields)
                locked.save()
                _write_topics(locked, topics)
                _write_briefing(locked, briefing)
        current = Profile.objects.select_for_update().get(pk=profile.pk)
        if not fields and expected_version is not None and current.version != expected_version:
            raise StaleProfile(_("Someone else changed this profile meanwhile; reload it and try again."))
        if status is not None and status != current.status:
            change_status(current, status, actor=actor, expected_version=current.version)
        return Profile.objects.get(pk=profile.pk)


def change_status(profile, to_status, *, actor, expected_version=None, note=""):
    """Move a profile through the workflow (`publishing.transition`).

    A move the workflow does not have is an `EditError` on `status`; a profile changed
    meanwhile is `StaleProfile`; a move the actor may not make is `EditDenied` with the
    workflow's reason.
    """
    try:
        return publishing.transition(profile, to_status, actor=actor, note=note, expected_version=expected_version)
    except publishing_rules.NoSuchMove as exc:
        raise EditError({"status": [str(exc)]}) from None
    except publishing_rules.StaleVersion as exc:
        raise StaleProfile(str(exc)) from None
    except publishing_rules.TransitionError as exc:
        raise EditDenied(str(exc)) from None


def delete_profile(profile, *, actor=None, expected_version=None):
    """Delete a profile; the changes feed keeps a tombstone with its slug."""
    with transaction.atomic():
        locked = Profile.objects.select_for_update().get(pk=profile.pk)
        if expected_version is not None and locked.version != expected_version:
            raise StaleProfile(_("Someone else changed this profile meanwhile; reload it and try again."))
        cited = list(ClaimEvidence.objects.filter(claim__profile=locked).values_list("evidence_id", flat=True))
        history.profile_deleted(locked, public_before=is_public(locked), actor=actor)
        locked.delete()
        _rescore_sharers(cited)


def _rescore_sharers(evidence_ids):
    profile_ids = set(
        Claim.objects.filter(evidence_links__evidence_id__in=evidence_ids).values_list("profile_id", flat=True)
    )
    if profile_ids:
        scoring.recompute_scores(profile_ids)


# Evidence -----------------------------------------------------------------------

EVIDENCE_STRINGS = ("publisher", "kind", "reliability", "language", "review_status", "visibility", "published_on")


def _apply_evidence_fields(record, fields):
    set_text(record, "title", fields.get("title"))
    set_text(record, "excerpt", fields.get("excerpt"))
    for name in EVIDENCE_STRINGS:
        if name in fields:
            value = fields[name]
            setattr(record, name, value if value is not None or name == "published_on" else "")
    if "url" in fields:
        url = (fields["url"] or "").strip()
        normal = normalize_url(url) if url else ""
        if url and normal is None:
            raise EditError({"url": [_("Use an http:// or https:// address.")]})
        record.url, record.normalized_url = url, normal
    record.updated_at = timezone.now()
    _clean(record)


def _unique_key(profile, wanted=None):
    keys = set(ProfileEvidence.objects.filter(profile=profile).values_list("key", flat=True))
    if wanted:
        if wanted in keys:
            raise EditError({"key": [_("This key is used by another source of this profile.")]})
        return wanted
    number = len(keys) + 1
    while f"e{number}" in keys:
        number += 1
    return f"e{number}"


def add_evidence(profile, *, fields, expected_version=None):
    """List a source on the profile: an existing record with the same normalised URL is reused."""
    with _editing(profile, expected_version=expected_version) as locked:
        url = (fields.get("url") or "").strip()
        record = None
        if url and normalize_url(url):
            record = EvidenceRecord.objects.filter(normalized_url=normalize_url(url)).first()
        if record is not None and ProfileEvidence.objects.filter(profile=locked, evidence=record).exists():
            raise EditError({"url": [_("This source is already listed on this profile.")]})
        record = record or EvidenceRecord()
        if record.pk:
            fields = {name: value for name, value in fields.items() if name != "url"}
        _apply_evidence_fields(record, fields)
        record.save()
        link = ProfileEvidence.objects.create(
            profile=locked,
            evidence=record,
            key=_unique_key(locked, fields.get("key")),
            position=_next_position(ProfileEvidence.objects.filter(profile=locked)),
        )
    scoring.recompute_for_evidence(record)
    return link


def update_evidence(link, *, fields, expected_version=None):
    """Change a listed source (a shared record: every profile citing it is rescored)."""
    with _editing(link.profile, expected_version=expected_version) as locked:
        link = ProfileEvidence.objects.select_related("evidence").get(pk=link.pk)
        record = link.evidence
        _apply_evidence_fields(record, fields)
        if record.normalized_url and (
            EvidenceRecord.objects.filter(normalized_url=record.normalized_url).exclude(pk=record.pk).exists()
        ):
            raise EditError({"url": [_("Another source in the registry has this address.")]})
        record.save()
        if fields.get("key") and fields["key"] != link.key:
            link.key = _unique_key(locked, fields["key"])
            link.save(update_fields=["key"])
    scoring.recompute_for_evidence(record)
    return link


def remove_evidence(link, *, expected_version=None):
    """Take a source off the profile, with this profile's citations of it (the record stays)."""
    with _editing(link.profile, expected_version=expected_version) as locked:
        record_id = link.evidence_id
        ClaimEvidence.objects.filter(claim__profile=locked, evidence_id=record_id).delete()
        cited = {"evidencerecord_id": record_id}
        TimelineEvent.evidence.through.objects.filter(timelineevent__profile=locked, **cited).delete()
        Watchpoint.triggered_by.through.objects.filter(watchpoint__profile=locked, **cited).delete()
        Relationship.evidence.through.objects.filter(relationship__source=locked, **cited).delete()
        ProfileEvidence.objects.filter(pk=link.pk).delete()


# Claims -------------------------------------------------------------------------


def _apply_claim_fields(profile, claim, fields):
    for name in ("section", "visibility"):
        if name in fields:
            setattr(claim, name, fields[name])
    if "verified" in fields:
        claim.verified = bool(fields["verified"])
    set_text(claim, "text", fields.get("text"))
    if "score_override" in fields:
        claim.score_override, claim.override_reason = _override(fields["score_override"], "score_override")
    if "retraction" in fields:
        retraction = fields["retraction"]
        if retraction is None:
            claim.retracted_at, claim.retraction_reason = None, ""
        else:
            reason = (retraction.get("reason") or "").strip()
            if not reason:
                raise EditError({"retraction.reason": [_("A retraction needs a reason.")]})
            claim.retracted_at = claim.retracted_at or timezone.now()
            claim.retraction_reason = reason
    _clean(claim, exclude=["profile"])


def _write_claim_evidence(profile, claim, links):
    if links is None:
        return
    ids = _check_sources(profile, [link["evidence"] for link in links], "evidence")
    ClaimEvidence.objects.filter(claim=claim).delete()
    for position, (record_id, link) in enumerate(zip(ids, links)):
        item = ClaimEvidence(claim=claim, evidence_id=record_id, stance=link.get("stance") or "supports",
                             position=position)  # fmt: skip
        set_text(item, "note", link.get("note"))
        _clean(item, exclude=["claim", "evidence"], prefix=f"evidence[{position}].")
        item.save()


def add_claim(profile, *, fields, expected_version=None):
    with _editing(profile, expected_version=expected_version) as locked:
        claim = Claim(profile=locked, position=_next_position(Claim.objects.filter(profile=locked)))
        _apply_claim_fields(locked, claim, fields)
        claim.save()
        _write_claim_evidence(locked, claim, fields.get("evidence"))
    return Claim.objects.get(pk=claim.pk)


def update_claim(claim, *, fields, expected_version=None):
    with _editing(claim.profile, expected_version=expected_version) as locked:
        claim = Claim.objects.get(pk=claim.pk)
        _apply_claim_fields(locked, claim, fields)
        claim.save()
        _write_claim_evidence(locked, claim, fields.get("evidence"))
    return Claim.objects.get(pk=claim.pk)


# Timeline, watchpoints, FAQ, relationships --------------------------------------


def _apply_simple(obj, fields, *, texts, plain, exclude):
    for name in texts:
        set_text(obj, name, fields.get(name))
    for name in plain:
        if name in fields:
            setattr(obj, name, fields[name])
    _clean(obj, exclude=exclude)


def _owner(obj):
    return getattr(obj, part_of(type(obj)).owner)


def _check_relationship(profile, relationship, fields):
    if "target" in fields:
        target = Profile.objects.filter(slug=fields["target"]).first()
        if target is None:
            raise EditError({"target": [_("There is no profile with this slug.")]})
        relationship.target = target
    if relationship.target_id is None:
        raise EditError({"target": [_("This field is required.")]})
    if relationship.target_id == profile.pk:
        raise EditError({"target": [_("A profile cannot be related to itself.")]})
    duplicate = Relationship.objects.filter(source=profile, target_id=relationship.target_id, kind=relationship.kind)
    if duplicate.exclude(pk=relationship.pk).exists():
        raise EditError({"kind": [_("This relationship to that profile exists already.")]})


def _save_part(profile, obj, fields):
    part = part_of(type(obj))
    if isinstance(obj, Relationship):
        _check_relationship(profile, obj, fields)
    _apply_simple(obj, fields, texts=part.texts, plain=part.plain, exclude=[part.owner, "target"])
    obj.save()
    if part.evidence and part.evidence in fields:
        getattr(obj, part.evidence).set(_check_sources(profile, list(fields[part.evidence] or []), part.evidence))
    return obj


def add_part(profile, model, *, fields, expected_version=None):
    """Add a timeline event, watchpoint, FAQ entry or relationship to a profile."""
    part = part_of(model)
    if not part.edited_one_by_one:
        raise ValueError(f"{model.__name__} is not added on its own")
    owner = part.owner
    with _editing(profile, expected_version=expected_version) as locked:
        obj = model(**{owner: locked})
        obj.position = _next_position(model.objects.filter(**{owner: locked}))
        _save_part(locked, obj, fields)
    return model.objects.get(pk=obj.pk)


def update_part(obj, *, fields, expected_version=None):
    with _editing(_owner(obj), expected_version=expected_version) as locked:
        obj = type(obj).objects.get(pk=obj.pk)
        _save_part(locked, obj, fields)
    return type(obj).objects.get(pk=obj.pk)


def delete_part(obj, *, expected_version=None):
    """Delete a timeline event, watchpoint, FAQ entry or relationship (claims are retracted instead)."""
    if isinstance(obj, Claim):
        raise EditError({"retraction": [_("A claim is retracted with a reason, not deleted.")]})
    with _editing(_owner(obj), expected_version=expected_version):
        type(obj).objects.filter(pk=obj.pk).delete()
