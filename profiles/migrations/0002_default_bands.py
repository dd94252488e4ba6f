from decimal import Decimal

from django.db import migrations

# The seed page's band table, in both languages.
DEFAULT_BANDS = [
    ("0.90", "1.00", "A", "High", "高", "direct sources", "直接来源"),
    ("0.75", "0.89", "A/B", "Strong", "强", "", ""),
    ("0.55", "0.74", "B/C", "Medium", "中", "", ""),
    ("0.35", "0.54", "C/D", "Weak–medium", "弱至中", "", ""),
    ("0.10", "0.34", "D", "Weak signal", "弱信号", "", ""),
    ("0.00", "0.09", "D", "Internal monitoring", "内部监测", "", ""),
]


def add_default_bands(apps, schema_editor):
    ConfidenceBand = apps.get_model("profiles", "ConfidenceBand")
    if ConfidenceBand.objects.exists():
        return
    for lower, upper, grade, label_en, label_zh, description_en, description_zh in DEFAULT_BANDS:
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
