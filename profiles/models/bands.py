"""The band table: which grade and label a score falls in. Written whole (`replace_band_table`), never row by row."""

from django.db import models
from django.db.models import Q

from profiles.models.fields import score_field, score_range_check


class ConfidenceBand(models.Model):
    """One row of the table that maps a score to a grade."""

    lower = score_field()
    upper = score_field()
    grade = models.CharField(max_length=10)
    label = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-lower"]
        constraints = [
            models.UniqueConstraint(fields=["lower"], name="band_lower_unique"),
            models.CheckConstraint(condition=Q(lower__lte=models.F("upper")), name="band_bounds_ordered"),
            score_range_check("lower", "band_lower_range"),
            score_range_check("upper", "band_upper_range"),
        ]

    def __str__(self):
        return f"{self.lower}–{self.upper} {self.grade}"
