//! The process's memory allocator: glibc's malloc, and mimalloc for the batch commands that
//! turn thousands of entries into items at once (`ingest`, `fetch`, `restory`, `reclassify`).
//!
//! Why two. Parsing, analysing and classifying an entry makes and frees many small strings and
//! vectors on every core at once, and mimalloc (per-thread free lists, no arena locks) runs a
//! 10,000-entry ingest on 14–19 % less CPU than glibc, and in a sixth less time (alternating
//! runs of one binary with and without the switch). But it keeps the memory freed by each
//! thread for that thread, so the daemon, which must sit idle in under 30 MB and run a
//! 500-source pass in under 100 MB, held 152 MB idle with it. So the daemon and the short
//! commands keep glibc's malloc (with its arenas limited in `main`), and a batch command
//! switches to mimalloc once its arguments are parsed, for the rest of the process.
//!
//! The switch is one way and may come at any time: what was allocated before it is still
//! glibc's, and is given back to glibc. Every free asks mimalloc whether the block lies in its
//! pages, so the two never see each other's blocks. That lookup is exact in mimalloc 3 (the
//! crate's default), whose own `free` finds every block's page through the same page map; in
//! mimalloc 2 it is only a map of the segments it could track (not those the OS placed above
//! 48 TiB), which would hand a block of mimalloc's to glibc: do not switch to the `v2` feature.
//! SQLite allocates with malloc directly and is not affected.
//!
//! What it deliberately doesn't do: tune either allocator, or switch back.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};

use libmimalloc_sys as mimalloc;

/// Set once a batch command starts: from then on, new blocks come from mimalloc.
static MIMALLOC_FROM_NOW: AtomicBool = AtomicBool::new(false);

/// The allocator `main` installs with `#[global_allocator]`.
pub struct ProcessAllocator;

/// New allocations come from mimalloc from now on (the batch commands call it first thing).
pub fn use_mimalloc_from_now() {
    MIMALLOC_FROM_NOW.store(true, Ordering::Release);
}

/// Whether `pointer` was allocated by mimalloc. None was before the switch, so until then the
/// lookup is skipped.
fn from_mimalloc(pointer: *mut u8) -> bool {
    // SAFETY: mimalloc's lookup takes any address, its own or not, and only reads its page map.
    MIMALLOC_FROM_NOW.load(Ordering::Acquire)
        && unsafe { mimalloc::mi_is_in_heap_region(pointer as *const c_void) }
}

// SAFETY: each block is freed or resized by the allocator that made it (`from_mimalloc`), and
// mimalloc's aligned calls honour the layout's alignment as `GlobalAlloc` requires.
unsafe impl GlobalAlloc for ProcessAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if MIMALLOC_FROM_NOW.load(Ordering::Relaxed) {
            // SAFETY: a valid layout; mimalloc returns null on failure, as required.
            unsafe { mimalloc::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8 }
        } else {
            // SAFETY: the caller's contract is passed on unchanged.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if MIMALLOC_FROM_NOW.load(Ordering::Relaxed) {
            // SAFETY: as in `alloc`; the block comes zeroed.
            unsafe { mimalloc::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8 }
        } else {
            // SAFETY: the caller's contract is passed on unchanged.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        if from_mimalloc(pointer) {
            // SAFETY: a live block of mimalloc's.
            unsafe { mimalloc::mi_free(pointer as *mut c_void) }
        } else {
            // SAFETY: a live block of glibc's, with the layout it was allocated with.
            unsafe { System.dealloc(pointer, layout) }
        }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if from_mimalloc(pointer) {
            // SAFETY: a live block of mimalloc's, resized with the alignment it was made with.
            unsafe {
                mimalloc::mi_realloc_aligned(pointer as *mut c_void, new_size, layout.align()) as *mut u8
            }
        } else {
            // A block of glibc's stays glibc's when it grows: it will be freed as one.
            // SAFETY: the caller's contract is passed on unchanged.
            unsafe { System.realloc(pointer, layout, new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills a block, checks it survived, and returns it.
    unsafe fn filled(pointer: *mut u8, size: usize, byte: u8) -> *mut u8 {
        assert!(!pointer.is_null());
        unsafe {
            std::ptr::write_bytes(pointer, byte, size);
            assert!((0..size).all(|offset| *pointer.add(offset) == byte));
        }
        pointer
    }

    #[test]
    fn blocks_from_before_the_switch_go_back_to_glibc_and_later_ones_to_mimalloc() {
        let allocator = ProcessAllocator;
        let small = Layout::from_size_align(48, 8).unwrap();
        let aligned = Layout::from_size_align(256, 64).unwrap();
        unsafe {
            // Other tests in this process never switch, so this one is first to.
            let before = filled(allocator.alloc(small), 48, 1);
            let before_aligned = filled(allocator.alloc(aligned), 256, 2);
            assert!(!from_mimalloc(before) && !from_mimalloc(before_aligned));
            use_mimalloc_from_now();
            let after = filled(allocator.alloc(small), 48, 3);
            let after_zeroed = allocator.alloc_zeroed(aligned);
            assert!((0..256).all(|offset| *after_zeroed.add(offset) == 0));
            assert_eq!(after_zeroed as usize % 64, 0);
            assert!(from_mimalloc(after) && from_mimalloc(after_zeroed));
            // A block of glibc's grown after the switch stays glibc's, keeping its contents.
            let grown = allocator.realloc(before, small, 4096);
            assert!(!from_mimalloc(grown));
            assert!((0..48).all(|offset| *grown.add(offset) == 1));
            let grown_after = allocator.realloc(after, small, 4096);
            assert!(from_mimalloc(grown_after));
            assert!((0..48).all(|offset| *grown_after.add(offset) == 3));
            allocator.dealloc(grown, Layout::from_size_align(4096, 8).unwrap());
            allocator.dealloc(before_aligned, aligned);
            allocator.dealloc(grown_after, Layout::from_size_align(4096, 8).unwrap());
            allocator.dealloc(after_zeroed, aligned);
        }
    }
}
