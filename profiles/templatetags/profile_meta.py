"""`{% profile_meta profile as meta %}`: a profile page's public meta (see structured_data)."""

from django import template

from profiles.web import structured_data

register = template.Library()


@register.simple_tag(takes_context=True)
def profile_meta(context, profile):
    return structured_data.profile_meta(profile, context["request"])
