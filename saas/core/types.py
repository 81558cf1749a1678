"""Column types shared by every domain."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime from the clock")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ExactDecimal(TypeDecorator):
    """A Decimal stored exactly: NUMERIC on PostgreSQL, a scaled integer on SQLite (whose NUMERIC is a float).

    Money columns use scale 2 (quantised with saas.core.money first); rates use scale 4.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int = 2, precision: int = 18):
        super().__init__()
        self.scale, self.precision = scale, precision

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("an exact decimal is never a float")
        value = Decimal(value)
        if value != value.quantize(Decimal(1).scaleb(-self.scale)):
            raise ValueError(f"{value} has more than {self.scale} decimal places; quantise it first")
        return int(value.scaleb(self.scale)) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale).quantize(Decimal(1).scaleb(-self.scale))
        return Decimal(value)
