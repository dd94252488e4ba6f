
"""Fill the bench database with a registry of realistic size, deterministically.

    python bench/generate.py [--seed 2026] [--scale 1.0] [--report FILE]

At scale 1: 10,000 profiles (institutions and topics; English, Chinese or both; mostly
published, some draft, in review or archived), 100,000 evidence records (shared across
profiles through their source lists), 50,000 claims citing several sources each,
40,000 timeline events, 20,000 watchpoints, about 15,000 relationships, 25,000 FAQ
entries, a briefing for most profiles, topics, and a "created" entry per profile in the
changes feed. Then every stored score is computed by `scoring.recompute_scores` (the
code the registry itself runs, timed on its own) and the tables are analysed.

Rows are written with `bulk_create` in chunks of profiles, so memory stays flat. The
database must be migrated and empty (`bench/run.py` creates it). One seed always gives
the same data; the random generator is the only source of variety.
"""

import argparse
import json
import os
import random
import re
import sys
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from bench import corpus  # noqa: E402

TOTALS = {
    "profiles": 10_000,
    "evidence": 100_000,
    "claims": 50_000,
    "timeline": 40_000,
    "watchpoints": 20_000,
    "relationships": 15_000,
    "faq": 25_000,
}
CHUNK = 500  # profiles whose parts are built and written together
BATCH = 2000  # rows per INSERT
# A fixed "today" for the generated dates, so a seed gives the same rows on any day.
ANCHOR = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
FIRST_DAY = datetime(2019, 1, 1, tzinfo=UTC)

PUBLIC, MEMBERS, INTERNAL = "public", "members", "internal"


class Timings:
    """Wall-clock seconds per stage, printed as they finish."""

    def __init__(self):
        self.stages = {}

    @contextmanager
    def stage(self, name):
        start = time.perf_counter()
        yield
        self.stages[name] = round(time.perf_counter() - start, 2)
        print(f"  {name}: {self.stages[name]:.1f} s", file=sys.stderr, flush=True)


def pick(rng, weighted):
    """One value from a {value: weight} mapping."""
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def spread(rng, total, count, minimum):
    """`count` non-negative numbers, each at least `minimum`, adding up to exactly `total`."""
    numbers = [minimum] * count
    for i in rng.choices(range(count), k=max(0, total - minimum * count)):
        numbers[i] += 1
    return numbers


def moment(rng, start, end):
    return start + timedelta(seconds=rng.randint(0, max(0, int((end - start).total_seconds()))))


class Generator:
    def __init__(self, seed, scale):
        self.seed = seed
        self.rng = random.Random(seed)
        self.totals = {name: max(1, round(n * scale)) for name, n in TOTALS.items()}
        self.timings = Timings()
        self.counts = {}
        self.publishers = self._publishers()
        self.evidence_pool = []  # (id) of every record written so far, for shared sources

    # Texts -----------------------------------------------------------------------

    def texts(self, prefix, languages, en, zh):
        """The `_en`/`_zh_hans` columns of a translated field, for a profile's languages."""
        return {
            f"{prefix}_en": en() if "en" in languages else "",
            f"{prefix}_zh_hans": zh() if "zh" in languages else "",
        }

    def paragraph(self, prefix, languages, sentences, name=None):
        rng = self.rng
        return self.texts(
            prefix,
            languages,
            lambda: corpus.paragraph_en(rng, sentences, name and name[0]),
            lambda: corpus.paragraph_zh(rng, sentences, name and name[1]),
        )

    def visibility(self, public, members, internal):
        return pick(self.rng, {PUBLIC: public, MEMBERS: members, INTERNAL: internal})

    def _publishers(self):
        """A registry-wide pool of publishers: (name, kind, domain)."""
        rng, publishers, seen = self.rng, [], set()
        while len(publishers) < 1500:
            base = corpus.coined_name(rng)
            template, kind = rng.choice(corpus.PUBLISHER_KINDS)
            name = template.format(name=base)
            if name in seen:
                continue
            seen.add(name)
            domain = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + rng.choice([".example.org", ".example.net", ".example.com"])
            publishers.append((name, kind, domain))
        return publishers

    # Profiles ----------------------------------------------------------------------

    def profiles(self, models):
        rng, used_slugs, profiles = self.rng, set(), []
        for index in range(self.totals["profiles"]):
            kind = "institution" if rng.random() < 0.7 else "topic"
            languages = pick(rng, {("en", "zh"): 70, ("en",): 20, ("zh",): 10})
            region, region_zh, _ = rng.choices(corpus.REGIONS, weights=[r[2] for r in corpus.REGIONS])[0]
            year = rng.randint(2024, 2027)
            if kind == "institution":
                type_en, type_zh, category, domain = rng.choice(corpus.INSTITUTION_TYPES)
                coined = corpus.coined_name(rng)
                name = (f"{coined} {type_en}", f"{corpus.coined_han(rng)}{type_zh}")
                focus = "Institution"
            else:
                subject, subject_zh, domain = rng.choice(corpus.TOPIC_SUBJECTS)
                frame_en, frame_zh = rng.choice(corpus.TOPIC_FRAMES)
                name = (
                    frame_en.format(subject=subject, region=region, year=year),
                    frame_zh.format(subject=subject_zh, region=region_zh, year=year),
                )
                name = (name[0][0].upper() + name[0][1:], name[1])
                category = pick(rng, {"Internet infrastructure topic": 6, "Policy debate": 2, "Security trend": 1, "Market trend": 1})
                focus = "Topic"
            slug = base = re.sub(r"[^a-z0-9]+", "-", name[0].lower()).strip("-")[:90]
            while slug in used_slugs:
                slug = f"{base}-{rng.randint(2, 9999)}"
            used_slugs.add(slug)
            status = pick(rng, {"published": 85, "draft": 7, "in_review": 3, "archived": 5})
            created = moment(rng, FIRST_DAY, ANCHOR - timedelta(days=30))
            updated = moment(rng, created, ANCHOR)
            override = rng.random() < 0.02
            profile = models.Profile(
                slug=slug,
                kind=kind,
                **self.texts("name", languages, lambda: name[0], lambda: name[1]),
                aliases=[re.sub(r"[^A-Z]", "", name[0].title())[:6] + "-" + region[:2].upper()] if rng.random() < 0.4 else [],
                category=category,
                region=region,
                focus=focus,
                primary_domain=domain,
                signal_focus=rng.choice(corpus.SIGNAL_FOCUS),
                content_type=pick(rng, {"profile": 8, "briefing note": 1, "tracker": 1}),
                **self.paragraph("summary", languages, rng.randint(2, 4), name),
                **self.paragraph("function", languages, rng.randint(1, 2), name),
                **self.paragraph("importance_statement", languages, 1, name),
                criticality=pick(rng, {"": 1, "low": 2, "medium": 4, "high": 3, "critical": 1}),
                time_horizon=pick(rng, {"": 1, "next_month": 2, "next_quarter": 3, "next_year": 3, "long_term": 1}),
                impact=pick(rng, {"": 1, "low": 2, "medium": 3, "high": 2}),
                **self.paragraph("watch_focus", languages, 1, name),
                **self.paragraph("public_view", languages, 1, name),
                **self.paragraph("limitations", languages, 1),
                status=status,
                created_at=created,
                updated_at=updated,
                published_at=moment(rng, created, updated) if status in ("published", "archived") else None,
                last_reviewed_at=updated if rng.random() < 0.8 else None,
                score_override=Decimal(rng.randint(10, 95)) / 100 if override else None,
                override_reason="Analyst assessment after a site visit." if override else "",
            )
            profile.bench_languages = languages
            profile.bench_name = name
            profiles.append(profile)
        with self.timings.stage("profiles"):
            models.Profile.objects.bulk_create(profiles, batch_size=BATCH)
        return profiles

    # One chunk of profiles' parts -----------------------------------------------------

    def parts(self, models, chunk, all_profiles, counts):
        rng = self.rng
        evidence_by_profile, records = {}, []
        for profile in chunk:
            languages = profile.bench_languages
            publishers = rng.sample(self.publishers, rng.randint(3, 6))
            own = []
            for j in range(counts["evidence"][profile.bench_index]):
                name, kind, domain = rng.choice(publishers)
                has_url = kind != "internal" or rng.random() < 0.3
                url = f"https://{domain}/{profile.slug[:40]}/{rng.choice(['report', 'news', 'filing', 'notice', 'data'])}-{len(self.evidence_pool) + len(records) + 1}" if has_url else ""
                record = models.EvidenceRecord(
                    **self.texts(
                        "title",
                        languages,
                        lambda: corpus.sentence_en(rng, profile.bench_name[0])[:480],
                        lambda: corpus.sentence_zh(rng, profile.bench_name[1])[:480],
                    ),
                    url=url,
                    normalized_url=self.normalize_url(url) if url else "",
                    publisher=name,
                    published_on=(ANCHOR - timedelta(days=rng.randint(0, 8 * 365))).date() if rng.random() < 0.95 else None,
                    kind=kind,
                    reliability=pick(rng, {"A": 25, "B": 30, "C": 20, "D": 10, "E": 5, "F": 10}),
                    **self.paragraph("excerpt", languages, rng.randint(1, 2)),
                    language="zh" if languages == ("zh",) else "en",
                    review_status=pick(rng, {"reviewed": 80, "pending": 15, "rejected": 5}),
                    visibility=self.visibility(85, 10, 5),
                    created_at=profile.created_at,
                    updated_at=profile.updated_at,
                )
                records.append(record)
                own.append(record)
            evidence_by_profile[profile.pk] = own
        models.EvidenceRecord.objects.bulk_create(records, batch_size=BATCH)

        links, claims, claim_sources = [], [], []
        for profile in chunk:
            sources = list(evidence_by_profile[profile.pk])
            # A few sources first cited by other profiles: evidence is shared registry-wide.
            if self.evidence_pool:
                for evidence_id in rng.sample(self.evidence_pool, min(len(self.evidence_pool), rng.randint(0, 3))):
                    sources.append(models.EvidenceRecord(pk=evidence_id))
            seen = set()
            sources = [s for s in sources if not (s.pk in seen or seen.add(s.pk))]
            profile.bench_sources = sources
            for position, record in enumerate(sources):
                links.append(models.ProfileEvidence(profile=profile, evidence_id=record.pk, key=f"src-{position + 1}", position=position))
        models.ProfileEvidence.objects.bulk_create(links, batch_size=BATCH)
        self.evidence_pool.extend(record.pk for record in records)

        sections = [value for value, _ in models.ClaimSection.choices]
        for profile in chunk:
            languages = profile.bench_languages
            for position in range(counts["claims"][profile.bench_index]):
                retracted = rng.random() < 0.02
                override = rng.random() < 0.03
                claim = models.Claim(
                    profile=profile,
                    section=rng.choice(sections),
                    **self.paragraph("text", languages, rng.randint(1, 2), profile.bench_name),
                    verified=rng.random() < 0.85,
                    visibility=self.visibility(75, 15, 10),
                    retracted_at=profile.updated_at if retracted else None,
                    retraction_reason="Contradicted by the operator's own filing." if retracted else "",
                    score_override=Decimal(rng.randint(5, 95)) / 100 if override else None,
                    override_reason="Analyst judgement: sources understate the change." if override else "",
                    position=position,
                )
                claims.append(claim)
                claim_sources.append(rng.sample(profile.bench_sources, min(len(profile.bench_sources), rng.randint(2, 5))))
        models.Claim.objects.bulk_create(claims, batch_size=BATCH)
        claim_links = []
        for claim, cited in zip(claims, claim_sources):
            languages = claim.profile.bench_languages
            for position, record in enumerate(cited):
                note = rng.random() < 0.5
                claim_links.append(
                    models.ClaimEvidence(
                        claim=claim,
                        evidence_id=record.pk,
                        **self.texts(
                            "note",
                            languages,
                            lambda: corpus.sentence_en(rng)[:480] if note else "",
                            lambda: corpus.sentence_zh(rng)[:480] if note else "",
                        ),
                        stance="supports" if rng.random() < 0.88 else "contradicts",
                        position=position,
                    )
                )
        models.ClaimEvidence.objects.bulk_create(claim_links, batch_size=BATCH)

        events, event_sources = [], []
        timeline_kinds = [value for value, _ in models.TimelineKind.choices]
        for profile in chunk:
            languages = profile.bench_languages
            for position in range(counts["timeline"][profile.bench_index]):
                events.append(
                    models.TimelineEvent(
                        profile=profile,
                        date=moment(rng, profile.created_at - timedelta(days=2000), ANCHOR).date(),
                        kind=rng.choice(timeline_kinds),
                        **self.texts(
                            "title",
                            languages,
                            lambda: corpus.sentence_en(rng, profile.bench_name[0])[:290],
                            lambda: corpus.sentence_zh(rng, profile.bench_name[1])[:290],
                        ),
                        **self.paragraph("text", languages, rng.randint(1, 3), profile.bench_name),
                        visibility=self.visibility(80, 12, 8),
                        position=position,
                    )
                )
                event_sources.append(rng.sample(profile.bench_sources, min(len(profile.bench_sources), rng.randint(0, 2))))
        models.TimelineEvent.objects.bulk_create(events, batch_size=BATCH)
        through = models.TimelineEvent.evidence.through
        through.objects.bulk_create(
            [through(timelineevent_id=event.pk, evidencerecord_id=r.pk) for event, cited in zip(events, event_sources) for r in cited],
            batch_size=BATCH,
        )

        watchpoints, triggers = [], []
        watch_kinds = [value for value, _ in models.WatchpointKind.choices]
        for profile in chunk:
            languages = profile.bench_languages
            for position in range(counts["watchpoints"][profile.bench_index]):
                status = pick(rng, {"open": 60, "triggered": 15, "resolved": 15, "expired": 10})
                watchpoints.append(
                    models.Watchpoint(
                        profile=profile,
                        **self.paragraph("text", languages, 1, profile.bench_name),
                        kind=rng.choice(watch_kinds),
                        status=status,
                        review_by=(ANCHOR + timedelta(days=rng.randint(-200, 400))).date() if rng.random() < 0.8 else None,
                        visibility=self.visibility(75, 15, 10),
                        position=position,
                    )
                )
                triggers.append(rng.sample(profile.bench_sources, 1) if status == "triggered" and profile.bench_sources else [])
        models.Watchpoint.objects.bulk_create(watchpoints, batch_size=BATCH)
        through = models.Watchpoint.triggered_by.through
        through.objects.bulk_create(
            [through(watchpoint_id=w.pk, evidencerecord_id=r.pk) for w, cited in zip(watchpoints, triggers) for r in cited],
            batch_size=BATCH,
        )

        briefings, faq, topics = [], [], []
        for profile in chunk:
            languages = profile.bench_languages
            if rng.random() < 0.85:
                briefings.append(
                    models.Briefing(
                        profile=profile,
                        **self.texts("title", languages, lambda: f"Background: {profile.bench_name[0]}"[:290], lambda: f"背景：{profile.bench_name[1]}"[:290]),
                        **self.texts(
                            "body",
                            languages,
                            lambda: "## Background\n\n" + corpus.paragraph_en(rng, 4, profile.bench_name[0])
                            + "\n\n## What we watch\n\n" + "\n".join(f"- {corpus.sentence_en(rng)}" for _ in range(3)),
                            lambda: "## 背景\n\n" + corpus.paragraph_zh(rng, 4, profile.bench_name[1])
                            + "\n\n## 关注要点\n\n" + "\n".join(f"- {corpus.sentence_zh(rng)}" for _ in range(3)),
                        ),
                        **self.paragraph("source_notes", languages, 2),
                        visibility=MEMBERS if rng.random() < 0.9 else INTERNAL,
                    )
                )
            for position in range(counts["faq"][profile.bench_index]):
                question_en, question_zh = rng.choice(corpus.FAQ_QUESTIONS)
                faq.append(
                    models.FaqEntry(
                        profile=profile,
                        **self.texts(
                            "question",
                            languages,
                            lambda: question_en.format(name=profile.bench_name[0])[:490],
                            lambda: question_zh.format(name=profile.bench_name[1])[:490],
                        ),
                        **self.paragraph("answer", languages, rng.randint(1, 3), profile.bench_name),
                        visibility=self.visibility(85, 10, 5),
                        position=position,
                    )
                )
            for position, name in enumerate(rng.sample(corpus.FACET_TOPICS, rng.randint(1, 5))):
                topics.append(models.ProfileTopic(profile=profile, name=name, position=position))
        models.Briefing.objects.bulk_create(briefings, batch_size=BATCH)
        models.FaqEntry.objects.bulk_create(faq, batch_size=BATCH)
        models.ProfileTopic.objects.bulk_create(topics, batch_size=BATCH)

        relationships, relationship_sources = [], []
        relationship_kinds = [value for value, _ in models.RelationshipKind.choices]
        for profile in chunk:
            languages, seen = profile.bench_languages, set()
            for position in range(counts["relationships"][profile.bench_index]):
                target = rng.choice(all_profiles)
                kind = rng.choice(relationship_kinds)
                if target.pk == profile.pk or (target.pk, kind) in seen:
                    continue
                seen.add((target.pk, kind))
                relationships.append(
                    models.Relationship(
                        source=profile,
                        target=target,
                        kind=kind,
                        **self.paragraph("note", languages, 1),
                        verified=rng.random() < 0.8,
                        visibility=self.visibility(85, 10, 5),
                        position=position,
                    )
                )
                relationship_sources.append(rng.sample(profile.bench_sources, min(len(profile.bench_sources), rng.randint(0, 1))))
        models.Relationship.objects.bulk_create(relationships, batch_size=BATCH)
        through = models.Relationship.evidence.through
        through.objects.bulk_create(
            [through(relationship_id=rel.pk, evidencerecord_id=r.pk) for rel, cited in zip(relationships, relationship_sources) for r in cited],
            batch_size=BATCH,
        )
        for profile in chunk:
            del profile.bench_sources  # keep memory flat: records are not needed past their chunk
        for name, rows in (
            ("evidence", records), ("profile_evidence", links), ("claims", claims), ("claim_evidence", claim_links),
            ("timeline", events), ("watchpoints", watchpoints), ("briefings", briefings), ("faq", faq),
            ("topics", topics), ("relationships", relationships),
        ):  # fmt: skip
            self.counts[name] = self.counts.get(name, 0) + len(rows)

    # The whole run -------------------------------------------------------------------

    def run(self):
        from django.db import connection, transaction
        from django.utils import translation

        from profiles import models
        from profiles.services import scoring
        from profiles.interchange.format import normalize_url

        self.normalize_url = normalize_url
        if models.Profile.objects.exists():
            raise SystemExit("the bench database already has profiles: generate into an empty, migrated database")
        rng = self.rng
        start = time.perf_counter()
        # modeltranslation fills the untranslated column from the active language.
        with translation.override("en"):
            profiles = self.profiles(models)
            n = len(profiles)
            for index, profile in enumerate(profiles):
                profile.bench_index = index
            counts = {
                "evidence": spread(rng, self.totals["evidence"], n, 3),
                "claims": spread(rng, self.totals["claims"], n, 1),
                "timeline": spread(rng, self.totals["timeline"], n, 0),
                "watchpoints": spread(rng, self.totals["watchpoints"], n, 0),
                "relationships": spread(rng, self.totals["relationships"], n, 0),
                "faq": spread(rng, self.totals["faq"], n, 0),
            }
            with self.timings.stage("parts (evidence, claims, timeline, watchpoints, briefings, FAQ, relationships)"):
                for first in range(0, n, CHUNK):
                    with transaction.atomic():
                        self.parts(models, profiles[first : first + CHUNK], profiles, counts)
                    print(f"\r  parts: {min(first + CHUNK, n)}/{n} profiles", end="", file=sys.stderr, flush=True)
                print(file=sys.stderr)
            with self.timings.stage("changes feed"):
                models.ProfileChange.objects.bulk_create(
                    [
                        models.ProfileChange(profile=p, slug=p.slug, action="created", public_after=p.status == "published", at=p.created_at)
                        for p in sorted(profiles, key=lambda p: (p.created_at, p.pk))
                    ],
                    batch_size=BATCH,
                )
            with self.timings.stage("recompute_scores (all profiles)"):
                changed = scoring.recompute_scores(record=False)
            with self.timings.stage("restore generated updated_at"):
                # Recomputing stamps every profile as updated now; keep the generated history.
                models.Profile.objects.bulk_update(profiles, ["updated_at"], batch_size=BATCH)
        with self.timings.stage("vacuum analyze"):
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        self.counts["profiles"] = n
        self.counts["scored_profiles"] = changed
        return {
            "seed": self.seed,
            "totals": self.counts,
            "seconds": self.timings.stages,
            "total_seconds": round(time.perf_counter() - start, 1),
        }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size (1.0 = 10,000 profiles)")
    parser.add_argument("--report", help="write the counts and timings as JSON to this file")
    args = parser.parse_args(argv)

    import django

    django.setup()
    report = Generator(args.seed, args.scale).run()
    print(json.dumps(report, indent=2))
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
