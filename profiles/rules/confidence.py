"""Confidence: rounding, score bands, claim and profile scores, and their explanations.

The contract is DESIGN.md, "Confidence — score, rounding, bands". In short:

* A score is a decimal 0.00–1.00 with two places. Every computed or entered value is
  rounded half up to two places first (``round_score``); the grade is read from that
  rounded value, so the number shown and the grade shown always agree.
* Bands map a score to a grade. A valid table covers 0.00–1.00 exactly: each band's lower
  bound is the next-lower band's upper bound + 0.01 (``validate_bands``).
* A claim's score (``score_claim``), scoring policy ``POLICY_VERSION``:
    1. only reviewed evidence counts;
    2. within a stance, one publisher counts once: its strongest record;
    3. a record weighs KIND_WEIGHTS[kind] * RELIABILITY_FACTORS[reliability], halved for
       every HALF_LIFE_DAYS of age (undated: UNDATED_DECAY);
    4. S+ = 1 - prod(1 - w) over supporting records, S- likewise over contradicting ones,
       score = S+ * (1 - S-), rounded; no reviewed support scores 0.00;
    5. the top band needs a reviewed direct supporting source and two independent
       supporting publishers, else the rounded score is capped at the top band's lower
       bound - 0.01;
    6. an analyst override (with a reason) replaces the computed score.
* A profile's score (``score_profile``) is the rounded mean of its verified claims' scores.

Every score comes with a JSON-serialisable explanation: which evidence counted, with what
weight, and why (duplicate publisher, not reviewed, cap, override).

Pure functions: no ORM, no I/O. Bands may be ``Band`` objects or anything with ``lower``,
``upper``, ``grade`` and ``label`` attributes (e.g. ConfidenceBand model instances).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import Any, Iterable

POLICY_VERSION = "2026.1"
TWO_PLACES = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")
ONE = Decimal("1.00")

# A primary source outweighs reporting, which outweighs analysis and our own notes.
KIND_WEIGHTS = {"direct": Decimal("0.80"), "reporting": Decimal("0.55"),
                "secondary": Decimal("0.40"), "internal": Decimal("0.25")}
# Admiralty source reliability; F = reliability cannot be judged, so it weighs little.
RELIABILITY_FACTORS = {"A": Decimal("1.00"), "B": Decimal("0.90"), "C": Decimal("0.75"),
                       "D": Decimal("0.55"), "E": Decimal("0.35"), "F": Decimal("0.20")}
HALF_LIFE_DAYS = 1826  # five years: weight halves every five years of age
UNDATED_DECAY = Decimal("0.5")  # undated evidence is treated as one half-life old

# Fixed arithmetic context, so results never depend on a caller's decimal.getcontext().
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)


class ScoreError(ValueError):
    """A value that is not a score: not a finite number, or outside 0.00–1.00 once rounded."""


class OverrideError(ValueError):
    """An analyst override given without a reason."""


class BandTableError(ValueError):
    """A band table that does not cover 0.00–1.00 exactly; ``problems`` lists every fault."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def _to_decimal(value: Any) -> Decimal | None:
    """The value as a Decimal, or None if it is not a number (floats go through str())."""
    if isinstance(value, bool):  # True is an int, but never a score or bound
        return None
    if isinstance(value, float):
        value = str(value)  # 0.895 -> Decimal("0.895"), not its binary expansion
    try:
        return Decimal(value) if isinstance(value, (Decimal, int, str)) else None
    except (InvalidOperation, ValueError):
        return None


def round_score(value: Any) -> Decimal:
    """Round a score half up to two places; refuse non-numbers and values outside 0.00–1.00."""
    if type(value) is Decimal and value.is_finite():
        return _round_decimal(value)  # the common case: remembered, equal decimals round alike
    return _round_score(value)


@lru_cache(maxsize=65536)
def _round_decimal(value: Decimal) -> Decimal:
    return _round_score(value)


def _round_score(value: Any) -> Decimal:
    number = _to_decimal(value)
    if number is None or not number.is_finite():
        raise ScoreError(f"score {value!r} is not a finite number")
    # Range check on the unrounded value first: quantize can overflow on huge numbers.
    if number < Decimal("-0.005") or number >= Decimal("1.005"):
        raise ScoreError(f"score {value} is outside 0.00–1.00")
    with localcontext(_CONTEXT):
        rounded = number.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    if rounded < ZERO or rounded > ONE:
        raise ScoreError(f"score {value} is outside 0.00–1.00")
    return rounded if rounded != 0 else ZERO  # never "-0.00"


def _two(value: Decimal) -> str:
    return str(round_score(value))


def _four(value: Decimal) -> str:
    return _four_text(str(value))  # keyed by text: equal numbers may differ in sign or exponent


@lru_cache(maxsize=65536)  # the same weights are written into thousands of explanations
def _four_text(value: str) -> str:
    with localcontext(_CONTEXT):
        return str(Decimal(value).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Band:
    """One row of the band table: scores lower..upper (inclusive) get this grade."""

    lower: Decimal
    upper: Decimal
    grade: str
    label: str
    description: str = ""

    def __post_init__(self):
        # Accept "0.90" or 0.9 for convenience; a non-number is left for validate_bands.
        for name in ("lower", "upper"):
            number = _to_decimal(getattr(self, name))
            if number is not None:
                object.__setattr__(self, name, number)

    def contains(self, score: Decimal) -> bool:
        return self.lower <= score <= self.upper


# The seed page's band table, the default of every new registry, in both languages:
# (lower, upper, grade, label en / zh-hans, description en / zh-hans). The migration that
# installs it, the band-table service and the English `DEFAULT_BANDS` all read this one list.
DEFAULT_BAND_ROWS = (
    ("0.90", "1.00", "A", "High", "高", "direct sources", "直接来源"),
    ("0.75", "0.89", "A/B", "Strong", "强", "", ""),
    ("0.55", "0.74", "B/C", "Medium", "中", "", ""),
    ("0.35", "0.54", "C/D", "Weak–medium", "弱至中", "", ""),
    ("0.10", "0.34", "D", "Weak signal", "弱信号", "", ""),
    ("0.00", "0.09", "D", "Internal monitoring", "内部监测", "", ""),
)

DEFAULT_BANDS: tuple[Band, ...] = tuple(
    Band(Decimal(lower), Decimal(upper), grade, label_en, description_en)
    for lower, upper, grade, label_en, _label_zh, description_en, _description_zh in DEFAULT_BAND_ROWS
)


def _bound_text(value: Any) -> str:
    number = _to_decimal(value)
    if number is None or not number.is_finite():
        return repr(value)
    if number == number.quantize(TWO_PLACES):
        return str(number.quantize(TWO_PLACES))  # 0.5 -> "0.50"
    return str(number)  # off the grid: show it as given, e.g. "0.555"


def _band_text(band: Any) -> str:
    span = f"{_bound_text(band.lower)}–{_bound_text(band.upper)}"
    grade = (getattr(band, "grade", "") or "").strip()
    return f"{span} ({grade})" if grade else span


def _span_text(low: Decimal, high: Decimal) -> str:
    return _bound_text(low) if low == high else f"{_bound_text(low)}–{_bound_text(high)}"


def validate_bands(bands: Iterable[Any] | None) -> tuple[Any, ...]:
    """Return the bands highest first, or raise BandTableError naming every problem."""
    bands = list(bands or ())
    if not bands:
        raise BandTableError(["the table has no bands"])
    problems: list[str] = []
    usable = []  # bands with sound bounds, checked for coverage below
    for band in bands:
        where = f"band {_band_text(band)}"
        lower, upper = _to_decimal(band.lower), _to_decimal(band.upper)
        if not (getattr(band, "grade", "") or "").strip():
            problems.append(f"{where}: grade is required")
        if lower is None or upper is None or not (lower.is_finite() and upper.is_finite()):
            problems.append(f"{where}: bounds must be numbers")
            continue
        if lower != lower.quantize(TWO_PLACES) or upper != upper.quantize(TWO_PLACES):
            problems.append(f"{where}: bounds must have two decimal places")
            continue
        if lower > upper:
            problems.append(f"{where}: lower bound is above upper bound")
            continue
        usable.append((lower, upper, band))
    if usable:
        usable.sort(key=lambda item: (item[0], item[1]))
        lowest, highest = usable[0][0], max(upper for _, upper, _ in usable)
        if lowest != ZERO:
            problems.append(f"the table must start at 0.00 "
                            f"(lowest band starts at {_bound_text(lowest)})")
        # Compare each band with the furthest-reaching band so far, so nested bands are caught.
        _, reach_upper, reach = usable[0]
        for lower, upper, band in usable[1:]:
            if lower <= reach_upper:
                both = _span_text(lower, min(upper, reach_upper))
                problems.append(f"overlap: {_band_text(reach)} and {_band_text(band)} "
                                f"both cover {both}")
            elif lower > reach_upper + TWO_PLACES:
                missing = _span_text(reach_upper + TWO_PLACES, lower - TWO_PLACES)
                problems.append(f"gap between {_bound_text(reach_upper)} and {_bound_text(lower)}: "
                                f"no band covers {missing}")
            if upper > reach_upper:
                reach_upper, reach = upper, band
        if highest != ONE:
            problems.append(f"the table must end at 1.00 "
                            f"(highest band ends at {_bound_text(highest)})")
    if problems:
        raise BandTableError(problems)
    return tuple(sorted(bands, key=lambda b: (_to_decimal(b.lower), _to_decimal(b.upper)),
                        reverse=True))


def band_for(score: Any, bands: Iterable[Any]) -> Any:
    """The band holding the score once rounded half up to two places."""
    rounded = round_score(score)
    for band in sorted(bands, key=lambda b: (b.lower, b.upper), reverse=True):
        if band.lower <= rounded <= band.upper:
            return band
    raise BandTableError([f"no band covers {rounded}"])


def grades(bands: Iterable[Any]) -> list:
    """The distinct grades of a band table, highest first."""
    seen = []
    for band in sorted(bands, key=lambda b: b.lower, reverse=True):
        if band.grade not in seen:
            seen.append(band.grade)
    return seen


def claim_counts(*, verified: bool, retracted: bool) -> bool:
    """Whether a claim counts towards its profile's score: verified and not retracted."""
    return verified and not retracted


def top_band(bands: Iterable[Any]) -> Any:
    """The highest band (the one reaching 1.00 in a valid table)."""
    bands = list(bands or ())
    if not bands:
        raise BandTableError(["the table has no bands"])
    return max(bands, key=lambda b: (b.upper, b.lower))


def cap_for(bands: Iterable[Any]) -> Decimal:
    """Highest score a claim may have without a direct source and two publishers."""
    # Clamped at 0.00 so a one-band table cannot produce a negative cap.
    return round_score(max(_to_decimal(top_band(bands).lower) - TWO_PLACES, ZERO))


@dataclass(frozen=True)
class EvidenceInput:
    """What scoring needs to know about one evidence record linked to a claim."""

    id: int | str  # opaque identifier, echoed in the explanation
    publisher: str
    kind: str  # direct | reporting | secondary | internal
    reliability: str  # A..F
    published_on: date | None
    review_status: str  # pending | reviewed | rejected
    stance: str = "supports"  # supports | contradicts


def _as_date(value: date | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def evidence_weight(ev: EvidenceInput, as_of: date) -> tuple[Decimal, Decimal, Decimal]:
    """(base, decay, weight) of one record on the day ``as_of``, at full precision."""
    if ev.kind not in KIND_WEIGHTS:
        raise ValueError(f"evidence {ev.id}: unknown kind {ev.kind!r}")
    if ev.reliability not in RELIABILITY_FACTORS:
        raise ValueError(f"evidence {ev.id}: unknown reliability {ev.reliability!r}")
    return _weigh(ev.kind, ev.reliability, _as_date(ev.published_on), _as_date(as_of))


@lru_cache(maxsize=65536)
def _weigh(kind: str, reliability: str, published_on: date | None, as_of: date) -> tuple[Decimal, Decimal, Decimal]:
    # Recomputing every score asks for the same few thousand combinations again and again.
    with localcontext(_CONTEXT):
        base = KIND_WEIGHTS[kind] * RELIABILITY_FACTORS[reliability]
        if published_on is None:
            decay = UNDATED_DECAY
        else:
            decay = _decay(max((as_of - published_on).days, 0))  # future-dated counts as today
        return base, decay, base * decay


@lru_cache(maxsize=65536)
def _decay(age_days: int) -> Decimal:
    """The decay factor for an age in days (a fractional power: slow, and few distinct ages)."""
    with localcontext(_CONTEXT):
        return Decimal("0.5") ** (Decimal(age_days) / Decimal(HALF_LIFE_DAYS))


def _publisher_key(publisher: str) -> str:
    # "Reuters", " reuters " and "REUTERS" are one publisher. A blank publisher is one
    # unknown publisher: it cannot prove independence.
    return " ".join((publisher or "").split()).casefold()


def _noisy_or(weights: Iterable[Decimal]) -> Decimal:
    with localcontext(_CONTEXT):
        return Decimal(1) - math.prod((Decimal(1) - w for w in weights), start=Decimal(1))


def _evidence_entry(ev: EvidenceInput, weighed: tuple, reason: str | None) -> dict:
    base, decay, weight = weighed
    published_on = _as_date(ev.published_on)
    return {
        "id": ev.id if isinstance(ev.id, (int, str)) else str(ev.id),
        "publisher": ev.publisher, "kind": ev.kind, "reliability": ev.reliability,
        "stance": ev.stance, "review_status": ev.review_status,
        "published_on": published_on.isoformat() if published_on else None,
        "base": _four(base), "decay": _four(decay), "weight": _four(weight),
        "counted": reason is None, "reason": reason,
    }


def _override(override: Any, override_reason: str | None) -> tuple[Decimal | None, str | None]:
    if override is None:
        return None, None
    reason = (override_reason or "").strip()
    if not reason:
        raise OverrideError("an override needs a reason")
    return round_score(override), reason


def score_claim(evidence: Iterable[EvidenceInput], *, bands: Iterable[Any], as_of: date,
                override: Any = None, override_reason: str = "") -> tuple[Decimal, dict]:
    """Score a claim from its evidence; return (effective score, explanation)."""
    records = list(evidence)
    for ev in records:
        if ev.stance not in ("supports", "contradicts"):
            raise ValueError(f"evidence {ev.id}: unknown stance {ev.stance!r}")
    weighed = [evidence_weight(ev, as_of) for ev in records]
    reasons: list[str | None] = [None] * len(records)

    # The strongest record per (stance, publisher) counts; on a tie the first one does.
    strongest: dict[tuple[str, str], int] = {}
    for i, ev in enumerate(records):
        if ev.review_status != "reviewed":
            reasons[i] = "not_reviewed"
            continue
        key = (ev.stance, _publisher_key(ev.publisher))
        best = strongest.get(key)
        if best is None or weighed[i][2] > weighed[best][2]:
            if best is not None:
                reasons[best] = "duplicate_publisher"
            strongest[key] = i
        else:
            reasons[i] = "duplicate_publisher"

    counted = [i for i in range(len(records)) if reasons[i] is None]
    supporting = [i for i in counted if records[i].stance == "supports"]
    contradicting = [i for i in counted if records[i].stance == "contradicts"]
    support = _noisy_or(weighed[i][2] for i in supporting)
    contradiction = _noisy_or(weighed[i][2] for i in contradicting)
    with localcontext(_CONTEXT):
        raw = support * (Decimal(1) - contradiction)

    no_support = not supporting
    computed = ZERO if no_support else round_score(raw)

    # A direct source anywhere in the reviewed support qualifies, even if a stronger
    # record from the same publisher is the one counted: otherwise adding a record could
    # lower a score. Supporting publishers are distinct after de-duplication.
    has_direct = any(ev.review_status == "reviewed" and ev.stance == "supports"
                     and ev.kind == "direct" for ev in records)
    single_publisher = len(supporting) < 2
    cap = cap_for(bands)
    cap_reason = None
    if computed > cap and (not has_direct or single_publisher):
        computed = cap
        cap_reason = "_".join(r for r, fails in (("no_direct_source", not has_direct),
                                                  ("single_publisher", single_publisher)) if fails)

    override_score, reason = _override(override, override_reason)
    score = computed if override_score is None else override_score

    return score, {
        "policy_version": POLICY_VERSION,
        "as_of": _as_date(as_of).isoformat(),
        "evidence": [_evidence_entry(ev, weighed[i], reasons[i]) for i, ev in enumerate(records)],
        "support": _two(support), "contradiction": _two(contradiction), "raw": _four(raw),
        "computed": str(computed), "capped": cap_reason is not None, "cap": str(cap),
        "cap_reason": cap_reason, "no_reviewed_support": no_support,
        "override": None if override_score is None else str(override_score),
        "override_reason": reason, "score": str(score),
    }


def score_profile(claim_scores: Iterable[Any], *, override: Any = None,
                  override_reason: str = "") -> tuple[Decimal, dict]:
    """Score a profile as the mean of its verified claims' effective scores (caller filters)."""
    scores = [round_score(s) for s in claim_scores]
    if scores:
        with localcontext(_CONTEXT):
            mean = sum(scores, Decimal(0)) / len(scores)
        computed = round_score(mean)
    else:
        mean, computed = None, ZERO
    override_score, reason = _override(override, override_reason)
    score = computed if override_score is None else override_score
    return score, {
        "policy_version": POLICY_VERSION, "claims": len(scores),
        "mean": None if mean is None else _two(mean), "computed": str(computed),
        "override": None if override_score is None else str(override_score),
        "override_reason": reason, "score": str(score),
    }
