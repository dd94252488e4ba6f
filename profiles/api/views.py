"""API v1 views: parse the request, ask the registry's modules, represent the answer.

Every read starts from `visibility` (`profile_graph_queryset(audience)` for a
profile and its parts, `visible_profiles(audience)` for lists), so each endpoint
runs a fixed number of queries and shows only what the caller's audience may see.
Writes call `editing`, `publishing` (through `editing.change_status`) and
`interchange`; `ApiView.finalize_response` adds ETags and answers If-None-Match.
Responses are built by the shapes in `representation`, read with the request's
`ApiView.reading()`; their `.serializer` classes are only for the schema.

Anonymous reads are kept in the shared cache under the page cache's generation
(`page_cache.may_read_api_cache`): after authentication and throttling, a stored response
for the same URL, language and media type answers without running the view. Every
response for a member or staff caller, errors and 304s included, is `Cache-Control:
private` by the pages' rule (`page_cache.depends_on_caller`, `page_cache.mark_private`).
"""

from contextlib import contextmanager

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponseNotModified
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.metadata import SimpleMetadata
from rest_framework.response import Response

from profiles.api import etags, filters, pagination
from profiles.api.errors import Denied, Invalid, RequestTooLarge
from profiles.api.inputs import ProfileCreateInput, ProfileUpdateInput
from profiles.api.reading import ALL, Reading
from profiles.api.representation import CONFIDENCE_BAND, PROFILE_DETAIL, PROFILE_SUMMARY
from profiles.api.schema import IF_MATCH, LANG, ROOT, results_of
from profiles.models import ConfidenceBand, ProfileTopic
from profiles.rules.languages import LANGUAGES
from profiles.rules.visibility import ANONYMOUS, Audience, profile_graph_queryset, visible_profiles
from profiles.selectors.bands import current_bands
from profiles.services import editing
from registry.infra import page_cache
from registry.infra.generation import invalidation_pending, is_settled

LANGUAGE_CHOICES = (*LANGUAGES, ALL)

LIST_PARAMETERS = [
    *(
        OpenApiParameter(
            dimension.name,
            str,
            enum=list(dimension.choices.values) if dimension.choices else None,
            description=("Staff only. " if dimension.staff_only else "") + f"Only profiles with this {dimension.name}.",
        )
        for dimension in filters.browsing.DIMENSIONS
    ),
    OpenApiParameter("q", str, description="Search names, aliases, summaries and the claims you may see."),
    OpenApiParameter("updated_since", str, description="ISO 8601 date or date-time: profiles updated at or after it."),
    OpenApiParameter("ordering", str, enum=list(filters.ORDERINGS), description="Default -updated_at."),
    OpenApiParameter("page_size", int, description=f"1–{filters.MAX_PAGE_SIZE}, default {filters.DEFAULT_PAGE_SIZE}."),
    OpenApiParameter("cursor", str, description="From the previous page's `cursor` (or use its `next` URL)."),
    LANG,
]
ProfilePage = inline_serializer(
    "ProfilePage",
    fields={
        "next": serializers.URLField(allow_null=True),
        "cursor": serializers.CharField(allow_null=True),
        "results": PROFILE_SUMMARY.serializer(many=True),
    },
)


class CanWrite(permissions.BasePermission):
    """Anyone may read; writes need a staff account (analyst or editor) with the model permission."""

    message = _("Writes need an analyst or editor account (a staff token or session).")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or not hasattr(view, request.method.lower()):
            return True  # reads are for everyone; a method the endpoint lacks is its 405
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        needed = view.write_permissions.get(request.method, ("profiles.change_profile",))
        if not user.has_perms(needed):
            self.message = _("Your role may not do this (it needs: %(perms)s).") % {"perms": ", ".join(needed)}
            return False
        return True


class ApiMetadata(SimpleMetadata):
    """OPTIONS: the endpoint's name, description and media types (the schema has the rest)."""

    def determine_metadata(self, request, view):
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": request.build_absolute_uri(reverse("api:schema")),
        }


class CachedResponse(Exception):
    """A stored response answers the request: raised once the caller is authenticated and throttled."""

    def __init__(self, response):
        super().__init__()
        self.response = response


class ApiView(GenericAPIView):
    """The common ground of every endpoint: audience, language, size limit, ETags, anonymous cache."""

    metadata_class = ApiMetadata
    permission_classes = [CanWrite]
    write_permissions = {}
    etag_profile = None  # set by views whose representation belongs to one profile
    # The query parameters a read uses: a response to any other is not stored.
    cache_params = frozenset({"lang"})
    cache_key = cache_generation = None
    cache_hit = False

    def initial(self, request, *args, **kwargs):
        self._check_size(request)
        for name, values in request.query_params.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                # PostgreSQL cannot compare such a string: refuse it before any query.
                field = name.replace("\x00", "") or "query"
                raise Invalid(_("Query parameters may not contain NUL characters."), {field: [_("Contains a NUL character.")]})
        super().initial(request, *args, **kwargs)
        self.audience = Audience.for_request(request)
        self.lang = self._language(request)
        self._read_cache(request)

    def _read_cache(self, request):
        """Answer an anonymous read from the cache, or note where to store its response."""
        if self.audience != ANONYMOUS or not page_cache.may_read_api_cache(request):
            return
        key = page_cache.api_key(request, language=self.lang, media_type=request.accepted_media_type)
        generation, stored = page_cache.read_page(key)
        if stored is not None:
            raise CachedResponse(page_cache.response_from(stored))
        self.cache_key, self.cache_generation = key, generation

    def handle_exception(self, exc):
        if isinstance(exc, CachedResponse):
            self.cache_hit = True
            return exc.response
        return super().handle_exception(exc)

    def _check_size(self, request):
        limit = settings.API_MAX_REQUEST_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            raise RequestTooLarge(_("The request body is larger than %(limit)s bytes.") % {"limit": limit})

    def _language(self, request):
        lang = request.query_params.get("lang")
        if lang:
            if lang not in LANGUAGE_CHOICES:
                raise Invalid(_("Unknown language."), {"lang": [_("One of: en, zh-hans, all.")]})
            return lang
        active = translation.get_language() or "en"
        return "zh-hans" if active.startswith("zh") else "en"

    def reading(self):
        """How this request reads texts, grades and URLs for its response (see `reading`)."""
        return Reading(lang=self.lang, bands=self.bands(), audience=self.audience, request=self.request)

    def bands(self):
        """{language: bands} for the languages the response shows, from the shared cache.

        The cached table is replaced by every invalidation (a band table change among them),
        and holds both languages: a warm cache costs no query, even for lang=all. After a
        write in the same transaction the table is read itself (the cache learns on commit).
        """
        if not hasattr(self, "_bands"):
            cached = not invalidation_pending()
            self._bands = {}
            for language in LANGUAGES if self.lang == ALL else (self.lang,):
                with translation.override(language):
                    self._bands[language] = current_bands(cached=cached)
        return self._bands

    @contextmanager
    def editing_errors(self):
        """The editing module's refusals as API errors."""
        try:
            yield
        except editing.EditError as exc:
            raise Invalid(_("Some fields are not valid."), exc.fields) from None
        except editing.StaleProfile:
            raise etags.PreconditionFailed() from None
        except editing.EditDenied as exc:
            raise Denied(str(exc)) from None

    def validated(self, serializer_class, *, partial=False):
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Accept-Language", "Authorization", "Cookie"])
        if page_cache.depends_on_caller(request, response):
            page_cache.mark_private(response)
        lang = getattr(self, "lang", None)
        if lang in LANGUAGES:
            response["Content-Language"] = lang
        if self.cache_hit:
            return self._conditional(request, response)
        if 200 <= response.status_code < 300 and response.status_code != 204 and hasattr(response, "render"):
            response.render()
            profile = self.etag_profile
            etag = etags.profile_etag(profile, response.content) if profile else etags.content_etag(response.content)
            response["ETag"] = etag
            if self.cache_key and page_cache.may_store_api(request, response, self.cache_params):
                if is_settled(self.cache_generation):
                    page_cache.store_page(self.cache_key, self.cache_generation, page_cache.stored_form(response))
            if request.method in ("GET", "HEAD") and response.status_code == 200:
                return self._conditional(request, response)
        return response

    def _conditional(self, request, response):
        """304 when If-None-Match names the response's ETag, with its ETag, Vary, Content-Language and Cache-Control."""
        etag = response.get("ETag")
        if not etag or not etags.not_modified(request, etag):
            return response
        not_modified = HttpResponseNotModified()
        for header in ("ETag", "Vary", "Content-Language", "Cache-Control"):
            if header in response:
                not_modified[header] = response[header]
        return not_modified


# Profiles ----------------------------------------------------------------------------


class ProfileListView(ApiView):
    """GET: the profiles the caller may see, filtered, searched and cursor-paginated. POST: a new draft."""

    write_permissions = {"POST": ("profiles.add_profile",)}
    cache_params = frozenset(
        {dimension.name for dimension in filters.browsing.DIMENSIONS}
        | {"q", "updated_since", "ordering", "page_size", "cursor", "lang"}
    )

    def get_queryset(self):
        topics = Prefetch("topic_links", queryset=ProfileTopic.objects.all(), to_attr="topics_list")
        return visible_profiles(self.audience).prefetch_related(topics)

    @extend_schema(operation_id="profiles_list", parameters=LIST_PARAMETERS, responses=ProfilePage)
    def get(self, request):
        bands = self.bands()[LANGUAGES[0] if self.lang == ALL else self.lang]
        filter_values, query, updated_since, ordering, size = filters.read_list_query(
            request.query_params, audience=self.audience, bands=bands
        )
        profiles = filters.filter_profiles(
            self.get_queryset(), filters=filter_values, query=query, updated_since=updated_since,
            audience=self.audience, bands=bands,
        )  # fmt: skip
        rows, cursor = pagination.paginate(
            profiles, ordering=ordering, columns=filters.ORDERINGS[ordering],
            cursor=request.query_params.get("cursor"), size=size,
        )  # fmt: skip
        next_url = None
        if cursor:
            params = request.query_params.copy()
            params["cursor"] = cursor
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        results = PROFILE_SUMMARY.build_many(rows, self.reading())
        return Response({"next": next_url, "cursor": cursor, "results": results})

    @extend_schema(
        operation_id="profiles_create", request=ProfileCreateInput, responses={201: PROFILE_DETAIL.serializer},
        parameters=[LANG],
    )  # fmt: skip
    def post(self, request):
        data = dict(self.validated(ProfileCreateInput))
        slug, kind = data.pop("slug"), data.pop("kind")
        with self.editing_errors():
            profile = editing.create_profile(slug=slug, kind=kind, fields=data, actor=request.user)
        response = profile_detail_response(self, profile.slug, status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(reverse("api:profile-detail", kwargs={"slug": slug}))
        return response


def profile_detail_response(view, slug, *, status=status.HTTP_200_OK):
    profile = get_object_or_404(profile_graph_queryset(view.audience), slug=slug)
    view.etag_profile = profile
    return Response(PROFILE_DETAIL.build(profile, view.reading()), status=status)


class ProfileDetailView(ApiView):
    """GET: one profile as the caller may see it. PATCH: change it (If-Match). DELETE: remove it (If-Match)."""

    lookup_field = "slug"
    write_permissions = {"PATCH": ("profiles.change_profile",), "DELETE": ("profiles.delete_profile",)}

    def get_queryset(self):
        return profile_graph_queryset(self.audience)

    @extend_schema(operation_id="profiles_retrieve", parameters=[LANG], responses=PROFILE_DETAIL.serializer)
    def get(self, request, slug):
        profile = self.get_object()
        self.etag_profile = profile
        return Response(PROFILE_DETAIL.build(profile, self.reading()))

    @extend_schema(
        operation_id="profiles_update", request=ProfileUpdateInput, responses=PROFILE_DETAIL.serializer, parameters=[IF_MATCH, LANG]
    )
    def patch(self, request, slug):
        profile = self.get_object()
        version = etags.expected_version(request, profile, required=True)
        data = self.validated(ProfileUpdateInput, partial=True)
        with self.editing_errors():
            editing.update_profile(profile, fields=data, actor=request.user, expected_version=version)
        return profile_detail_response(self, slug)

    @extend_schema(operation_id="profiles_delete", responses={204: None}, parameters=[IF_MATCH])
    def delete(self, request, slug):
        profile = self.get_object()
        version = etags.expected_version(request, profile, required=True)
        with self.editing_errors():
            editing.delete_profile(profile, actor=request.user, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConfidenceBandsView(ApiView):
    """GET: the live band table that maps a score to a grade, highest band first."""

    @extend_schema(
        operation_id="confidence_bands_list", parameters=[LANG],
        responses=results_of("ConfidenceBandList", CONFIDENCE_BAND.serializer),
    )  # fmt: skip
    def get(self, request):
        bands = ConfidenceBand.objects.order_by("-lower")
        return Response({"results": CONFIDENCE_BAND.build_many(bands, self.reading())})


class ApiRootView(ApiView):
    """GET: where everything is."""

    @extend_schema(operation_id="api_root", tags=["api"], responses=ROOT)
    def get(self, request):
        def url(name, **kwargs):
            return request.build_absolute_uri(reverse(f"api:{name}", kwargs=kwargs))

        return Response(
            {
                "profiles": url("profile-list"),
                "changes": url("changes"),
                "confidence_bands": url("confidence-bands"),
                "import": url("profile-import"),
                "schema": request.build_absolute_uri(reverse("api:schema")),
                "docs": request.build_absolute_uri(reverse("api:docs")),
            }
        )

