"""The analyst desk (Django's admin at /admin/): each module registers its own admin classes.

desk: profiles and their parts, the workflow, history, sources, bands and watchpoints;
forms: the desk's forms and their validation; tokens: API tokens.
"""

from profiles.admin import desk, tokens  # noqa: F401  (registration)
