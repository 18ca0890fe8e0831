-- lodestone schema, version 7: story ids are handed out once.
-- Never edit this file once released; add a new numbered migration instead.
--
-- Why: `stories.id` is an INTEGER PRIMARY KEY, so SQLite gives a new story the largest id
-- plus one, and a deleted story's id (a lone item adopted into another story, `restory`) was
-- given again to the next new story. A digest that carried the old story then took the new one
-- for sent, and a reader who saw the id got another story. The store now takes ids from this
-- counter, which only grows; it starts past every id a story or a digest has used.
CREATE TABLE story_ids (
    next_id INTEGER NOT NULL
);
INSERT INTO story_ids (next_id)
SELECT MAX(COALESCE((SELECT MAX(id) FROM stories), 0), COALESCE((SELECT MAX(story) FROM digest_stories), 0)) + 1;
