"""factory_boy factories for the registry's models."""

from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from profiles import models
from profiles.accounts.roles import assign_role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("a-long-test-password")


class StaffFactory(UserFactory):
    is_staff = True


def user_with_role(role, **kwargs):
    """A user holding one of the registry's roles ("analyst", "editor", "member")."""
    return assign_role(UserFactory(**kwargs), role)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Membership

    user = factory.SubFactory(UserFactory)
    valid_until = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Profile

    slug = factory.Sequence(lambda n: f"profile-{n}")
    kind = models.ProfileKind.INSTITUTION
    name_en = factory.Sequence(lambda n: f"Profile {n}")
    status = models.ProfileStatus.PUBLISHED


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.EvidenceRecord

    title_en = factory.Sequence(lambda n: f"Source {n}")
    publisher = factory.Sequence(lambda n: f"Publisher {n}")
    published_on = factory.LazyFunction(date.today)
    kind = models.EvidenceKind.DIRECT
    reliability = models.Reliability.A
    review_status = models.ReviewStatus.REVIEWED
    visibility = models.Visibility.PUBLIC


class ProfileEvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProfileEvidence

    profile = factory.SubFactory(ProfileFactory)
    evidence = factory.SubFactory(EvidenceFactory)
    key = factory.Sequence(lambda n: f"e{n}")


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Claim

    profile = factory.SubFactory(ProfileFactory)
    section = models.ClaimSection.PUBLIC_ROLE
    text_en = factory.Sequence(lambda n: f"Claim {n}")
    verified = True
    visibility = models.Visibility.PUBLIC


class ClaimEvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ClaimEvidence

    claim = factory.SubFactory(ClaimFactory)
    evidence = factory.SubFactory(EvidenceFactory)


class TimelineEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.TimelineEvent

    profile = factory.SubFactory(ProfileFactory)
    date = factory.LazyFunction(date.today)
    kind = models.TimelineKind.OTHER
    title_en = factory.Sequence(lambda n: f"Event {n}")


class WatchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Watchpoint

    profile = factory.SubFactory(ProfileFactory)
    text_en = factory.Sequence(lambda n: f"Watchpoint {n}")


class FaqEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.FaqEntry

    profile = factory.SubFactory(ProfileFactory)
    question_en = factory.Sequence(lambda n: f"Question {n}?")
    answer_en = "Answer."


class BriefingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Briefing

    profile = factory.SubFactory(ProfileFactory)
    title_en = "Briefing"
    body_en = "Body."


class RelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Relationship

    source = factory.SubFactory(ProfileFactory)
    target = factory.SubFactory(ProfileFactory)
    kind = models.RelationshipKind.SEE_ALSO
    verified = True
