-- lodestone schema, version 1: sources, the fetch log, items and their full-text index.
-- Times are UTC RFC 3339 text ("2026-02-06T10:46:00Z"): readable in sqlite3 and ordered as text.
-- Never edit this file once released; add a new numbered migration instead.

CREATE TABLE sources (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    -- The URL from the config file, to notice when the user changes it.
    config_url          TEXT NOT NULL,
    -- The URL fetched: the config URL, or where a permanent redirect (301/308) pointed.
    fetch_url           TEXT NOT NULL,
    kind                TEXT NOT NULL,
    etag                TEXT,
    last_modified       TEXT,
    -- xxh3-64 of the last body that was parsed, to skip parsing an unchanged body.
    body_hash           INTEGER,
    last_fetch_at       TEXT,
    last_success_at     TEXT,
    last_status         INTEGER,
    last_error          TEXT,
    consecutive_errors  INTEGER NOT NULL DEFAULT 0,
    -- A server's Retry-After (429/503): no request to this source before this time.
    retry_after_until   TEXT,
    next_fetch_at       TEXT,
    created_at          TEXT NOT NULL
);

-- One row per fetch attempt, successful or not.
CREATE TABLE fetches (
    id              INTEGER PRIMARY KEY,
    source_id       INTEGER NOT NULL REFERENCES sources(id),
    started_at      TEXT NOT NULL,
    url             TEXT NOT NULL,
    http_status     INTEGER,
    bytes           INTEGER NOT NULL DEFAULT 0,
    duration_ms     INTEGER NOT NULL,
    -- ok | not_modified | unchanged | error
    outcome         TEXT NOT NULL,
    new_items       INTEGER NOT NULL DEFAULT 0,
    updated_items   INTEGER NOT NULL DEFAULT 0,
    unchanged_items INTEGER NOT NULL DEFAULT 0,
    error           TEXT
);
CREATE INDEX fetches_by_source_time ON fetches(source_id, started_at);

CREATE TABLE items (
    id              INTEGER PRIMARY KEY,
    source_id       INTEGER NOT NULL REFERENCES sources(id),
    -- The entry id as the source gave it (RSS guid, Atom id, JSON Feed id); for entries without
    -- one, the link, else a stable hash of title and date.
    guid            TEXT NOT NULL,
    url             TEXT,
    title           TEXT NOT NULL,
    -- NULL when the source gave no summary besides the body (shown as the body's start).
    summary         TEXT,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    author          TEXT,
    published       TEXT NOT NULL,
    -- Where `published` came from: feed | updated | dateline | fetched.
    published_from  TEXT NOT NULL,
    fetched         TEXT NOT NULL,
    -- When a change to the content was last stored; NULL if never changed.
    updated         TEXT,
    content_hash    INTEGER NOT NULL,
    UNIQUE (source_id, guid)
);
CREATE INDEX items_by_published ON items(published);
CREATE INDEX items_by_source_published ON items(source_id, published);

CREATE VIRTUAL TABLE items_fts USING fts5(
    title, summary, body_text,
    content = 'items', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER items_fts_after_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts(rowid, title, summary, body_text)
    VALUES (new.id, new.title, new.summary, new.body_text);
END;

CREATE TRIGGER items_fts_after_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, summary, body_text)
    VALUES ('delete', old.id, old.title, old.summary, old.body_text);
END;

CREATE TRIGGER items_fts_after_update AFTER UPDATE OF title, summary, body_text ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, summary, body_text)
    VALUES ('delete', old.id, old.title, old.summary, old.body_text);
    INSERT INTO items_fts(rowid, title, summary, body_text)
    VALUES (new.id, new.title, new.summary, new.body_text);
END;
