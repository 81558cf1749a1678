"""`flask saas rotate-secrets`: every secret kept in the database sealed again under the newest key."""

from sqlalchemy import Text, literal, select, type_coerce

from saas.core.models import TenantPlugin
from saas.core.secrets import SEALED, EncryptedText, is_sealed, reseal, seal_setting
from saas.core.tenants import secret_settings
from saas.extensions import db


def encrypted_columns() -> list:
    """Every (table, column) of the mapped tables whose type is EncryptedText, the plugins' included."""
    found = []
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        found += [(table, column) for column in table.columns if isinstance(column.type, EncryptedText)]
    return sorted(set(found), key=lambda pair: (pair[0].name, pair[1].name))


def _rotate_settings() -> int:
    changed = 0
    for row in db.session.scalars(select(TenantPlugin).order_by(TenantPlugin.id)):
        secret = secret_settings(row.plugin)
        settings = row.settings or {}
        # Sealed values again under the newest key; a secret still stored plain (saved before sealing) sealed now.
        new = {
            name: {SEALED: reseal(value[SEALED])}
            if is_sealed(value)
            else (seal_setting(value) if name in secret else value)
            for name, value in settings.items()
        }
        if new != settings:
            row.settings = new
            changed += 1
    return changed


def _rotate_column(table, column) -> int:
    # The stored tokens as text: through the column's own type they would be opened and sealed once more.
    raw = type_coerce(column, Text)
    rows = db.session.execute(select(table.c.id, raw).where(column.is_not(None))).all()
    for row_id, token in rows:
        db.session.execute(
            table.update().where(table.c.id == row_id).values({column.name: literal(reseal(token), Text)})
        )
    return len(rows)


def rotate_all() -> dict[str, int]:
    """Seal every stored secret again under the newest key of ENCRYPTION_KEYS; how many rows each place held."""
    counts = {"tenant_plugin.settings": _rotate_settings()}
    for table, column in encrypted_columns():
        counts[f"{table.name}.{column.name}"] = _rotate_column(table, column)
    return counts
