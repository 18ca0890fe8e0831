-- lodestone schema, version 4: the digests sent (or being sent) and the stories each carried.
-- Never edit this file once released; add a new numbered migration instead.

-- One row per recipient and digest date: a digest is claimed (status 'pending', its stories
-- recorded) before it is sent, and marked sent after. A crash between the two leaves it
-- pending; it is then sent again with the same Message-ID, which mail clients deduplicate.
CREATE TABLE digests (
    id              INTEGER PRIMARY KEY,
    recipient       TEXT NOT NULL,
    -- The digest's date in the [digest] time zone: 2026-02-07.
    digest_date     TEXT NOT NULL,
    -- scheduled (everything new since the previous digest) | dated (`digest --date`).
    kind            TEXT NOT NULL,
    -- pending | sent | failed | skipped (empty, with skip_empty).
    status          TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- The last failure's reason; NULL after a success.
    error           TEXT,
    -- The stories' window: for a scheduled digest, what was stored in (start, end]; for a dated
    -- one, what was first published in [start, end).
    window_start    TEXT NOT NULL,
    window_end      TEXT NOT NULL,
    story_count     INTEGER NOT NULL,
    -- Forced resends (`digest --force`); each gets its own Message-ID.
    resends         INTEGER NOT NULL DEFAULT 0,
    -- When the daemon tries a pending digest next.
    next_attempt_at TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    sent_at         TEXT,
    UNIQUE (recipient, digest_date)
);

-- The stories a digest carried, so that no story is sent to a recipient twice.
CREATE TABLE digest_stories (
    digest  INTEGER NOT NULL REFERENCES digests(id),
    story   INTEGER NOT NULL,
    PRIMARY KEY (digest, story)
) WITHOUT ROWID;
CREATE INDEX digest_stories_by_story ON digest_stories(story);

-- The scheduled digest asks which stories gained an item in a period.
CREATE INDEX story_members_by_joined ON story_members(joined);
CREATE INDEX stories_by_first_published ON stories(first_published);
