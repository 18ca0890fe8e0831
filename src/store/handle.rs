//! [`StoreHandle`]: the store on a thread of its own, reached from async code by message.
//!
//! SQLite calls block, so they must not run on the async runtime's threads, and the connection
//! must have one owner. The handle sends closures to that owner and awaits their results; no
//! lock is ever held across an `.await`.
//!
//! A store thread that has had nothing to do for a moment gives unused memory back (see
//! [`Store::release_memory`]); one kept busy keeps its cache warm.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use tokio::sync::oneshot;

use super::{Store, StoreError};

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// How long a store thread waits without a job before it releases memory. A daemon spends most
/// of its life between fetch passes; a pass, a window load or a burst of API requests leaves
/// cache pages and free heap that would otherwise stay resident until the next one.
const IDLE_BEFORE_RELEASE: Duration = Duration::from_secs(1);

/// A cloneable handle to the store thread. The thread ends (and the connection closes) when
/// every handle is dropped.
#[derive(Clone)]
pub struct StoreHandle {
    jobs: mpsc::Sender<Job>,
}

impl StoreHandle {
    /// Moves `store` onto a new thread and returns the handle, and the thread's join handle so
    /// that a clean shutdown can wait for the connection to close.
    pub fn spawn(mut store: Store) -> std::io::Result<(StoreHandle, thread::JoinHandle<()>)> {
        // A std channel: unbounded, so sending never blocks async code, and its receiver can
        // wait with a timeout.
        let (jobs, receiver) = mpsc::channel::<Job>();
        let thread = thread::Builder::new().name("lodestone-store".to_string()).spawn(move || {
            let mut worked_since_release = false;
            loop {
                let job = if worked_since_release {
                    match receiver.recv_timeout(IDLE_BEFORE_RELEASE) {
                        Ok(job) => job,
                        Err(RecvTimeoutError::Timeout) => {
                            store.release_memory();
                            worked_since_release = false;
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                } else {
                    match receiver.recv() {
                        Ok(job) => job,
                        Err(_) => break,
                    }
                };
                job(&mut store);
                worked_since_release = true;
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
