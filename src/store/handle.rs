//! [`StoreHandle`]: the store on a thread of its own, reached from async code by message.
//!
//! SQLite calls block, so they must not run on the async runtime's threads, and the connection
//! must have one owner. The handle sends closures to that owner and awaits their results; no
//! lock is ever held across an `.await`.

use std::thread;

use tokio::sync::{mpsc, oneshot};

use super::{Store, StoreError};

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// A cloneable handle to the store thread. The thread ends (and the connection closes) when
/// every handle is dropped.
#[derive(Clone)]
pub struct StoreHandle {
    jobs: mpsc::UnboundedSender<Job>,
}

impl StoreHandle {
    /// Moves `store` onto a new thread and returns the handle, and the thread's join handle so
    /// that a clean shutdown can wait for the connection to close.
    pub fn spawn(mut store: Store) -> std::io::Result<(StoreHandle, thread::JoinHandle<()>)> {
        let (jobs, mut receiver) = mpsc::unbounded_channel::<Job>();
        let thread = thread::Builder::new().name("lodestone-store".to_string()).spawn(move || {
            while let Some(job) = receiver.blocking_recv() {
                job(&mut store);
            }
        })?;
        Ok((StoreHandle { jobs }, thread))
    }

    /// Runs `work` on the store thread and returns its result.
    pub async fn call<R, F>(&self, work: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |store| {
            let _ = reply.send(work(store));
        });
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}
