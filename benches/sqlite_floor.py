"""The least SQLite alone can take to store a feed the way lodestone does: the items rows in
multi-row INSERTs of 256, then the FTS5 index of their title, summary and body in one
statement, in one transaction, with lodestone's settings, into a database with lodestone's
schema. No parsing, normalizing, tags or stories: a floor for `lodestone ingest`.

Usage: python sqlite_floor.py FEED.xml SCHEMA.db   (SCHEMA.db: a new database lodestone made)
Prints the median of 3 runs in ms: items alone, then items and the full-text index.
Python's sqlite3 module runs the system's SQLite, not the one bundled with lodestone.
"""

import os
import re
import shutil
import statistics
import sqlite3
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree

INSERT = (
    "INSERT INTO items (source_id, guid, url, title, summary, body_text, body_html, published,"
    " published_from, fetched, content_hash) VALUES "
)
ROW = "(1, ?, ?, ?, NULL, ?, ?, '2026-11-27T00:00:00Z', 'feed', '2026-11-27T00:00:00Z', 1)"


def entries(feed_path):
    rows = []
    for index, item in enumerate(ElementTree.parse(feed_path).getroot().iter("item")):
        html = item.findtext("description") or ""
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
        rows.append((f"guid-{index}", item.findtext("link"), item.findtext("title") or "", text, html))
    return rows


def store(rows, schema_path, with_index):
    directory = tempfile.mkdtemp()
    path = os.path.join(directory, "floor.db")
    shutil.copy(schema_path, path)
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "cache_size = -16384", "temp_store = MEMORY"):
        connection.execute(f"PRAGMA {pragma}")
    # Schemas from before migration 06 index new items by trigger; the floor indexes once.
    connection.execute("DROP TRIGGER IF EXISTS items_fts_after_insert")
    started = time.perf_counter()
    connection.execute("BEGIN")
    for start in range(0, len(rows), 256):
        chunk = rows[start : start + 256]
        connection.execute(INSERT + ", ".join([ROW] * len(chunk)), [value for row in chunk for value in row])
    if with_index:
        connection.execute(
            "INSERT INTO items_fts (rowid, title, summary, body_text)"
            " SELECT id, title, summary, body_text FROM items"
        )
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    shutil.rmtree(directory)
    return elapsed


def main():
    rows = entries(sys.argv[1])
    alone = statistics.median(store(rows, sys.argv[2], False) for _ in range(3))
    indexed = statistics.median(store(rows, sys.argv[2], True) for _ in range(3))
    print(f"{alone * 1e3:.0f} {indexed * 1e3:.0f} {sqlite3.sqlite_version}")


main()
