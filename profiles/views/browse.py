"""Browsing: the home page, the profile list with filters and search, facet pages."""

from django.http import Http404
from django.shortcuts import render

from .. import queries
from ..visibility import Audience


def home(request):
    audience = Audience.for_request(request)
    return render(request, "profiles/home.html", {"profiles": queries.home_profiles(audience)})


def profile_list(request):
    raise Http404  # to be built: filters, search, pagination


def facet(request, facet, value):
    raise Http404  # to be built
