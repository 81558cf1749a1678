#!/usr/bin/env bash
# Dump the database with pg_dump (custom format, compressed) into DIR, keeping the newest KEEP dumps.
#   scripts/backup.sh /var/backups/aftercare 14
# The database is BACKUP_DATABASE_URL, else MIGRATION_DATABASE_URL, else DATABASE_URL (the owner's role is the
# one to use: it reads every table). Row-level security is forced on the tenant tables, so the dump runs in the
# platform scope, where the policies show every tenant's rows (docs/row-level-security.md).
# Restore with: pg_restore --no-owner --exit-on-error -d NEW_DATABASE_URL DUMP (scripts/restore_check.py tries it).
set -euo pipefail
dir=${1:?usage: backup.sh DIR [KEEP]}
keep=${2:-14}
url=${BACKUP_DATABASE_URL:-${MIGRATION_DATABASE_URL:-${DATABASE_URL:?DATABASE_URL is not set}}}
url=${url/postgresql+psycopg:/postgresql:}   # SQLAlchemy's driver name is not libpq's
case "$url" in postgresql:*|postgres:*) ;; *) echo "backup.sh: $url is not a PostgreSQL database" >&2; exit 2;; esac
mkdir -p "$dir"
file="$dir/aftercare-$(date -u +%Y%m%dT%H%M%SZ).dump"
PGOPTIONS="-c app.scope=platform" pg_dump --format=custom --enable-row-security --no-owner --file="$file.partial" "$url"
mv "$file.partial" "$file"   # a dump cut short never looks like a backup
echo "$file"
# Keep the newest $keep dumps.
ls -1t "$dir"/aftercare-*.dump | tail -n +"$((keep + 1))" | xargs -r rm --
