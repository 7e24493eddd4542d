"""The two ways a service says no: *refused* (not now) and *forbidden* (not you).

Every service's errors derive from this pair, so the API answers each kind one way (409
and 403) and the admin shows either as the form's message, whatever service raised it.
"""

from __future__ import annotations


class Refused(Exception):
    """The step is not possible now; the message says why, for the person who tried it."""


class Forbidden(Refused):
    """The person may not take this step (role, department, or their own request)."""
