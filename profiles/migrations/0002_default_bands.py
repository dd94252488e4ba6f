from decimal import Decimal

from django.db import migrations

# The default table is declared once, with the scoring rules it belongs to.
from profiles.rules.confidence import DEFAULT_BAND_ROWS

def add_default_bands(apps, schema_editor):
    ConfidenceBand = apps.get_model("profiles", "ConfidenceBand")
    if ConfidenceBand.objects.exists():
        return
    for lower, upper, grade, label_en, label_zh, description_en, description_zh in DEFAULT_BAND_ROWS:
        ConfidenceBand.objects.create(
            lower=Decimal(lower),
            upper=Decimal(upper),
            grade=grade,
            label=label_en,
            label_en=label_en,
            label_zh_hans=label_zh,
            description=description_en,
            description_en=description_en,
            description_zh_hans=description_zh,
        )


class Migration(migrations.Migration):
    dependencies = [("profiles", "0001_initial")]

    operations = [migrations.RunPython(add_default_bands, migrations.RunPython.noop)]
