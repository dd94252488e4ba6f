import json
from pathlib import Path

import pytest

SEED_FILE = Path(__file__).resolve().parent.parent / "profiles" / "demo" / "ai-data-exhaustion-model-collapse.json"
SEED_SLUG = "ai-data-exhaustion-model-collapse"


@pytest.fixture
def seed_document():
    """The seed profile in the interchange format, as a fresh dict."""
    return json.loads(SEED_FILE.read_text(encoding="utf-8"))
