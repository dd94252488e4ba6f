"""The confidence rules in SQL: the grade of a stored score, and which claims count.

`confidence` states the rules as pure functions; filters, counts and list columns need
them as database expressions. Both read the same band table (`selectors.bands`), and a
stored score is already rounded half up to two places, so `score BETWEEN lower AND upper`
is exactly `confidence.band_for(score)`.
"""

from functools import reduce
from operator import or_

from django.db.models import Case, CharField, Q, Value, When

from profiles.rules.confidence import grades

# A claim counts towards its profile's score while it is verified and not retracted
# (`confidence.claim_counts`, the same rule in Python).
COUNTED_CLAIMS = Q(verified=True, retracted_at__isnull=True)


def band_q(band, field="score"):
    """Rows whose stored score lies in this band."""
    return Q(**{f"{field}__gte": band.lower, f"{field}__lte": band.upper})


def grade_q(grade, bands, field="score"):
    """Rows whose stored score lies in any band with this grade (none for an unknown grade)."""
    return reduce(or_, (band_q(band, field) for band in bands if band.grade == grade), Q(pk__in=[]))


def grade_case(bands, *, field="score", default=None):
    """Each row's grade from its stored score, as an expression (`default` outside every band)."""
    return Case(
        *[When(grade_q(grade, bands, field), then=Value(grade)) for grade in grades(bands)],
        default=Value(default),
        output_field=CharField(),
    )


def band_case(bands, attribute, *, field="score", default=""):
    """Each row's band `attribute` (e.g. its label in the active language) from its stored score."""
    return Case(
        *[When(band_q(band, field), then=Value(str(getattr(band, attribute)))) for band in bands],
        default=Value(default),
        output_field=CharField(),
    )
