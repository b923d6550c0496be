//! The engine's std locks, taken without panicking. No lock is held across code that can
//! panic (time arithmetic cannot, see [`crate::time`]); should a bug still panic under one,
//! the next caller goes on with the state as it was left, rather than every later call for
//! every account failing on a poisoned lock (which once made one bad number stop the engine).

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub(crate) trait Held<T> {
    fn held(&self) -> MutexGuard<'_, T>;
}

impl<T> Held<T> for Mutex<T> {
    fn held(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) trait HeldRw<T> {
    fn read_held(&self) -> RwLockReadGuard<'_, T>;
    fn write_held(&self) -> RwLockWriteGuard<'_, T>;
}

impl<T> HeldRw<T> for RwLock<T> {
    fn read_held(&self) -> RwLockReadGuard<'_, T> {
        self.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_held(&self) -> RwLockWriteGuard<'_, T> {
        self.write().unwrap_or_else(PoisonError::into_inner)
    }
}
