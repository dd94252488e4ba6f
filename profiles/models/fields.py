"""Field and constraint helpers the models share: scores, slugs, enumeration checks.

A score is a decimal from 0.00 to 1.00 wherever it is stored (profiles, claims, the band
table), so the field, its validators and its check constraint are made in one place.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

SLUG_VALIDATOR = RegexValidator(
    r"^[a-z0-9-]{1,100}\Z", _("Use 1–100 lower-case letters, digits and hyphens.")
)
SCORE_VALIDATORS = [MinValueValidator(Decimal("0.00")), MaxValueValidator(Decimal("1.00"))]


def score_field(**kwargs):
    return models.DecimalField(max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS, **kwargs)


def score_range_check(field, name):
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0, f"{field}__lte": 1}),
        name=name,
    )


def choices_check(field, choices, name):
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)
