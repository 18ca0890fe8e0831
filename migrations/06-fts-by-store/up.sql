-- lodestone schema, version 6: the full-text index of new items is written by the store, once per
-- transaction, instead of by a trigger on every INSERT.
-- Never edit this file once released; add a new numbered migration instead.
--
-- Why: FTS5 flushes its pending terms to disk at every statement savepoint, and each multi-row
-- INSERT of items (and every tag and story statement after it) opens one. With the trigger, a
-- 10,000-entry feed was flushed in some hundred small segments that FTS5 then had to merge;
-- one INSERT … SELECT at the end of the transaction writes them once. Updates and deletes keep
-- their triggers (they are few, and must see the old text).
DROP TRIGGER items_fts_after_insert;
