"""The API's pagination: limit/offset, both checked, so a bad value is a 400 and never a 500.

DRF's LimitOffsetPagination quietly falls back on bad values and passes huge ones to the
database (where a 20-digit limit overflows the driver's integer: a 500). Here a value outside
its range is refused with a message naming the parameter and the range.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

LIMIT_MAX = 200
# Nobody owns a million objects of one kind; beyond that an offset can only be a probe.
OFFSET_MAX = 1_000_000
_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")


def _bounded_int(request, name: str, *, default: int, low: int, high: int) -> int:
    text = (request.query_params.get(name) or "").strip()
    if not text:
        return default
    message = f"{name} must be a whole number from {low} to {high}."
    if not _INTEGER.fullmatch(text):
        raise ValidationError({name: [message]})
    value = int(text)
    if not low <= value <= high:
        raise ValidationError({name: [message]})
    return value


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """``?limit=`` from 1 to LIMIT_MAX (default PAGE_SIZE), ``?offset=`` from 0 to OFFSET_MAX."""

    max_limit = LIMIT_MAX

    def get_limit(self, request) -> int:
        return _bounded_int(
            request, self.limit_query_param, default=self.default_limit, low=1, high=LIMIT_MAX
        )

    def get_offset(self, request) -> int:
        return _bounded_int(request, self.offset_query_param, default=0, low=0, high=OFFSET_MAX)

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": LIMIT_MAX},
            self.offset_query_param: {"minimum": 0, "maximum": OFFSET_MAX},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
