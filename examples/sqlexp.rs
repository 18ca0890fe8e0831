use std::time::Instant;
fn run(label: &str, schema: &str, insert: &str, explicit_fts: bool) {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("x.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    conn.execute_batch(schema).unwrap();
    let body =
        "copper cathode premiums rose in Yangshan as importers waited for the market to settle ".repeat(10);
    let t = Instant::now();
    conn.execute_batch("BEGIN").unwrap();
    {
        let mut st = conn.prepare(insert).unwrap();
        let mut fts = conn.prepare("INSERT INTO items_fts(rowid, title, body) VALUES (?1, ?2, ?3)").unwrap();
        for i in 0..10000 {
            st.execute(rusqlite::params![i, format!("title {i} copper"), body, body]).unwrap();
            if explicit_fts {
                fts.execute(rusqlite::params![conn.last_insert_rowid(), format!("title {i} copper"), body])
                    .unwrap();
            }
        }
    }
    conn.execute_batch("COMMIT").unwrap();
    println!("{label}: {:?}", t.elapsed());
}
fn run_multi(label: &str, schema: &str, chunk: usize, hashsize: Option<i64>) {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("x.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    conn.execute_batch(schema).unwrap();
    if let Some(h) = hashsize {
        conn.execute("INSERT INTO items_fts(items_fts, rank) VALUES ('hashsize', ?1)", [h]).unwrap();
    }
    let body =
        "copper cathode premiums rose in Yangshan as importers waited for the market to settle ".repeat(10);
    let t = Instant::now();
    conn.execute_batch("BEGIN").unwrap();
    let mut sql = String::from("INSERT INTO items(guid,title,body,html) VALUES ");
    for r in 0..chunk {
        if r > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?)");
    }
    {
        let mut st = conn.prepare(&sql).unwrap();
        let mut i = 0;
        while i < 10000 {
            let mut vals: Vec<rusqlite::types::Value> = Vec::new();
            for j in 0..chunk {
                vals.push((i + j as i64).into());
                vals.push(format!("title {} copper", i + j as i64).into());
                vals.push(body.clone().into());
                vals.push(body.clone().into());
            }
            st.execute(rusqlite::params_from_iter(vals)).unwrap();
            i += chunk as i64;
        }
    }
    conn.execute_batch("COMMIT").unwrap();
    println!("{label}: {:?}", t.elapsed());
}
fn main() {
    let base = "CREATE TABLE items(id INTEGER PRIMARY KEY, guid INTEGER NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, html TEXT NOT NULL, UNIQUE(guid));
      CREATE VIRTUAL TABLE items_fts USING fts5(title, body, content='items', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');";
    let trig = "CREATE TRIGGER t AFTER INSERT ON items BEGIN INSERT INTO items_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END;";
    run(
        "trigger, plain insert",
        &format!("{base}{trig}"),
        "INSERT INTO items(guid,title,body,html) VALUES (?1,?2,?3,?4)",
        false,
    );
    run(
        "trigger, insert or ignore",
        &format!("{base}{trig}"),
        "INSERT OR IGNORE INTO items(guid,title,body,html) VALUES (?1,?2,?3,?4)",
        false,
    );
    run("explicit fts", base, "INSERT INTO items(guid,title,body,html) VALUES (?1,?2,?3,?4)", true);
    run_multi("trigger multi 250", &format!("{base}{trig}"), 250, None);
    run_multi("trigger multi 250 hash 8M", &format!("{base}{trig}"), 250, Some(8 << 20));
    run_multi("trigger multi 1000", &format!("{base}{trig}"), 1000, None);
    run("no fts", base, "INSERT INTO items(guid,title,body,html) VALUES (?1,?2,?3,?4)", false);
}
