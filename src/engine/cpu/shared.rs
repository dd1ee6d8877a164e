//! What the CPU kernels share: a slice that several rayon tasks write at disjoint
//! indices, as GPU threads do; where the work runs; whole-lattice tests.

use crate::model::site::{Kind, Site};

use std::marker::PhantomData;

pub struct SharedSlice<'a, T> {
    ptr: *mut T,
    len: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: access goes through the unsafe `get`/`set`, whose callers guarantee that
// no index is written by one thread while another thread accesses it.
unsafe impl<T: Send> Send for SharedSlice<'_, T> {}
unsafe impl<T: Send> Sync for SharedSlice<'_, T> {}

impl<'a, T: Copy> SharedSlice<'a, T> {
    pub fn new(slice: &'a mut [T]) -> Self {
        SharedSlice {
            ptr: slice.as_mut_ptr(),
            len: slice.len(),
            _borrow: PhantomData,
        }
    }

    /// # Safety
    /// No other thread may be writing index `i`.
    #[inline]
    pub unsafe fn get(&self, i: usize) -> T {
        assert!(i < self.len);
        *self.ptr.add(i)
    }

    /// The first element, for callers that index without bounds checks.
    ///
    /// # Safety
    /// Reads and writes through it follow the rules of `get` and `set`, within `len`.
    #[inline]
    pub unsafe fn raw(&self) -> *mut T {
        self.ptr
    }

    /// # Safety
    /// No other thread may be reading or writing index `i`.
    #[inline]
    pub unsafe fn set(&self, i: usize, v: T) {
        assert!(i < self.len);
        *self.ptr.add(i) = v;
    }
}

/// Whether the calling thread is a worker of a rayon pool. The kernels split their
/// work over the pool only then; called from any other thread they run whole on it
/// (no task is handed to a pool, so no thread is woken). Results do not depend on it.
#[inline]
pub fn in_pool() -> bool {
    rayon::current_thread_index().is_some()
}

/// The least number of items per rayon task: all of them outside a pool (one task,
/// run on the calling thread), else `items`.
#[inline]
pub fn min_len(items: usize) -> usize {
    if in_pool() {
        items
    } else {
        usize::MAX
    }
}

/// The threads the kernels may split over: the pool's, or 1 outside any pool.
#[inline]
pub fn threads() -> usize {
    if in_pool() {
        rayon::current_num_threads()
    } else {
        1
    }
}

/// Values or sites tested together, so that a test over a lattice vectorises and
/// still stops soon after the first hit.
const TEST_BLOCK: usize = 256;

/// Whether every value is +0 (bit for bit).
pub fn all_zero(values: &[f32]) -> bool {
    values
        .chunks(TEST_BLOCK)
        .all(|c| c.iter().fold(0u32, |acc, v| acc | v.to_bits()) == 0)
}

/// Whether any site is a vessel.
pub fn any_vessel(sites: &[Site]) -> bool {
    sites.chunks(TEST_BLOCK).any(|c| {
        c.iter()
            .fold(false, |acc, s| acc | (s.kind() == Kind::Vessel))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lattice_tests_find_a_single_hit_anywhere() {
        let n = 3 * TEST_BLOCK + 5;
        assert!(all_zero(&vec![0.0; n]));
        let mut sites = vec![Site::EMPTY; n];
        assert!(!any_vessel(&sites));
        for at in [0, TEST_BLOCK - 1, TEST_BLOCK, n - 1] {
            let mut values = vec![0.0f32; n];
            values[at] = -0.0;
            assert!(!all_zero(&values), "-0 at {at}");
            values[at] = 1e-45;
            assert!(!all_zero(&values), "a denormal at {at}");
            sites[at] = Site::vessel(1.0);
            assert!(any_vessel(&sites), "a vessel at {at}");
            sites[at] = Site::EMPTY;
        }
    }
}
