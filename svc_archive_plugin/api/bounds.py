"""The range of a stored id or number, checked where input arrives.

SQLite raises ``OverflowError`` and PostgreSQL a numeric-range error for an integer beyond
64 bits, and Django checks neither in lookups: unchecked, such a value is an HTTP 500.
"""

from __future__ import annotations

from rest_framework import serializers

SMALLEST_INTEGER = -(2**63)
LARGEST_INTEGER = 2**63 - 1


def fits(value) -> bool:
    """Whether ``value`` is not an integer, or an integer the databases can compare."""
    try:
        number = int(str(value))
    except ValueError:
        return True  # not a number at all: the field's own validation says so
    return SMALLEST_INTEGER <= number <= LARGEST_INTEGER


def id_list(**kwargs) -> serializers.ListField:
    """A list of document ids in a request body."""
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=LARGEST_INTEGER),
        **kwargs,
    )


class IdField(serializers.PrimaryKeyRelatedField):
    """paperless's related field, where an id past 64 bits is "does not exist"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool) and not fits(data):
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)
