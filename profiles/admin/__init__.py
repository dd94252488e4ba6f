"""The analyst desk (Django's admin at /admin/): each module registers its own admin classes.

The classes stay thin, over the registry's own rules and services; every bilingual field is
edited in both languages (modeltranslation's admin classes).

site: the site's header and titles; profiles: the profile list and page, workflow buttons,
previews and history; inlines: the inline tables of a profile's parts and a claim's evidence;
claims, watchpoints: parts edited on their own pages; evidence: sources and their citation
review; bands: the band table; audit: the security log; tokens: API tokens.
Not registering: base (shared admin classes), display (grades and explanations as shown),
filters (list filters), forms (the desk's forms and their validation).
"""

# Imported for their registrations.
from profiles.admin import audit, bands, claims, evidence, profiles, site, tokens, watchpoints  # noqa: F401
