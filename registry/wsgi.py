"""WSGI entry point for gunicorn and other servers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
application = get_wsgi_application()

# A serving process follows the page cache's invalidations from the start, not from its first
# request; a worker forked from this one (gunicorn --preload) starts its own (registry/infra/page_cache.py).
from registry.infra.generation import watch

watch.start()
