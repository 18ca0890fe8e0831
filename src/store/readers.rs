//! Read-only connections for the HTTP API, each owned by a thread of its own.
//!
//! WAL lets these read while the writer (the fetch pipeline) holds a long transaction, so an API
//! request never waits for an ingest. Requests are spread round-robin over the connections.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use super::{Store, StoreError, StoreHandle};

/// A small pool of read-only store handles.
pub struct StoreReaders {
    handles: Vec<StoreHandle>,
    next: AtomicUsize,
}

impl StoreReaders {
    /// Opens `count` read-only connections to the database at `path`.
    pub fn open(path: &Path, count: usize) -> Result<(StoreReaders, Vec<JoinHandle<()>>), StoreError> {
        let mut handles = Vec::new();
        let mut threads = Vec::new();
        for _ in 0..count.max(1) {
            let store = Store::open_read_only(path)?;
            let (handle, thread) =
                StoreHandle::spawn(store).map_err(|error| StoreError::Thread(error.to_string()))?;
            handles.push(handle);
            threads.push(thread);
        }
        Ok((StoreReaders { handles, next: AtomicUsize::new(0) }, threads))
    }

    /// Runs `work` on one of the read-only connections.
    pub async fn call<R, F>(&self, work: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        self.handles[index].call(work).await
    }
}
