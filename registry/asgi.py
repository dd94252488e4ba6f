"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
application = get_asgi_application()

# As in registry/wsgi.py: follow the page cache's invalidations from the start (registry/infra/page_cache.py).
from registry.infra.generation import watch

watch.start()
