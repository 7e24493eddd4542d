"""Chinese formats for every Chinese code (zh-cn, zh-tw, zh-hans, zh-hant).

Django's Chinese formats, with dates as the archive practice writes them on screens and
sheets: 2026-12-02, 2026-12-02 01:12; typed dates read and shown as YYYY-MM-DD first.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403
from django.conf.locale.zh_Hans.formats import DATE_INPUT_FORMATS
from django.conf.locale.zh_Hans.formats import DATETIME_INPUT_FORMATS

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"

# The first input format is the one a date field shows its value in.
DATE_INPUT_FORMATS = ["%Y-%m-%d", *(f for f in DATE_INPUT_FORMATS if f != "%Y-%m-%d")]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    *(
        f
        for f in DATETIME_INPUT_FORMATS
        if f not in {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"}
    ),
]
