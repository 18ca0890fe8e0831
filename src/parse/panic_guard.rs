//! Runs third-party parsing code so that a panic inside it becomes an error value.
//!
//! feed-rs and its XML reader panic on some inputs (a UTF-16 feed with a byte-order mark was one).
//! A panic there must be the failing source's error, not a crash and not a backtrace on the
//! user's terminal. The process-wide panic hook is wrapped once: while a guarded call runs on the
//! current thread, the hook records the message and reports it through tracing at debug level;
//! any other panic goes to the previous hook unchanged.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
    static LAST_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL_HOOK: Once = Once::new();

/// Calls `work`; a panic inside it is returned as `Err(message)`.
pub fn catch_panic<R>(work: impl FnOnce() -> R) -> Result<R, String> {
    install_hook();
    GUARDED.with(|guarded| guarded.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(work));
    GUARDED.with(|guarded| guarded.set(false));
    result.map_err(|_| {
        LAST_MESSAGE
            .with(|message| message.borrow_mut().take())
            .unwrap_or_else(|| "unknown panic".to_string())
    })
}

fn install_hook() {
    INSTALL_HOOK.call_once(|| {
        let previous_hook = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous_hook(info);
                return;
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|text| text.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let location = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
            tracing::debug!(%message, location = location.as_deref().unwrap_or("?"), "Parser panic caught.");
            LAST_MESSAGE.with(|last| *last.borrow_mut() = Some(message));
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_becomes_error_with_message() {
        let result: Result<(), String> = catch_panic(|| panic!("bad input at byte 7"));
        assert_eq!(result, Err("bad input at byte 7".to_string()));
        assert_eq!(catch_panic(|| 41 + 1), Ok(42));
    }
}
