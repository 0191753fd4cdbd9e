"""JSON values that every DBMS stores as they are sent: the type of the schemas' JSON fields.

MySQL/MariaDB refuse documents nested more than 100 levels deep and keep integers in 64 bits,
PostgreSQL's json refuses NaN and Infinity, and Python writes no integer of more than 4300
digits. Within the bounds here, a value is stored and read back alike on SQLite, PostgreSQL
and MySQL/MariaDB, and a request gets the same answer on each.
"""

import json
import math
from typing import Annotated

from pydantic import AfterValidator, JsonValue

# Arrays and objects nested in one another, at most.
MAX_JSON_DEPTH = 32
# The value written as JSON text, in UTF-8, at most.
MAX_JSON_BYTES = 65_536
# Integers that MySQL/MariaDB keep exactly.
JSON_INTEGERS = range(-(2**63), 2**64)


def check_json(value: JsonValue) -> JsonValue:
    """Refuse a JSON value that some DBMS could not store as it is."""
    pending: list[tuple[JsonValue, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"arrays and objects may be nested {MAX_JSON_DEPTH} deep at most")
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError("numbers must be finite")
        elif isinstance(item, int) and not isinstance(item, bool) and item not in JSON_INTEGERS:
            raise ValueError("integers must lie between -2**63 and 2**64 - 1")
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_JSON_BYTES:
        raise ValueError(f"may take {MAX_JSON_BYTES} bytes as JSON text at most")
    return value


BoundedJson = Annotated[JsonValue, AfterValidator(check_json)]
