"""The admin site itself: its header and titles.

The front page's lists are not built here: templates/admin/index.html shows them through
the `analyst_dashboard` template tag (templatetags.analyst_desk, over selectors.dashboard).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Infrastructure Intelligence Registry — analyst desk")
admin.site.site_title = _("Analyst desk")
admin.site.index_title = _("Dashboard")
