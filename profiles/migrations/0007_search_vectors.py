"""Stored search vectors on PostgreSQL, and indexes for every filter and order of the lists.

PostgreSQL keeps tsvector columns itself (`GENERATED ALWAYS AS (...) STORED`): on each
profile `search_names` (names and aliases) and `search_summaries`, on each claim
`search_document` (its texts), so every writer (the analyst desk, the API, bulk
imports, `bulk_create`) leaves them right without any code of ours. GIN indexes on
those columns replace the expression indexes of 0003; a profile's names and summaries
are apart so that ranking can ask the indexes where a term was found instead of
reading every matching row's vector. The models do not declare
the columns (SQLite has no tsvector; its search is a substring scan): `profiles.search`
reads them by name.

Text is indexed twice over, in the "simple" configuration (no one language's stemming
fits bilingual text): its words with CJK characters blanked out, and the CJK runs as
overlapping two-character tokens plus each run's last character (`profiles_cjk_bigrams`),
since PostgreSQL's parser does not cut Chinese into words. A CJK query of two or more
characters is its bigrams joined by `<->`, which matches exactly where the characters
stand together in one run; one character is a prefix query on the bigrams (with the
last characters, every occurrence). Weights: names and aliases A, summaries B,
claim texts D.

The SQL here is frozen on purpose; if `profiles.search` needs other documents, add a
migration replacing these.
"""

from importlib import import_module

from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Coalesce, Lower, NullIf

# The same characters as `profiles.search.CJK_RE`.
CJK_CLASS = (
    r"[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)

# SQL-standard bodies (RETURN ...) are bound when created, not by the search_path of the
# session that later evaluates them: a restore (pg_dump empties the search_path) still
# finds profiles_cjk_bigrams when it recomputes the generated columns.
FUNCTIONS = f"""
CREATE FUNCTION profiles_cjk_bigrams(document text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (
  SELECT coalesce(string_agg(
           CASE WHEN i < length(runs.run[1]) THEN substr(runs.run[1], i, 2) ELSE substr(runs.run[1], i, 1) END,
           ' ' ORDER BY runs.n, i), '')
  FROM regexp_matches(document, '({CJK_CLASS}+)', 'g') WITH ORDINALITY AS runs(run, n),
       generate_series(1, length(runs.run[1])) AS i
);

CREATE FUNCTION profiles_search_vector(document text, weight "char") RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN setweight(
  to_tsvector('simple'::regconfig, regexp_replace(document, '{CJK_CLASS}+', ' ', 'g'))
  || to_tsvector('simple'::regconfig, profiles_cjk_bigrams(document)),
  weight
);
"""

COLUMNS = """
ALTER TABLE profiles_profile
  ADD COLUMN search_names tsvector GENERATED ALWAYS AS (
    profiles_search_vector(coalesce(name_en, '') || ' ' || coalesce(name_zh_hans, '') || ' ' || aliases::text, 'A')
  ) STORED,
  ADD COLUMN search_summaries tsvector GENERATED ALWAYS AS (
    profiles_search_vector(coalesce(summary_en, '') || ' ' || coalesce(summary_zh_hans, ''), 'B')
  ) STORED;
ALTER TABLE profiles_claim ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
  profiles_search_vector(coalesce(text_en, '') || ' ' || coalesce(text_zh_hans, ''), 'D')
) STORED;
-- No statistics: the planner cannot see that testing a row reads its TOASTed vector, and
-- with them it scans the whole table for a common term; without, it assumes few matches and
-- asks the GIN index, which answers without reading the vectors (rechecking candidates only).
ALTER TABLE profiles_profile ALTER COLUMN search_names SET STATISTICS 0,
  ALTER COLUMN search_summaries SET STATISTICS 0;
ALTER TABLE profiles_claim ALTER COLUMN search_document SET STATISTICS 0;
CREATE INDEX profile_search_names ON profiles_profile USING gin (search_names);
CREATE INDEX profile_search_summaries ON profiles_profile USING gin (search_summaries);
CREATE INDEX claim_search_document ON profiles_claim USING gin (search_document);
"""

REMOVE = """
DROP INDEX IF EXISTS profile_search_names;
DROP INDEX IF EXISTS profile_search_summaries;
DROP INDEX IF EXISTS claim_search_document;
ALTER TABLE profiles_profile DROP COLUMN IF EXISTS search_names, DROP COLUMN IF EXISTS search_summaries;
ALTER TABLE profiles_claim DROP COLUMN IF EXISTS search_document;
DROP FUNCTION IF EXISTS profiles_search_vector(text, "char");
DROP FUNCTION IF EXISTS profiles_cjk_bigrams(text);
"""

OLD_INDEXES = import_module("profiles.migrations.0003_search_indexes").INDEXES


def add_search_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in OLD_INDEXES.items():
        schema_editor.remove_index(apps.get_model("profiles", model_name), index)
    schema_editor.execute(FUNCTIONS)
    schema_editor.execute(COLUMNS)


def remove_search_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(REMOVE)
    for model_name, index in OLD_INDEXES.items():
        schema_editor.add_index(apps.get_model("profiles", model_name), index)


class Migration(migrations.Migration):

    dependencies = [
        ('profiles', '0006_securityevent'),
    ]

    operations = [
        migrations.RunPython(add_search_vectors, remove_search_vectors),
        migrations.AddIndex(
            model_name='profile',
            index=models.Index(fields=['kind', '-updated_at'], name='profile_kind_updated'),
        ),
        migrations.AddIndex(
            model_name='profile',
            index=models.Index(fields=['category', '-updated_at'], name='profile_category_updated'),
        ),
        migrations.AddIndex(
            model_name='profile',
            index=models.Index(fields=['region', '-updated_at'], name='profile_region_updated'),
        ),
        migrations.AddIndex(
            model_name='profile',
            index=models.Index(fields=['criticality', '-updated_at'], name='profile_criticality_updated'),
        ),
        migrations.AddIndex(
            model_name='profile',
            index=models.Index(fields=['primary_domain', '-updated_at'], name='profile_primary_domain_updated'),
        ),
        migrations.AddIndex(
            model_name='profile',
            index=models.Index(fields=['signal_focus', '-updated_at'], name='profile_signal_focus_updated'),
        ),
        migrations.AddIndex(
            model_name='profile',
            index=models.Index(fields=['content_type', '-updated_at'], name='profile_content_type_updated'),
        ),
        migrations.AddIndex(
            model_name='profile',
            index=models.Index(fields=['status', 'kind', 'category', 'region', 'criticality', 'primary_domain', 'signal_focus', 'content_type', 'score', 'updated_at', 'id'], name='profile_facet_columns'),
        ),
        migrations.AddIndex(
            model_name='profile',
            index=models.Index(fields=['score', 'slug'], name='profile_score_slug'),
        ),
        migrations.AddIndex(
            model_name='profile',
            index=models.Index(Lower(Coalesce(NullIf('name_en', Value('')), NullIf('name_zh_hans', Value('')), 'slug')), name='profile_name_order_en'),
        ),
        migrations.AddIndex(
            model_name='profile',
            index=models.Index(Lower(Coalesce(NullIf('name_zh_hans', Value('')), NullIf('name_en', Value('')), 'slug')), name='profile_name_order_zh_hans'),
        ),
    ]
