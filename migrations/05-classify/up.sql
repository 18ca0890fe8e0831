-- lodestone schema, version 5: the topics and entities of every item, users' topic corrections
-- and the models learned from them.
-- Never edit this file once released; add a new numbered migration instead.

-- 0–3 topics an item, main first (rank 0). Score 0..1, 0.5 = just at the topic's threshold;
-- 1 for a topic a user labelled.
CREATE TABLE item_topics (
    item  INTEGER NOT NULL REFERENCES items(id),
    topic TEXT NOT NULL,
    score REAL NOT NULL,
    rank  INTEGER NOT NULL,
    PRIMARY KEY (item, topic)
) WITHOUT ROWID;
-- `--topic`: the items of a topic.
CREATE INDEX item_topics_by_topic ON item_topics(topic, item);

-- An item's entities, one row per distinct (kind, value).
CREATE TABLE item_entities (
    item       INTEGER NOT NULL REFERENCES items(id),
    -- commodity | company | country | money | quantity
    kind       TEXT NOT NULL,
    -- The canonical value: "Serra Verde", "neodymium", "United States", "565000000 USD",
    -- "5000 t/year".
    value      TEXT NOT NULL,
    -- The value in lower case: what `--entity` matches.
    normalized TEXT NOT NULL,
    mentions   INTEGER NOT NULL,
    PRIMARY KEY (item, kind, value)
) WITHOUT ROWID;
-- `--entity`: the items naming an entity.
CREATE INDEX item_entities_by_normalized ON item_entities(normalized, item);

-- A user's correction (`lodestone label`): the item's topics, main first, as a JSON array.
-- It overrides the classifier for that item, and trains the model below.
CREATE TABLE topic_labels (
    item     INTEGER PRIMARY KEY REFERENCES items(id),
    topics   TEXT NOT NULL,
    labelled TEXT NOT NULL
);

-- Models learned from the labels (classify::learn::Model as JSON); the newest is used.
CREATE TABLE topic_models (
    id         INTEGER PRIMARY KEY,
    trained    TEXT NOT NULL,
    trained_on INTEGER NOT NULL,
    model      TEXT NOT NULL
);

-- Small named values: `classifier` is the fingerprint of the taxonomy and gazetteers that
-- tagged the stored items (a different one at start-up means `reclassify` is due).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
