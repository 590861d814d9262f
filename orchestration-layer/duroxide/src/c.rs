//! Safe owners and helpers over the raw C API: error mapping (with the retryable bit),
//! byte views in and out, and RAII owners for every handle and result the crate holds.
use std::os::raw::{c_char, c_void};
use std::ptr;

use duroxide::providers::ProviderError;

use crate::ffi;

/// Runs one C call with an error out-parameter and maps a failure to a ProviderError
/// (retryable exactly when durastore says the same call may succeed later).
pub fn check(op: &str, call: impl FnOnce(*mut *mut ffi::ds_error) -> ffi::ds_code) -> Result<(), ProviderError> {
    let mut err: *mut ffi::ds_error = ptr::null_mut();
    let code = call(&mut err);
    if code == ffi::DS_OK {
        return Ok(());
    }
    Err(take_error(op, code, err))
}

/// Like `check`, but also returns the code so a caller can react to one (e.g. NotFound).
pub fn check_code(
    op: &str,
    call: impl FnOnce(*mut *mut ffi::ds_error) -> ffi::ds_code,
) -> Result<(), (ffi::ds_code, ProviderError)> {
    let mut err: *mut ffi::ds_error = ptr::null_mut();
    let code = call(&mut err);
    if code == ffi::DS_OK {
        return Ok(());
    }
    Err((code, take_error(op, code, err)))
}

fn take_error(op: &str, code: ffi::ds_code, err: *mut ffi::ds_error) -> ProviderError {
    if err.is_null() {
        return ProviderError::permanent(op, format!("durastore error code {code}"));
    }
    // SAFETY: err came from the library and is freed exactly once, here.
    let (message, retryable) = unsafe {
        let msg = std::ffi::CStr::from_ptr(ffi::ds_error_message(err)).to_string_lossy().into_owned();
        let retryable = ffi::ds_error_retryable(err);
        ffi::ds_error_free(err);
        (msg, retryable)
    };
    if retryable {
        ProviderError::retryable(op, message)
    } else {
        ProviderError::permanent(op, message)
    }
}

/// Bytes of a (ptr, len) view the library handed out (valid while its owner lives).
///
/// # Safety
/// ptr must point at len readable bytes (or be NULL with len 0).
pub unsafe fn bytes<'a>(ptr: *const c_char, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr.cast::<u8>(), len)
    }
}

/// An owned UTF-8 string from a view; invalid UTF-8 is a permanent error (Duroxide's ids
/// and names are Rust Strings, so the store only ever holds UTF-8 there).
///
/// # Safety
/// As for `bytes`.
pub unsafe fn string(op: &str, ptr: *const c_char, len: usize) -> Result<String, ProviderError> {
    String::from_utf8(bytes(ptr, len).to_vec())
        .map_err(|_| ProviderError::permanent(op, "durastore returned a string that is not UTF-8"))
}

/// An optional string out of an accessor (`NULL` = unset).
///
/// # Safety
/// As for `bytes`.
pub unsafe fn opt_string(op: &str, ptr: *const c_char, len: usize) -> Result<Option<String>, ProviderError> {
    if ptr.is_null() {
        Ok(None)
    } else {
        string(op, ptr, len).map(Some)
    }
}

/// (ptr, len) of a Rust string or byte buffer, for input structs.
pub fn raw(s: &[u8]) -> (*const c_char, usize) {
    (s.as_ptr().cast::<c_char>(), s.len())
}

/// An optional input string: NULL when unset.
pub fn raw_opt(s: Option<&str>) -> (*const c_char, usize) {
    match s {
        Some(s) => raw(s.as_bytes()),
        None => (ptr::null(), 0),
    }
}

pub fn ds_str(s: &str) -> ffi::ds_str {
    ffi::ds_str { ptr: s.as_ptr().cast::<c_char>(), len: s.len() }
}

/// A buffer the library allocated (char*, uint64_t*), freed with ds_free.
pub struct Buffer(pub *mut c_void);
impl Drop for Buffer {
    fn drop(&mut self) {
        // SAFETY: allocated by the library; ds_free accepts NULL.
        unsafe { ffi::ds_free(self.0) }
    }
}

/// Declares an owner for one kind of library object: a non-null pointer freed once on drop.
macro_rules! owner {
    ($name:ident, $raw:ty, $free:path) => {
        pub struct $name(pub *mut $raw);
        impl $name {
            pub fn null() -> Self {
                Self(std::ptr::null_mut())
            }
            pub fn out(&mut self) -> *mut *mut $raw {
                &mut self.0
            }
            #[allow(dead_code)]
            pub fn is_null(&self) -> bool {
                self.0.is_null()
            }
        }
        impl Drop for $name {
            fn drop(&mut self) {
                // SAFETY: the pointer came from the library and is freed once, here.
                unsafe { $free(self.0) }
            }
        }
    };
}
owner!(History, ffi::ds_history, ffi::ds_history_free);
owner!(Strings, ffi::ds_strings, ffi::ds_strings_free);
owner!(Kvs, ffi::ds_kvs, ffi::ds_kvs_free);
owner!(FetchedOrchestration, ffi::ds_fetched_orchestration, ffi::ds_fetched_orchestration_free);
owner!(FetchedWork, ffi::ds_fetched_work, ffi::ds_fetched_work_free);
owner!(InstanceInfo, ffi::ds_instance_info, ffi::ds_instance_info_free);
owner!(ExecutionInfo, ffi::ds_execution_info, ffi::ds_execution_info_free);
owner!(Batch, ffi::ds_batch, ffi::ds_batch_free);
owner!(Events, ffi::ds_events, ffi::ds_events_free);
owner!(CommitResult, ffi::ds_commit_result, ffi::ds_commit_result_free);

impl Strings {
    pub fn to_vec(&self, op: &str) -> Result<Vec<String>, ProviderError> {
        let mut n = 0usize;
        // SAFETY: the accessor returns n views into self, alive while self is.
        unsafe {
            let items = ffi::ds_strings_items(self.0, &mut n);
            (0..n).map(|i| string(op, (*items.add(i)).ptr, (*items.add(i)).len)).collect()
        }
    }
}

/// A u64 array from the library (ds_admin_list_executions, ds_log_list_partitions).
pub fn u64_array(buffer: *mut u64, count: usize) -> Vec<u64> {
    let owned = Buffer(buffer.cast::<c_void>());
    if owned.0.is_null() {
        return Vec::new();
    }
    // SAFETY: the library returned `count` u64 values at buffer.
    unsafe { std::slice::from_raw_parts(buffer, count).to_vec() }
}
