-- lodestone schema, version 2: the series an item belongs to.
-- A series is a recurring column a source files items under ("SMM Flash", "SMM Rare Earth Daily
-- Review"), read from the title by the source's `series` patterns; NULL when none matched or the
-- source has no patterns (every feed source, and every item stored before this version).
-- Never edit this file once released; add a new numbered migration instead.

ALTER TABLE items ADD COLUMN series TEXT;
CREATE INDEX items_by_series_published ON items(series, published) WHERE series IS NOT NULL;
