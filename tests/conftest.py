import json
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation

SEED_FILE = Path(__file__).resolve().parent.parent / "profiles" / "demo" / "ai-data-exhaustion-model-collapse.json"
SEED_SLUG = "ai-data-exhaustion-model-collapse"


@pytest.fixture
def seed_document():
    """The seed profile in the interchange format, as a fresh dict."""
    return json.loads(SEED_FILE.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: the database rolls back between tests, the cache does not."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def english_by_default():
    """Each test starts in English, whatever language an earlier request activated."""
    with translation.override("en"):
        yield
