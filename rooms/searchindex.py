"""The message search index, built in the database chatsite runs on.

SQLite: an FTS5 table over rooms_message (external content, so the text is
stored once) kept in step by triggers. PostgreSQL: a stored generated tsvector
column with a GIN index. Either way the index is the database's own business:
every path that writes a message (the posting service's bulk insert, an edit,
a removal, a room's cleared history, a purge's cascade, the admin) keeps it in
step without remembering to, and a removed message (deleted_at set) is never in
it. SEARCH_CONFIG is written into the index when it is built; `manage.py
search_reindex` builds it again after a change.

On SQLite a migration that rebuilds the message table (Django remakes a table to
add a column with a default, say) drops its triggers with it: such a migration
goes before the search migration, or runs `manage.py search_reindex` after it;
rooms/tests/selectors/test_search.py fails if the triggers are gone.
"""

from django.conf import settings

FTS_TABLE = "rooms_message_fts"
PG_COLUMN = "search_vector"
PG_INDEX = "rooms_message_search"


def sqlite_tokenizer(config: str) -> str:
    # FTS5 ships one stemmer, porter (English); "simple" folds case and nothing else, as PostgreSQL's does.
    return "unicode61 remove_diacritics 0" if config == "simple" else "porter unicode61 remove_diacritics 0"


def _sqlite_create(config: str) -> list[str]:
    visible_old = "old.deleted_at IS NULL"
    remove_old = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text)"
    return [
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(text, content='rooms_message', content_rowid='id', "
        f"tokenize='{sqlite_tokenizer(config)}')",
        f"INSERT INTO {FTS_TABLE}(rowid, text) SELECT id, text FROM rooms_message WHERE deleted_at IS NULL",
        f"CREATE TRIGGER rooms_message_fts_insert AFTER INSERT ON rooms_message WHEN new.deleted_at IS NULL "
        f"BEGIN INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
        f"CREATE TRIGGER rooms_message_fts_delete AFTER DELETE ON rooms_message WHEN {visible_old} "
        f"BEGIN {remove_old}; END",
        # An external-content FTS5 table removes a row by its old text, so an update takes the old out
        # (if it was in) and puts the new in (if it is still visible).
        f"CREATE TRIGGER rooms_message_fts_update_old AFTER UPDATE OF text, deleted_at ON rooms_message "
        f"WHEN {visible_old} BEGIN {remove_old}; END",
        f"CREATE TRIGGER rooms_message_fts_update_new AFTER UPDATE OF text, deleted_at ON rooms_message "
        f"WHEN new.deleted_at IS NULL BEGIN INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
    ]


_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS rooms_message_fts_insert",
    "DROP TRIGGER IF EXISTS rooms_message_fts_delete",
    "DROP TRIGGER IF EXISTS rooms_message_fts_update_old",
    "DROP TRIGGER IF EXISTS rooms_message_fts_update_new",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def _postgres_create(config: str) -> list[str]:
    # config passed settings' [a-z_]+ check; a generated column's expression cannot take a parameter.
    return [
        f"ALTER TABLE rooms_message ADD COLUMN {PG_COLUMN} tsvector GENERATED ALWAYS AS "
        f"(CASE WHEN deleted_at IS NULL THEN to_tsvector('{config}'::regconfig, text) END) STORED",
        f"CREATE INDEX {PG_INDEX} ON rooms_message USING gin ({PG_COLUMN})",
    ]


_POSTGRES_DROP = [
    # Deferred foreign-key checks of rows written earlier in the same transaction would refuse the ALTER.
    "SET CONSTRAINTS ALL IMMEDIATE",
    f"DROP INDEX IF EXISTS {PG_INDEX}",
    f"ALTER TABLE rooms_message DROP COLUMN IF EXISTS {PG_COLUMN}",
]


def statements(vendor: str, *, create: bool, config: str | None = None) -> list[str]:
    config = config or settings.SEARCH_CONFIG
    if vendor == "sqlite":
        return _sqlite_create(config) if create else _SQLITE_DROP
    if vendor == "postgresql":
        return _postgres_create(config) if create else _POSTGRES_DROP
    return []  # another database: search finds nothing rather than failing (rooms/selectors/search.py)


def build(connection, *, config: str | None = None) -> None:
    """Drop the index (if any) and build it again with `config` (default SEARCH_CONFIG)."""
    with connection.cursor() as cursor:
        for sql in [
            *statements(connection.vendor, create=False),
            *statements(connection.vendor, create=True, config=config),
        ]:
            cursor.execute(sql)


def drop(connection) -> None:
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, create=False):
            cursor.execute(sql)
