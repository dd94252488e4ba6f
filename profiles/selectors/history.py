"""Reading a profile's history: its recorded versions, snapshots of its graph, and diffs between them."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import gettext
from reversion.models import Version

from profiles.models import (
    Briefing,
    Claim,
    ClaimEvidence,
    EvidenceRecord,
    FaqEntry,
    Profile,
    ProfileEvidence,
    ProfileTopic,
    Relationship,
    TimelineEvent,
    Watchpoint,
)
from profiles.parts import GRAPH_MODELS, PARTS
from profiles.services.history import graph_objects, live_values

# Not worth showing in a diff: bookkeeping and derived detail.
UNSHOWN_FIELDS = {"id", "profile", "source", "claim", "explanation", "policy_version", "updated_at",
                  "version", "created_at", "normalized_url"}  # fmt: skip


# Reading history ------------------------------------------------------------------


def profile_versions(profile):
    """The recorded versions of a profile, newest first, with who made them."""
    return (
        Version.objects.get_for_object(profile)
        .select_related("revision", "revision__user")
        .order_by("-revision__date_created", "-pk")
    )


def version_of(profile, version_id):
    """One recorded version of this profile, or None."""
    return profile_versions(profile).filter(pk=version_id).first()


@dataclass
class Snapshot:
    """A profile graph at one moment: field values by (model, primary key)."""

    profile_id: int
    objects: dict = field(default_factory=dict)  # (model, pk) -> {field name: value}
    versions: dict = field(default_factory=dict)  # (model, pk) -> Version (recorded snapshots)

    @property
    def profile(self):
        return self.objects.get((Profile, self.profile_id))


def _fk_value(values, model, fk):
    return values.get(model._meta.get_field(fk).attname)


def _in_graph(candidates, profile_id):
    """Keep the entries of (model, pk) → values that belong to this profile's graph."""
    kept = {key: value for key, value in candidates.items() if key == (Profile, profile_id)}
    for part in PARTS:
        kept.update(
            {key: values for key, values in candidates.items()
             if key[0] is part.model and _fk_value(values, part.model, part.owner) == profile_id}
        )  # fmt: skip
    claims = {pk for model, pk in kept if model is Claim}
    kept.update(
        {key: values for key, values in candidates.items()
         if key[0] is ClaimEvidence and _fk_value(values, ClaimEvidence, "claim") in claims}
    )  # fmt: skip
    return kept


def _key(model, object_id):
    return (model, model._meta.pk.to_python(object_id))


def revision_snapshot(revision, profile_id):
    """The profile graph as recorded in a revision."""
    versions = {}
    for version in revision.version_set.select_related("content_type"):
        model = version.content_type.model_class()
        if model in GRAPH_MODELS:
            versions[_key(model, version.object_id)] = version
    values = {key: version.field_dict for key, version in versions.items()}
    kept = _in_graph(values, profile_id)
    return Snapshot(profile_id, kept, {key: versions[key] for key in kept})


def current_snapshot(profile):
    """The profile graph as stored now."""
    objects = {(type(obj), obj.pk): live_values(obj) for obj in graph_objects(profile)}
    return Snapshot(profile.pk, objects)


# Diffs ------------------------------------------------------------------------------

LANGUAGE_NAMES = dict(settings.LANGUAGES)


@dataclass
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class PartChange:
    action: str  # "added", "removed", "changed"
    kind: str
    description: str
    changes: list = field(default_factory=list)


@dataclass
class ProfileDiff:
    fields: list
    parts: list

    @property
    def is_empty(self):
        return not self.fields and not self.parts


def _label(model, name):
    model_field = model._meta.get_field(name)
    original = getattr(model_field, "translated_field", None)
    if original is not None:
        language = LANGUAGE_NAMES.get(model_field.language, model_field.language)
        return f"{capfirst(original.verbose_name)} ({language})"
    return str(capfirst(model_field.verbose_name))


class _Names:
    """Titles of the evidence records and names of the profiles two snapshots refer to."""

    def __init__(self, snapshots):
        evidence, profiles = set(), set()
        for snapshot in snapshots:
            for (model, _pk), values in snapshot.objects.items():
                for name, value in values.items():
                    target = related_model(model, name)
                    ids = value if isinstance(value, list) else [value]
                    if target is EvidenceRecord:
                        evidence.update(i for i in ids if i is not None)
                    elif target is Profile:
                        profiles.update(i for i in ids if i is not None)
        self.evidence = dict(EvidenceRecord.objects.filter(pk__in=evidence).values_list("pk", "title_en"))
        self.profiles = dict(Profile.objects.filter(pk__in=profiles).values_list("pk", "name_en"))

    def of(self, model, pk):
        names = self.evidence if model is EvidenceRecord else self.profiles
        return names.get(pk) or gettext("deleted record #%(id)s") % {"id": pk}


def related_model(model, name):
    try:
        model_field = model._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
    except Exception:  # noqa: BLE001 — a column that no longer exists is shown as it was stored
        return None
    return model_field.related_model if model_field.is_relation else None


def _empty(value):
    return value is None or value == "" or value == []


def _shown(model, name, value, names):
    model_field = model._meta.get_field(name)
    if _empty(value):
        return "—"
    if model_field.is_relation:
        target = model_field.related_model
        if target in (EvidenceRecord, Profile):
            ids = value if isinstance(value, list) else [value]
            return "; ".join(names.of(target, pk) for pk in sorted(ids))
        return str(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _field_changes(model, before, after, names):
    changes = []
    for model_field in model._meta.get_fields():
        name = getattr(model_field, "name", None)
        if name in UNSHOWN_FIELDS or not getattr(model_field, "concrete", False):
            continue
        key = model_field.attname
        if key not in before and key not in after:
            continue
        old, new = before.get(key), after.get(key)
        if isinstance(old, list) and isinstance(new, list) and model_field.many_to_many:
            old, new = sorted(old), sorted(new)
        if old != new and not (_empty(old) and _empty(new)):
            changes.append(
                FieldChange(_label(model, name), _shown(model, name, old, names), _shown(model, name, new, names))
            )
    return changes


def _describe(model, values, names):
    """A short, recognisable description of one part."""
    text = {
        ProfileTopic: lambda: values.get("name", ""),
        ProfileEvidence: lambda: names.of(EvidenceRecord, values.get("evidence_id")),
        Claim: lambda: values.get("text_en") or values.get("text_zh_hans") or "",
        ClaimEvidence: lambda: names.of(EvidenceRecord, values.get("evidence_id")),
        TimelineEvent: lambda: f"{values.get('date')} {values.get('title_en') or values.get('title_zh_hans') or ''}",
        Watchpoint: lambda: values.get("text_en") or values.get("text_zh_hans") or "",
        Briefing: lambda: values.get("title_en") or values.get("title_zh_hans") or "",
        Relationship: lambda: names.of(Profile, values.get("target_id")),
        FaqEntry: lambda: values.get("question_en") or values.get("question_zh_hans") or "",
    }[model]()
    text = str(text)
    return text if len(text) <= 90 else text[:89] + "…"


def diff_snapshots(before, after):
    """A readable diff of two snapshots of one profile: its fields, then parts added, removed, changed."""
    names = _Names([before, after])
    profile_fields = _field_changes(Profile, before.profile or {}, after.profile or {}, names)
    parts = []
    keys = [key for key in before.objects if key[0] is not Profile]
    keys += [key for key in after.objects if key[0] is not Profile and key not in before.objects]
    order = {model: index for index, model in enumerate(GRAPH_MODELS)}
    for model, pk in sorted(keys, key=lambda key: (order[key[0]], key[1])):
        old, new = before.objects.get((model, pk)), after.objects.get((model, pk))
        kind = str(capfirst(model._meta.verbose_name))
        if old is None:
            parts.append(PartChange("added", kind, _describe(model, new, names), _field_changes(model, {}, new, names)))
        elif new is None:
            parts.append(PartChange("removed", kind, _describe(model, old, names)))
        else:
            changes = _field_changes(model, old, new, names)
            if changes:
                parts.append(PartChange("changed", kind, _describe(model, new, names), changes))
    return ProfileDiff(profile_fields, parts)
