"""Specification tests for profiles.rules.confidence: rounding, bands, claim and profile scores.

Expected numbers are worked out by hand from the documented tables in DESIGN.md and the
module constants (kind weight x reliability factor, halved every 1826 days), never by
calling the code under test.
"""

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from profiles.rules.confidence import (
    DEFAULT_BANDS,
    HALF_LIFE_DAYS,
    KIND_WEIGHTS,
    POLICY_VERSION,
    RELIABILITY_FACTORS,
    Band,
    BandTableError,
    EvidenceInput,
    OverrideError,
    ScoreError,
    band_for,
    cap_for,
    evidence_weight,
    round_score,
    score_claim,
    score_profile,
    top_band,
    validate_bands,
)

D = Decimal
TODAY = date(2026, 11, 24)


def ev(id, publisher="Publisher", kind="direct", reliability="A", published_on=TODAY,
       review_status="reviewed", stance="supports"):
    return EvidenceInput(id=id, publisher=publisher, kind=kind, reliability=reliability,
                         published_on=published_on, review_status=review_status, stance=stance)


def score(records, bands=DEFAULT_BANDS, **kwargs):
    return score_claim(records, bands=bands, as_of=TODAY, **kwargs)


def bands_from(rows):
    return [Band(D(lower), D(upper), grade, label) for lower, upper, grade, label in rows]


def default_rows():
    return [(str(b.lower), str(b.upper), b.grade, b.label) for b in DEFAULT_BANDS]


def problems_of(rows):
    with pytest.raises(BandTableError) as caught:
        validate_bands(bands_from(rows))
    return caught.value.problems


# --- Rounding ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("0.895", "0.90"), (0.895, "0.90"), ("0.005", "0.01"), (0.005, "0.01"), ("0.994", "0.99"),
    ("0.995", "1.00"), ("0.565", "0.57"), (1, "1.00"), (0, "0.00"), (D("0.5"), "0.50"),
    ("-0.004", "0.00"), ("1.004", "1.00"),
])
def test_scores_round_half_up_to_two_places(value, expected):
    rounded = round_score(value)
    assert rounded == D(expected) and str(rounded) == expected


@pytest.mark.parametrize("value", ["1.2", 1.2, "1.005", -0.01, "-0.005", 2, "1E+100"])
def test_score_outside_0_to_1_is_refused(value):
    with pytest.raises(ScoreError, match="is outside 0.00–1.00"):
        round_score(value)


def test_score_error_names_the_value():
    with pytest.raises(ScoreError, match=r"^score 1.2 is outside 0.00–1.00$"):
        round_score("1.2")


@pytest.mark.parametrize("value", [float("nan"), "NaN", D("sNaN"), float("inf"), "-Infinity",
                                   "abc", "", None, True, [0.5]])
def test_score_that_is_not_a_finite_number_is_refused(value):
    with pytest.raises(ScoreError):
        round_score(value)


def test_score_error_is_a_value_error():
    assert issubclass(ScoreError, ValueError) and issubclass(OverrideError, ValueError)


# --- Default bands -------------------------------------------------------------------------

@pytest.mark.parametrize("value, grade, label", [
    ("0.00", "D", "Internal monitoring"), ("0.09", "D", "Internal monitoring"),
    ("0.10", "D", "Weak signal"), ("0.34", "D", "Weak signal"),
    ("0.35", "C/D", "Weak–medium"), ("0.54", "C/D", "Weak–medium"),
    ("0.55", "B/C", "Medium"), ("0.74", "B/C", "Medium"),
    ("0.75", "A/B", "Strong"), ("0.89", "A/B", "Strong"),
    ("0.90", "A", "High"), ("1.00", "A", "High"),
    ("0.005", "D", "Internal monitoring"), ("0.094", "D", "Internal monitoring"),
    ("0.095", "D", "Weak signal"), ("0.545", "B/C", "Medium"), ("0.745", "A/B", "Strong"),
])
def test_default_band_boundaries(value, grade, label):
    band = band_for(value, DEFAULT_BANDS)
    assert (band.grade, band.label) == (grade, label)


def test_score_0_895_rounds_to_A():
    assert band_for(D("0.895"), DEFAULT_BANDS).grade == "A"
    assert band_for(0.895, DEFAULT_BANDS).label == "High"


def test_score_0_894_stays_A_B():
    assert band_for("0.894", DEFAULT_BANDS).grade == "A/B"


def test_band_for_refuses_out_of_range_scores():
    with pytest.raises(ScoreError):
        band_for("1.01", DEFAULT_BANDS)
    with pytest.raises(ScoreError):
        band_for(float("nan"), DEFAULT_BANDS)


def test_default_table_is_valid_and_highest_first():
    assert validate_bands(DEFAULT_BANDS) == DEFAULT_BANDS
    assert [str(b.lower) for b in DEFAULT_BANDS] == ["0.90", "0.75", "0.55", "0.35", "0.10", "0.00"]
    assert DEFAULT_BANDS[0].description == "direct sources"


def test_validate_bands_sorts_highest_first():
    shuffled = [DEFAULT_BANDS[i] for i in (3, 0, 5, 1, 4, 2)]
    assert validate_bands(shuffled) == DEFAULT_BANDS


def test_band_contains_its_bounds_inclusive():
    band = Band(D("0.55"), D("0.74"), "B/C", "Medium")
    assert band.contains(D("0.55")) and band.contains(D("0.74"))
    assert not band.contains(D("0.54")) and not band.contains(D("0.75"))


def test_top_band_and_cap_of_default_table():
    assert top_band(DEFAULT_BANDS).grade == "A"
    assert cap_for(DEFAULT_BANDS) == D("0.89")
    assert cap_for(list(reversed(DEFAULT_BANDS))) == D("0.89")


# --- Invalid band tables -------------------------------------------------------------------

def test_gap_between_bands_is_refused_naming_the_gap():
    rows = default_rows()
    rows[2] = ("0.56", "0.74", "B/C", "Medium")
    assert problems_of(rows) == ["gap between 0.54 and 0.56: no band covers 0.55"]


def test_wide_gap_names_the_uncovered_range():
    rows = default_rows()
    del rows[2]
    assert problems_of(rows) == ["gap between 0.54 and 0.75: no band covers 0.55–0.74"]


def test_overlapping_bands_are_refused_naming_both():
    rows = default_rows()
    rows[3] = ("0.35", "0.55", "C/D", "Weak–medium")
    assert problems_of(rows) == ["overlap: 0.35–0.55 (C/D) and 0.55–0.74 (B/C) both cover 0.55"]


def test_band_nested_inside_another_is_an_overlap():
    rows = [("0.00", "1.00", "A", "All"), ("0.20", "0.30", "B", "Inner")]
    assert problems_of(rows) == ["overlap: 0.00–1.00 (A) and 0.20–0.30 (B) both cover 0.20–0.30"]


def test_table_not_starting_at_zero_is_refused():
    rows = default_rows()
    rows[5] = ("0.05", "0.09", "D", "Internal monitoring")
    assert problems_of(rows) == ["the table must start at 0.00 (lowest band starts at 0.05)"]


def test_table_not_ending_at_one_is_refused():
    rows = default_rows()
    rows[0] = ("0.90", "0.95", "A", "High")
    assert problems_of(rows) == ["the table must end at 1.00 (highest band ends at 0.95)"]


def test_inverted_band_is_refused():
    rows = default_rows()
    rows[2] = ("0.74", "0.55", "B/C", "Medium")
    assert "band 0.74–0.55 (B/C): lower bound is above upper bound" in problems_of(rows)


def test_bounds_with_three_places_are_refused():
    rows = default_rows()
    rows[2] = ("0.555", "0.74", "B/C", "Medium")
    assert "band 0.555–0.74 (B/C): bounds must have two decimal places" in problems_of(rows)


def test_empty_table_is_refused():
    with pytest.raises(BandTableError, match="^the table has no bands$"):
        validate_bands([])


def test_band_without_grade_is_refused():
    rows = default_rows()
    rows[1] = ("0.75", "0.89", " ", "Strong")
    assert problems_of(rows) == ["band 0.75–0.89: grade is required"]


def test_every_problem_is_reported_at_once():
    rows = default_rows()
    rows[0] = ("0.90", "0.95", "A", "High")
    rows[2] = ("0.56", "0.74", "B/C", "Medium")
    with pytest.raises(BandTableError) as caught:
        validate_bands(bands_from(rows))
    assert caught.value.problems == ["gap between 0.54 and 0.56: no band covers 0.55",
                                     "the table must end at 1.00 (highest band ends at 0.95)"]
    assert str(caught.value) == "; ".join(caught.value.problems)
    assert isinstance(caught.value, ValueError)


# --- Evidence weight -----------------------------------------------------------------------

def test_direct_A_record_published_today_weighs_0_80():
    assert evidence_weight(ev(1), TODAY) == (D("0.80"), D("1"), D("0.80"))


def test_weight_is_kind_weight_times_reliability_factor():
    base, decay, weight = evidence_weight(ev(1, kind="reporting", reliability="C"), TODAY)
    assert base == weight == D("0.55") * D("0.75") == D("0.4125")


def test_record_one_half_life_old_has_half_the_weight():
    old = ev(1, published_on=TODAY - timedelta(days=HALF_LIFE_DAYS))
    assert evidence_weight(old, TODAY) == (D("0.80"), D("0.5"), D("0.40"))


def test_record_two_half_lives_old_has_a_quarter_of_the_weight():
    old = ev(1, published_on=TODAY - timedelta(days=2 * HALF_LIFE_DAYS))
    assert evidence_weight(old, TODAY)[2] == D("0.20")


def test_decay_is_continuous_between_half_lives():
    _, decay, _ = evidence_weight(ev(1, published_on=TODAY - timedelta(days=913)), TODAY)
    # 0.5 ** (913 / 1826) = 0.5 ** 0.5 = 0.70710678...
    assert D("0.7071") < decay < D("0.7072")


def test_undated_record_counts_as_one_half_life_old():
    assert evidence_weight(ev(1, published_on=None), TODAY) == (D("0.80"), D("0.5"), D("0.40"))


def test_future_dated_record_counts_as_published_today():
    future = ev(1, published_on=TODAY + timedelta(days=30))
    assert evidence_weight(future, TODAY) == (D("0.80"), D("1"), D("0.80"))


def test_unjudged_reliability_F_weighs_little():
    assert evidence_weight(ev(1, reliability="F"), TODAY)[2] == D("0.80") * D("0.20")


def test_unknown_kind_or_reliability_is_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        evidence_weight(ev(1, kind="rumour"), TODAY)
    with pytest.raises(ValueError, match="unknown reliability"):
        evidence_weight(ev(1, reliability="G"), TODAY)


# --- Claim scores ---------------------------------------------------------------------------

def test_single_direct_A_record_scores_0_80():
    assert score([ev(1)])[0] == D("0.80")


def test_independent_records_combine_as_noisy_or():
    # direct B = 0.80 * 0.90 = 0.72; reporting C = 0.55 * 0.75 = 0.4125
    # 1 - (1 - 0.72)(1 - 0.4125) = 1 - 0.28 * 0.5875 = 1 - 0.1645 = 0.8355 -> 0.84
    result, explanation = score([ev(1, "Registry", "direct", "B"),
                                 ev(2, "Newswire", "reporting", "C")])
    assert result == D("0.84")
    assert explanation["support"] == "0.84" and explanation["capped"] is False


def test_pending_and_rejected_evidence_is_ignored():
    result, explanation = score([ev(1, "Newswire", "reporting"),
                                 ev(2, "Registry", review_status="pending"),
                                 ev(3, "Regulator", review_status="rejected")])
    assert result == D("0.55")  # reporting A alone: 0.55 * 1.00
    assert [(e["counted"], e["reason"]) for e in explanation["evidence"]] == [
        (True, None), (False, "not_reviewed"), (False, "not_reviewed")]


def test_claim_without_reviewed_support_scores_zero():
    result, explanation = score([ev(1, review_status="pending"),
                                 ev(2, "Other", stance="contradicts")])
    assert result == D("0.00") and str(result) == "0.00"
    assert explanation["no_reviewed_support"] is True
    assert explanation["computed"] == "0.00" and explanation["score"] == "0.00"


def test_claim_without_any_evidence_scores_zero():
    result, explanation = score([])
    assert result == D("0.00") and explanation["no_reviewed_support"] is True
    assert explanation["evidence"] == []


def test_same_publisher_counts_once_with_its_strongest_record():
    # reporting B = 0.495 and reporting A = 0.55 from one publisher: only 0.55 counts
    result, explanation = score([ev(1, "Reuters", "reporting", "B"),
                                 ev(2, "  REUTERS ", "reporting", "A")])
    assert result == D("0.55")
    assert [(e["counted"], e["reason"]) for e in explanation["evidence"]] == [
        (False, "duplicate_publisher"), (True, None)]


def test_publisher_comparison_ignores_case_and_inner_whitespace():
    result, _ = score([ev(1, "Asia  Pacific\tNews", "reporting"),
                       ev(2, "asia pacific news", "reporting")])
    assert result == D("0.55")


def test_equal_duplicates_count_the_first_in_input_order():
    _, explanation = score([ev("a", "Wire", "reporting"), ev("b", "wire", "reporting")])
    assert [e["counted"] for e in explanation["evidence"]] == [True, False]


def test_publisher_deduplication_is_within_each_stance():
    # supports 0.80 and contradicts 0.40 from one publisher both count: 0.80 * 0.60 = 0.48
    result, _ = score([ev(1, "Wire"), ev(2, "Wire", "secondary", stance="contradicts")])
    assert result == D("0.48")


def test_contradicting_evidence_lowers_score():
    supporting = [ev(1, "Registry"), ev(2, "Newswire", "reporting")]
    # S+ = 1 - 0.20 * 0.45 = 0.91
    assert score(supporting)[0] == D("0.91")
    # S- = secondary A = 0.40; 0.91 * (1 - 0.40) = 0.546 -> 0.55
    result, explanation = score(supporting + [ev(3, "Blog", "secondary", stance="contradicts")])
    assert result == D("0.55")
    assert explanation["support"] == "0.91" and explanation["contradiction"] == "0.40"


def test_claim_without_direct_source_is_capped_below_top_band():
    # three reporting A: 1 - 0.45 ** 3 = 1 - 0.091125 = 0.908875 -> 0.91 -> capped at 0.89
    result, explanation = score([ev(i, f"Wire {i}", "reporting") for i in range(3)])
    assert result == D("0.89")
    assert explanation["capped"] is True and explanation["cap"] == "0.89"
    assert explanation["cap_reason"] == "no_direct_source"
    assert band_for(result, DEFAULT_BANDS).grade == "A/B"


SPLIT_AT_HALF = bands_from([("0.50", "1.00", "A", "High"), ("0.00", "0.49", "D", "Low")])


def test_claim_with_direct_source_but_single_publisher_is_capped():
    # a direct A alone weighs 0.80, above this table's cap of 0.50 - 0.01 = 0.49
    result, explanation = score([ev(1, "Registry"), ev(2, "registry", "reporting")],
                                bands=SPLIT_AT_HALF)
    assert result == D("0.49")
    assert explanation["cap_reason"] == "single_publisher" and explanation["cap"] == "0.49"


def test_single_publisher_without_direct_source_gives_both_reasons():
    result, explanation = score([ev(1, "Wire", "reporting")], bands=SPLIT_AT_HALF)
    assert result == D("0.49")
    assert explanation["cap_reason"] == "no_direct_source_single_publisher"


def test_direct_source_and_two_publishers_reach_the_top_band():
    result, explanation = score([ev(1, "Registry"), ev(2, "Newswire", "reporting")])
    assert result == D("0.91") and band_for(result, DEFAULT_BANDS).grade == "A"
    assert explanation["capped"] is False and explanation["cap_reason"] is None


def test_score_below_the_cap_is_not_marked_capped():
    result, explanation = score([ev(1, "Wire", "reporting")])
    assert result == D("0.55") and explanation["capped"] is False


def test_cap_is_applied_after_rounding():
    # reporting A, A, B: 1 - 0.45 * 0.45 * 0.505 = 1 - 0.1022625 = 0.8977375
    # rounds to 0.90 (top band), so the cap brings it to 0.89
    records = [ev(1, "Wire 1", "reporting"), ev(2, "Wire 2", "reporting"),
               ev(3, "Wire 3", "reporting", "B")]
    result, explanation = score(records)
    assert result == D("0.89")
    assert explanation["raw"] == "0.8977" and explanation["capped"] is True


def test_raw_0_495_rounds_up_into_the_top_band_and_is_capped():
    # reporting B = 0.55 * 0.90 = 0.495 -> 0.50, this table's top band -> capped at 0.49
    result, explanation = score([ev(1, "Wire", "reporting", "B")], bands=SPLIT_AT_HALF)
    assert result == D("0.49") and explanation["capped"] is True


def test_raw_that_rounds_down_to_the_cap_is_not_marked_capped():
    # reporting C 0.4125, secondary E 0.40 * 0.35 = 0.14: 1 - 0.5875 * 0.86 = 0.49475 -> 0.49
    result, explanation = score([ev(1, "Wire", "reporting", "C"),
                                 ev(2, "Blog", "secondary", "E")], bands=SPLIT_AT_HALF)
    assert result == D("0.49")
    assert explanation["capped"] is False and explanation["cap_reason"] is None


def test_reviewed_direct_source_counts_for_the_cap_even_if_outweighed_by_its_publisher():
    # Registry's direct F (0.16) is outweighed by its own reporting A (0.55), but a direct
    # source was still reviewed; with Newswire A and Agency A: 1 - 0.45**3 = 0.908875 -> 0.91
    records = [ev(1, "Registry", "direct", "F"), ev(2, "Registry", "reporting"),
               ev(3, "Newswire", "reporting"), ev(4, "Agency", "reporting")]
    result, explanation = score(records)
    assert result == D("0.91") and explanation["capped"] is False


def test_override_with_reason_replaces_the_computed_score():
    result, explanation = score([ev(1, "Wire", "reporting")], override="0.7",
                                override_reason="  Confirmed by phone with the registry. ")
    assert result == D("0.70")
    assert explanation["computed"] == "0.55" and explanation["override"] == "0.70"
    assert explanation["override_reason"] == "Confirmed by phone with the registry."
    assert explanation["score"] == "0.70"


def test_override_is_rounded_half_up():
    assert score([ev(1)], override=0.895, override_reason="analyst view")[0] == D("0.90")


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_override_without_reason_is_refused(reason):
    with pytest.raises(OverrideError, match="an override needs a reason"):
        score([ev(1)], override="0.5", override_reason=reason)


@pytest.mark.parametrize("value", ["1.5", -0.2, float("nan")])
def test_override_out_of_range_is_refused(value):
    with pytest.raises(ScoreError):
        score([ev(1)], override=value, override_reason="because")


def test_no_override_leaves_override_fields_empty():
    _, explanation = score([ev(1)], override_reason="ignored without an override")
    assert explanation["override"] is None and explanation["override_reason"] is None


def test_explanation_lists_each_record_with_weight_and_reason():
    records = [ev(7, "Registry", published_on=TODAY - timedelta(days=HALF_LIFE_DAYS)),
               ev("x9", "Wire", "reporting", "C", published_on=None),
               ev(8, "wire", "secondary", "A", review_status="pending")]
    _, explanation = score(records)
    assert explanation["policy_version"] == POLICY_VERSION
    assert explanation["as_of"] == "2026-11-24"
    first, second, third = explanation["evidence"]
    assert first == {"id": 7, "publisher": "Registry", "kind": "direct", "reliability": "A",
                     "stance": "supports", "review_status": "reviewed",
                     "published_on": "2021-11-24",
                     "base": "0.8000", "decay": "0.5000", "weight": "0.4000",
                     "counted": True, "reason": None}
    # reporting C undated: 0.4125 * 0.5 = 0.20625 -> "0.2063"
    assert (second["id"], second["weight"], second["published_on"]) == ("x9", "0.2063", None)
    assert (third["counted"], third["reason"]) == (False, "not_reviewed")
    # 1 - 0.6 * 0.79375 = 0.52375 -> 0.52
    assert explanation["support"] == "0.52" and explanation["score"] == "0.52"


def test_explanation_is_json_serialisable():
    _, explanation = score([ev(1), ev(2, "Other", stance="contradicts")],
                           override=D("0.33"), override_reason="x")
    assert json.loads(json.dumps(explanation)) == explanation


def test_explanation_has_the_documented_keys():
    _, explanation = score([ev(1)])
    assert {"policy_version", "as_of", "evidence", "support", "contradiction", "computed",
            "capped", "cap", "cap_reason", "no_reviewed_support", "override",
            "override_reason", "score"} <= explanation.keys()


# --- Profile scores -------------------------------------------------------------------------

def test_profile_score_is_mean_of_claim_scores_rounded_half_up():
    # (0.56 + 0.57) / 2 = 0.565 -> 0.57 (banker's rounding would give 0.56)
    result, explanation = score_profile([D("0.56"), D("0.57")])
    assert result == D("0.57")
    assert explanation == {"policy_version": POLICY_VERSION, "claims": 2, "mean": "0.57",
                           "computed": "0.57", "override": None, "override_reason": None,
                           "score": "0.57"}


def test_profile_score_of_three_claims():
    # (0.90 + 0.80 + 0.75) / 3 = 2.45 / 3 = 0.81666... -> 0.82
    assert score_profile([D("0.90"), D("0.80"), D("0.75")])[0] == D("0.82")


def test_profile_without_claims_scores_zero():
    result, explanation = score_profile([])
    assert str(result) == "0.00" and explanation["claims"] == 0 and explanation["mean"] is None


def test_profile_override_needs_a_reason_and_shows_both_numbers():
    with pytest.raises(OverrideError):
        score_profile([D("0.40")], override=D("0.60"))
    result, explanation = score_profile([D("0.40")], override=D("0.60"), override_reason="r")
    assert result == D("0.60") and explanation["computed"] == "0.40"


def test_profile_refuses_out_of_range_claim_scores():
    with pytest.raises(ScoreError):
        score_profile([D("1.50")])


# --- Properties -------------------------------------------------------------------------------

two_place_scores = st.integers(0, 100).map(lambda n: D(n).scaleb(-2))  # 0.00 .. 1.00
publishers = st.sampled_from(["Registry", "registry ", "Wire", "WIRE", "Agency", "Blog", ""])
evidence_records = st.builds(
    EvidenceInput,
    id=st.integers(0, 10_000),
    publisher=publishers,
    kind=st.sampled_from(sorted(KIND_WEIGHTS)),
    reliability=st.sampled_from(sorted(RELIABILITY_FACTORS)),
    published_on=st.none() | st.dates(date(2000, 1, 1), date(2030, 12, 31)),
    review_status=st.sampled_from(["reviewed", "reviewed", "pending", "rejected"]),
    stance=st.sampled_from(["supports", "contradicts"]),
)


@st.composite
def valid_band_tables(draw):
    """A random valid table: cut points on the 0.01 grid, bands contiguous from 0 to 1."""
    cuts = sorted(draw(st.sets(st.integers(1, 100), max_size=12)))
    lowers = [0] + cuts
    uppers = [c - 1 for c in cuts] + [100]
    bands = [Band(D(lo).scaleb(-2), D(up).scaleb(-2), f"G{i}", f"Band {i}")
             for i, (lo, up) in enumerate(zip(lowers, uppers))]
    return draw(st.permutations(bands))


def assert_is_score(value):
    assert isinstance(value, Decimal)
    assert D("0.00") <= value <= D("1.00")
    assert value.as_tuple().exponent == -2


@given(two_place_scores)
def test_every_two_place_score_has_exactly_one_default_band(value):
    assert sum(band.contains(value) for band in DEFAULT_BANDS) == 1
    assert band_for(value, DEFAULT_BANDS).contains(value)


@given(st.floats(0, 1))
def test_every_float_between_0_and_1_has_exactly_one_default_band(value):
    rounded = round_score(value)
    assert sum(band.contains(rounded) for band in DEFAULT_BANDS) == 1
    assert band_for(value, DEFAULT_BANDS).contains(rounded)


@example(records=[ev(1, "P", "direct", "F"), ev(2, "Q", "reporting")],
         extra=ev(3, "P", "reporting"), bands=SPLIT_AT_HALF, same_publisher=False)
@given(st.lists(evidence_records, max_size=8), evidence_records, valid_band_tables(),
       st.booleans())
def test_adding_reviewed_support_never_lowers_a_claim_score(records, extra, bands, same_publisher):
    # Often from a publisher already present, to exercise the duplicate-publisher rule.
    if same_publisher and records:
        extra = replace(extra, publisher=records[extra.id % len(records)].publisher)
    extra = replace(extra, review_status="reviewed", stance="supports")
    before, _ = score(records, bands=bands)
    after, _ = score(records + [extra], bands=bands)
    assert after >= before


@given(st.lists(evidence_records, max_size=8), valid_band_tables())
def test_claim_without_direct_support_never_scores_above_the_cap(records, bands):
    records = [replace(r, kind="reporting")
               if r.kind == "direct" and r.stance == "supports" else r for r in records]
    assert score(records, bands=bands)[0] <= cap_for(bands)


@given(st.lists(evidence_records, max_size=8), st.sampled_from(["Wire", " wire", "WIRE  "]),
       valid_band_tables())
def test_claim_with_a_single_supporting_publisher_never_scores_above_the_cap(records, name, bands):
    records = [replace(r, publisher=name)
               if r.stance == "supports" else r for r in records]
    assert score(records, bands=bands)[0] <= cap_for(bands)


@given(st.lists(evidence_records, max_size=10), st.none() | two_place_scores)
def test_claim_score_is_always_a_two_place_score(records, override):
    result, explanation = score(records, override=override, override_reason="r")
    assert_is_score(result)
    assert explanation["score"] == str(result)
    json.dumps(explanation)


@given(st.lists(two_place_scores, max_size=20))
def test_profile_score_is_always_a_two_place_score(claim_scores):
    assert_is_score(score_profile(claim_scores)[0])


@given(valid_band_tables())
def test_random_valid_band_tables_validate_highest_first(bands):
    ordered = validate_bands(bands)
    assert [b.lower for b in ordered] == sorted((b.lower for b in bands), reverse=True)
    assert ordered[0].upper == D("1.00") and ordered[-1].lower == D("0.00")


@settings(max_examples=200)
@given(valid_band_tables(), st.data())
def test_removing_an_interior_band_breaks_the_table(bands, data):
    ordered = validate_bands(bands)
    assume(len(ordered) >= 3)
    index = data.draw(st.integers(1, len(ordered) - 2))
    removed = ordered[index]
    with pytest.raises(BandTableError) as caught:
        validate_bands(ordered[:index] + ordered[index + 1:])
    assert any(p.startswith("gap between") and str(removed.lower) in p
               for p in caught.value.problems)
