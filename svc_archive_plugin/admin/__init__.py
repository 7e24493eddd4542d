"""Manager screens in paperless's Django admin; thin, the services do the work."""

from svc_archive_plugin.admin import access  # noqa: F401
from svc_archive_plugin.admin import calendar  # noqa: F401
from svc_archive_plugin.admin import capture  # noqa: F401
from svc_archive_plugin.admin import corrections  # noqa: F401
from svc_archive_plugin.admin import destruction  # noqa: F401
from svc_archive_plugin.admin import documents  # noqa: F401
from svc_archive_plugin.admin import fixity  # noqa: F401
from svc_archive_plugin.admin import inventory  # noqa: F401
from svc_archive_plugin.admin import loans  # noqa: F401
from svc_archive_plugin.admin import paperless_vocabulary  # noqa: F401
from svc_archive_plugin.admin import records  # noqa: F401
from svc_archive_plugin.admin import registers  # noqa: F401
from svc_archive_plugin.admin import retention  # noqa: F401
from svc_archive_plugin.admin import statistics  # noqa: F401
from svc_archive_plugin.admin import vocabulary  # noqa: F401
from svc_archive_plugin.admin import work  # noqa: F401
