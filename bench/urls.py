"""The site's URLs plus `/bench/trivial/`: the floor every page's throughput is compared with.

The trivial view runs through the same middleware as every page but touches neither
the database nor a template, so its throughput is what the server, Django's request
cycle and the load generator cost on this machine.
"""

from django.http import HttpResponse
from django.urls import path

from registry.urls import handler404, handler500  # noqa: F401
from registry.urls import urlpatterns as site_urlpatterns


def trivial(request):
    return HttpResponse(b"ok\n", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial, name="bench-trivial"), *site_urlpatterns]
