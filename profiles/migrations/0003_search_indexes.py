"""GIN indexes for full-text search, on PostgreSQL only.

They index exactly the documents `profiles.search` queries (the "simple"
configuration over the profile's names, aliases and summaries, and over claim
texts), so that `document @@ query` can use them. SQLite has no such index: its
search is a substring scan. The expressions are frozen here on purpose; if
`profiles.search` changes its documents, add a migration replacing these.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEXES = {
    "Profile": GinIndex(
        SearchVector("name_en", "name_zh_hans", "aliases", "summary_en", "summary_zh_hans", config="simple"),
        name="profile_search_gin",
    ),
    "Claim": GinIndex(SearchVector("text_en", "text_zh_hans", config="simple"), name="claim_search_gin"),
}


def add_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in INDEXES.items():
        schema_editor.add_index(apps.get_model("profiles", model_name), index)


def remove_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in INDEXES.items():
        schema_editor.remove_index(apps.get_model("profiles", model_name), index)


class Migration(migrations.Migration):
    dependencies = [("profiles", "0002_default_bands")]

    operations = [migrations.RunPython(add_search_indexes, remove_search_indexes)]
