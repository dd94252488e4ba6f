"""Site-wide pages: the methodology and robots.txt."""

from django.http import Http404


def methodology(request):
    raise Http404


def robots_txt(request):
    raise Http404
