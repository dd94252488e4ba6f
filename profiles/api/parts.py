"""A profile's parts as sub-resources: /profiles/<slug>/<part>/ and /profiles/<slug>/<part>/<id>/.

Reads come from the profile graph the audience may see (`visible_*` lists), so
a part the audience may not see is a 404 like a missing one. Writes (staff) go
through `editing`; a write to a part changes the profile, so If-Match takes the
profile's ETag (from any of its representations) and the answer carries the new one.
"""

from dataclasses import dataclass

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import MethodNotAllowed, NotFound
from rest_framework.response import Response

from profiles import parts
from profiles.api import etags, inputs, representation
from profiles.api.schema import IF_MATCH, LANG, part_list_envelope
from profiles.api.shapes import Shape
from profiles.api.views import ApiView
from profiles.models import Claim, ProfileEvidence
from profiles.rules.visibility import profile_graph_queryset
from profiles.services import editing


@dataclass(frozen=True)
class Part:
    """A profile part (`profiles.parts`) as the API serves it: its shapes in and out."""

    part: parts.Part
    label: str
    output: Shape
    input: type[serializers.Serializer]
    deletable: bool = True

    @property
    def name(self):  # the URL segment, as in the interchange document
        return self.part.name

    @property
    def model(self):
        return self.part.model

    @property
    def visible(self):  # the graph's list of visible items
        return self.part.visible_as

    def item_id(self, item):
        return item.evidence_id if self.model is ProfileEvidence else item.pk

    def lookup(self, profile, pk):
        """The stored item (staff writes), or 404."""
        if self.model is ProfileEvidence:
            return get_object_or_404(ProfileEvidence.objects.select_related("profile"), profile=profile, evidence_id=pk)
        owner = self.part.owner
        return get_object_or_404(self.model.objects.select_related(owner), **{owner: profile, "pk": pk})

    def add(self, profile, fields, version):
        if self.model is Claim:
            return editing.add_claim(profile, fields=fields, expected_version=version).pk
        if self.model is ProfileEvidence:
            return editing.add_evidence(profile, fields=fields, expected_version=version).evidence_id
        return editing.add_part(profile, self.model, fields=fields, expected_version=version).pk

    def update(self, item, fields, version):
        if self.model is Claim:
            return editing.update_claim(item, fields=fields, expected_version=version)
        if self.model is ProfileEvidence:
            return editing.update_evidence(item, fields=fields, expected_version=version)
        return editing.update_part(item, fields=fields, expected_version=version)

    def delete(self, item, version):
        if self.model is ProfileEvidence:
            return editing.remove_evidence(item, expected_version=version)
        return editing.delete_part(item, expected_version=version)


PARTS = {
    part.name: part
    for part in (
        Part(parts.CLAIMS, "claim", representation.CLAIM, inputs.ClaimInput, deletable=False),
        Part(parts.SOURCES, "source", representation.EVIDENCE, inputs.EvidenceInput),
        Part(parts.TIMELINE, "timeline event", representation.TIMELINE_EVENT, inputs.TimelineEventInput),
        Part(parts.WATCHPOINTS, "watchpoint", representation.WATCHPOINT, inputs.WatchpointInput),
        Part(parts.RELATIONSHIPS, "relationship", representation.RELATIONSHIP, inputs.RelationshipInput),
        Part(parts.FAQ, "FAQ entry", representation.FAQ_ENTRY, inputs.FaqEntryInput),
    )
}


class PartView(ApiView):
    part: Part = None
    lookup_field = "slug"

    def get_queryset(self):
        return profile_graph_queryset(self.audience)

    def profile(self):
        profile = self.get_object()
        self.etag_profile = profile
        return profile

    def item_data(self, profile, pk):
        for item in getattr(profile, self.part.visible):
            if self.part.item_id(item) == pk:
                return self.part.output.build(item, self.reading().for_profile(profile))
        raise _not_found(self.part)

    def fresh(self, slug):
        """The profile graph again after a write (the caller is staff: it sees every part)."""
        profile = get_object_or_404(profile_graph_queryset(self.audience), slug=slug)
        self.etag_profile = profile
        return profile


def _not_found(part):
    return NotFound(_("No such %(part)s on this profile.") % {"part": part.label})


class PartListView(PartView):
    """GET: the part's items the caller may see. POST: add one (staff; If-Match optional)."""

    def get(self, request, slug):
        profile = self.profile()
        items = getattr(profile, self.part.visible)
        data = self.part.output.build_many(items, self.reading().for_profile(profile))
        return Response({"profile": profile.slug, "results": data})

    def post(self, request, slug):
        profile = self.profile()
        version = etags.expected_version(request, profile, required=False)
        fields = self.validated(self.part.input)
        with self.editing_errors():
            pk = self.part.add(profile, fields, version)
        data = self.item_data(self.fresh(slug), pk)
        location = reverse(f"api:{self.part.name}-detail", kwargs={"slug": slug, "pk": pk})
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": request.build_absolute_uri(location)})


class PartDetailView(PartView):
    """GET: one item. PATCH: change it (If-Match). DELETE: remove it (If-Match)."""

    def get(self, request, slug, pk):
        return Response(self.item_data(self.profile(), pk))

    def http_method_not_allowed(self, request, *args, **kwargs):
        if request.method == "DELETE" and not self.part.deletable:
            raise MethodNotAllowed("DELETE", detail=_("A claim is retracted with a reason, not deleted: PATCH {\"retraction\": {\"reason\": \"…\"}}."))
        return super().http_method_not_allowed(request, *args, **kwargs)

    def patch(self, request, slug, pk):
        profile = self.profile()
        item = self.part.lookup(profile, pk)
        version = etags.expected_version(request, profile, required=True)
        fields = self.validated(self.part.input, partial=True)
        with self.editing_errors():
            self.part.update(item, fields, version)
        return Response(self.item_data(self.fresh(slug), pk))

    def delete(self, request, slug, pk):
        profile = self.profile()
        item = self.part.lookup(profile, pk)
        version = etags.expected_version(request, profile, required=True)
        with self.editing_errors():
            self.part.delete(item, version)
        return Response(status=status.HTTP_204_NO_CONTENT)


def part_views(part):
    """The list and detail view classes of one part, documented for the schema."""
    title = part.name.title()
    allowed = ["get", "patch", "delete", "head", "options"] if part.deletable else ["get", "patch", "head", "options"]
    operation = f"profiles_{part.name}"
    tags = ["profiles"]
    list_view = extend_schema_view(
        get=extend_schema(
            operation_id=f"{operation}_list", tags=tags, parameters=[LANG],
            responses=part_list_envelope(f"{title}List", part.output.serializer),
        ),
        post=extend_schema(
            operation_id=f"{operation}_create", tags=tags, parameters=[IF_MATCH, LANG], request=part.input,
            responses={201: part.output.serializer},
        ),
    )(type(f"{title}ListView", (PartListView,), {"part": part, "__doc__": PartListView.__doc__}))  # fmt: skip
    detail_view = extend_schema_view(
        get=extend_schema(
            operation_id=f"{operation}_retrieve", tags=tags, parameters=[LANG], responses=part.output.serializer,
        ),
        patch=extend_schema(
            operation_id=f"{operation}_update", tags=tags, parameters=[IF_MATCH, LANG], request=part.input,
            responses=part.output.serializer,
        ),
        **(
            {"delete": extend_schema(operation_id=f"{operation}_delete", tags=tags, parameters=[IF_MATCH], responses={204: None})}
            if part.deletable else {}
        ),
    )(type(f"{title}DetailView", (PartDetailView,), {"part": part, "http_method_names": allowed, "__doc__": PartDetailView.__doc__}))  # fmt: skip
    return list_view, detail_view
