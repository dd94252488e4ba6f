"""Template context every page needs: the same page in each language."""

from django.conf import settings
from django.urls import translate_url


def alternates(request):
    path = request.get_full_path()
    return {
        "language_alternates": [
            (code, name, translate_url(path, code)) for code, name in settings.LANGUAGES
        ]
    }
