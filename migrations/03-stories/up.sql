-- lodestone schema, version 3: stories (one per event) and what story detection keeps.
-- Never edit this file once released; add a new numbered migration instead.

-- A source's standing when a story's canonical item is chosen (higher first).
ALTER TABLE sources ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;

CREATE TABLE stories (
    id              INTEGER PRIMARY KEY,
    -- The item that represents the story: source priority, then the richest body, then the
    -- earliest.
    canonical_item  INTEGER NOT NULL REFERENCES items(id),
    -- The earliest and latest `published` of its items.
    first_published TEXT NOT NULL,
    last_published  TEXT NOT NULL,
    -- When lodestone stored its first and its latest item.
    first_stored    TEXT NOT NULL,
    last_stored     TEXT NOT NULL,
    size            INTEGER NOT NULL
);
CREATE INDEX stories_by_last_published ON stories(last_published);
CREATE INDEX stories_by_last_stored ON stories(last_stored);

-- Every item belongs to exactly one story.
CREATE TABLE story_members (
    item         INTEGER PRIMARY KEY REFERENCES items(id),
    story        INTEGER NOT NULL REFERENCES stories(id),
    -- How sure the match was (1 for the item that started the story) and why it joined:
    -- first | exact | flash-reference | near-copy | rewrite.
    score        REAL NOT NULL,
    reason       TEXT NOT NULL,
    matched_item INTEGER REFERENCES items(id),
    joined       TEXT NOT NULL
);
CREATE INDEX story_members_by_story ON story_members(story);

-- Signatures for near-identical text, with the version of the code that made them.
CREATE TABLE story_signatures (
    item                 INTEGER PRIMARY KEY REFERENCES items(id),
    version              INTEGER NOT NULL,
    exact_hash           INTEGER,
    title_hash           INTEGER NOT NULL,
    flash_reference_hash INTEGER,
    minhash              BLOB
);

-- Document frequencies of terms over every item, for TF-IDF (term: 64-bit hash).
CREATE TABLE term_frequencies (
    term      INTEGER PRIMARY KEY,
    documents INTEGER NOT NULL
);
