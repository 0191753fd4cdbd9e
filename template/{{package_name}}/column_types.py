"""Column types that behave the same on SQLite, PostgreSQL and MySQL/MariaDB.

Every project has this module, whether its columns use these types yet or not: a datetime or
decimal column added later, by hand or through `copier update`, needs it, and so do the
revisions that create such columns, which import it for as long as they exist.
"""

import datetime
import decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime.datetime]):
    """A timezone-aware datetime, stored in UTC and read back in UTC on every DBMS.

    PostgreSQL keeps the offset; SQLite and MySQL/MariaDB store naive values, so the value
    is converted to UTC on the way in and marked as UTC on the way out. Naive datetimes are
    refused: their meaning depends on the machine that wrote them.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            # DATETIME keeps no fraction of a second unless asked to.
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: give it a timezone")
        utc = value.astimezone(datetime.UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC)


class ExactDecimal(TypeDecorator[decimal.Decimal]):
    """A fixed-point number that keeps every digit on every DBMS.

    PostgreSQL and MySQL/MariaDB store NUMERIC(precision, scale). SQLite has no decimal type
    and would round the value through a float, so there it is stored as text.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision, scale)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            # Digits, sign and decimal point.
            return dialect.type_descriptor(String(self.precision + 2))
        return dialect.type_descriptor(Numeric(self.precision, self.scale))

    def process_bind_param(self, value: decimal.Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        # Fixed-point notation, never an exponent: the text reads as the number it is.
        return format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> decimal.Decimal | None:
        if value is None:
            return None
        return decimal.Decimal(value)
