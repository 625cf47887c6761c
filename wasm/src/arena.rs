//! A scoped bump allocator: the WebAssembly module's global allocator.
//!
//! A preview builds tens of thousands of small objects (the parsed body, the plan, the answer)
//! and frees all of them before the next call; in a profile, `malloc` and `free` were the largest
//! single cost of the call. Inside [`Arena::scope`] allocations are bumped out of a few large
//! chunks and freeing one only counts it; once every arena allocation has been freed (the answer
//! string is the last, freed by the glue after it has read it), the chunks are reused from the
//! start. Nothing is ever reset while an arena allocation is alive, so a value that outlives the
//! scope stays valid: the count only delays the reset. Outside a scope (and for requests the arena
//! cannot serve) every call goes to the inner allocator unchanged.
//!
//! The core is the same code natively and here; only where its bytes live differs.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, Ordering};

const MAX_CHUNKS: usize = 16;
/// The first chunk; each further one is twice the last (a 1,000-row preview fits in the first).
const FIRST_CHUNK: usize = 4 << 20;
const CHUNK_ALIGN: usize = 16;

#[derive(Clone, Copy)]
struct Chunk {
    base: usize,
    size: usize,
}

impl Chunk {
    /// Where a block of `layout` would start after the first `used` bytes, if it fits.
    #[inline]
    fn fit(self, used: usize, layout: Layout) -> Option<usize> {
        let start = (self.base + used).checked_add(layout.align() - 1)? & !(layout.align() - 1);
        let limit = self.base + self.size;
        (start <= limit && layout.size() <= limit - start).then_some(start)
    }
}

struct State {
    chunks: [Chunk; MAX_CHUNKS],
    /// Chunks obtained so far (kept for the next scope).
    n: usize,
    /// The chunk being filled, and how much of it is used.
    cur: usize,
    used: usize,
    /// Arena allocations not yet freed.
    live: usize,
    /// Open scopes; allocations come from the arena while this is above zero.
    depth: usize,
    resets: u64,
}

impl State {
    #[inline]
    fn find(&self, p: usize) -> Option<usize> {
        // The chunk being filled first: nearly every free is of a block from it.
        let c = self.chunks[self.cur];
        if self.cur < self.n && p >= c.base && p < c.base + c.size {
            return Some(self.cur);
        }
        self.chunks[..self.n]
            .iter()
            .position(|c| p >= c.base && p < c.base + c.size)
    }

    fn is_top(&self, i: usize, p: usize, size: usize) -> bool {
        i == self.cur && p + size == self.chunks[i].base + self.used
    }

    fn release(&mut self) {
        self.live -= 1;
        if self.live == 0 {
            self.cur = 0;
            self.used = 0;
            self.resets += 1;
        }
    }
}

/// What the arena holds (for tests and the benchmark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub live: usize,
    pub chunks: usize,
    pub reserved: usize,
    pub resets: u64,
}

pub struct Arena<A> {
    inner: A,
    lock: AtomicBool,
    state: UnsafeCell<State>,
}

// The state is only touched with `lock` held (on wasm32 there is one thread anyway).
unsafe impl<A: Sync> Sync for Arena<A> {}

struct Held<'a, A>(&'a Arena<A>);

impl<A> Drop for Held<'_, A> {
    fn drop(&mut self) {
        if LOCKS {
            self.0.lock.store(false, Ordering::Release);
        }
    }
}

/// WebAssembly without the threads proposal has one thread: no lock to take there (the atomics
/// would compile to plain loads and stores anyway, but the loop and the calls would stay).
const LOCKS: bool = !cfg!(all(target_arch = "wasm32", not(target_feature = "atomics")));

impl<A: GlobalAlloc> Arena<A> {
    pub const fn new(inner: A) -> Self {
        Arena {
            inner,
            lock: AtomicBool::new(false),
            state: UnsafeCell::new(State {
                chunks: [Chunk { base: 0, size: 0 }; MAX_CHUNKS],
                n: 0,
                cur: 0,
                used: 0,
                live: 0,
                depth: 0,
                resets: 0,
            }),
        }
    }

    #[allow(clippy::mut_from_ref)]
    fn hold(&self) -> (Held<'_, A>, &mut State) {
        while LOCKS
            && self
                .lock
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            std::hint::spin_loop();
        }
        // SAFETY: the lock is held until `Held` drops, and the reference does not outlive it.
        (Held(self), unsafe { &mut *self.state.get() })
    }

    /// Runs `f` with its allocations served by the arena.
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Exit<'a, A: GlobalAlloc>(&'a Arena<A>);
        impl<A: GlobalAlloc> Drop for Exit<'_, A> {
            fn drop(&mut self) {
                let (_held, st) = self.0.hold();
                st.depth -= 1;
            }
        }
        {
            let (_held, st) = self.hold();
            st.depth += 1;
        }
        let _exit = Exit(self);
        f()
    }

    pub fn stats(&self) -> Stats {
        let (_held, st) = self.hold();
        Stats {
            live: st.live,
            chunks: st.n,
            reserved: st.chunks[..st.n].iter().map(|c| c.size).sum(),
            resets: st.resets,
        }
    }

    /// A block from the arena, or `None` when it cannot serve this one (the caller then asks the
    /// inner allocator, whose blocks `dealloc` recognises as not the arena's).
    #[inline]
    unsafe fn bump(&self, st: &mut State, layout: Layout) -> Option<*mut u8> {
        loop {
            if st.cur < st.n {
                let c = st.chunks[st.cur];
                if let Some(start) = c.fit(st.used, layout) {
                    st.used = start + layout.size() - c.base;
                    st.live += 1;
                    return Some(start as *mut u8);
                }
                if st.cur + 1 < st.n {
                    st.cur += 1;
                    st.used = 0;
                    continue;
                }
            }
            if st.n == MAX_CHUNKS {
                return None;
            }
            let grown = FIRST_CHUNK << st.n.min(6);
            let size = grown.max(layout.size().checked_add(layout.align())?);
            let block = self
                .inner
                .alloc(Layout::from_size_align(size, CHUNK_ALIGN).ok()?);
            if block.is_null() {
                return None;
            }
            st.chunks[st.n] = Chunk {
                base: block as usize,
                size,
            };
            st.n += 1;
            st.cur = st.n - 1;
            st.used = 0;
        }
    }
}

unsafe impl<A: GlobalAlloc> GlobalAlloc for Arena<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        {
            let (_held, st) = self.hold();
            if st.depth > 0 {
                if let Some(p) = self.bump(st, layout) {
                    return p;
                }
            }
        }
        self.inner.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        {
            let (_held, st) = self.hold();
            let p = ptr as usize;
            if let Some(i) = st.find(p) {
                // The newest block gives its room back at once (temporary strings, grown vectors).
                if st.is_top(i, p, layout.size()) {
                    st.used = p - st.chunks[i].base;
                }
                st.release();
                return;
            }
        }
        self.inner.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let in_arena = {
            let (_held, st) = self.hold();
            let p = ptr as usize;
            match st.find(p) {
                None => false,
                Some(i) => {
                    if new_size <= layout.size() {
                        if st.is_top(i, p, layout.size()) {
                            st.used = p + new_size - st.chunks[i].base;
                        }
                        return ptr;
                    }
                    // The newest block grows in place while its chunk has room.
                    if st.is_top(i, p, layout.size())
                        && p + new_size <= st.chunks[i].base + st.chunks[i].size
                    {
                        st.used = p + new_size - st.chunks[i].base;
                        return ptr;
                    }
                    true
                }
            }
        };
        if !in_arena {
            return self.inner.realloc(ptr, layout, new_size);
        }
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let new = self.alloc(new_layout);
        if !new.is_null() {
            std::ptr::copy_nonoverlapping(ptr, new, layout.size());
            self.dealloc(ptr, layout);
        }
        new
    }
}
