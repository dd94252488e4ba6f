"""`{% analyst_dashboard %}`: the analyst desk's lists on the admin's front page (profiles.selectors.dashboard)."""

from django import template

from profiles.selectors import dashboard

register = template.Library()


@register.inclusion_tag("admin/profiles/_dashboard.html")
def analyst_dashboard():
    return dashboard.analyst_dashboard()
