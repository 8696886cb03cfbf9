//! C library namespaces: `ffi.C` (the process's global symbols) and the
//! libraries opened by `ffi.load`, with LuaJIT's name rules and messages.

use std::ffi::{c_void, CStr, CString};

/// An open shared library (or the default namespace).
pub struct CLib {
    handle: *mut c_void,
}

// SAFETY: dlopen handles are process-wide; nothing here is thread-bound.
unsafe impl Send for CLib {}

/// The file name `ffi.load` tries for `name`: `"z"` is `libz.so`,
/// `"libz.so.1"` and paths are used as given.
pub fn lib_file_name(name: &str) -> String {
    if name.contains('/') {
        return name.to_string();
    }
    let mut n = name.to_string();
    if !n.contains('.') {
        n.push_str(".so");
    }
    if !n.starts_with("lib") {
        n.insert_str(0, "lib");
    }
    n
}

fn dl_error() -> String {
    // SAFETY: dlerror returns a thread-local C string or NULL.
    unsafe {
        let e = libc::dlerror();
        if e.is_null() {
            "unknown dynamic linker error".into()
        } else {
            CStr::from_ptr(e).to_string_lossy().into_owned()
        }
    }
}

impl CLib {
    /// The default namespace (`ffi.C`).
    pub fn default_ns() -> CLib {
        CLib {
            handle: libc::RTLD_DEFAULT,
        }
    }

    /// Open a library by LuaJIT's rules; `global` makes its symbols visible
    /// to `ffi.C` too.
    pub fn open(name: &str, global: bool) -> Result<CLib, String> {
        let file = lib_file_name(name);
        let c = CString::new(file).map_err(|_| "invalid library name".to_string())?;
        let flags = libc::RTLD_LAZY
            | if global {
                libc::RTLD_GLOBAL
            } else {
                libc::RTLD_LOCAL
            };
        // SAFETY: a NUL-terminated file name; dlopen has no other precondition.
        let h = unsafe { libc::dlopen(c.as_ptr(), flags) };
        if h.is_null() {
            return Err(dl_error());
        }
        Ok(CLib { handle: h })
    }

    /// The address of `sym`, or None if the library does not define it.
    pub fn symbol(&self, sym: &str) -> Option<*const u8> {
        let c = CString::new(sym).ok()?;
        // SAFETY: a valid handle (or RTLD_DEFAULT) and a C string.
        let p = unsafe { libc::dlsym(self.handle, c.as_ptr()) };
        (!p.is_null()).then_some(p as *const u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(lib_file_name("z"), "libz.so");
        assert_eq!(lib_file_name("libz"), "libz.so");
        assert_eq!(lib_file_name("z.so.1"), "libz.so.1");
        assert_eq!(lib_file_name("./foo.so"), "./foo.so");
    }

    #[test]
    fn default_namespace_has_libc() {
        assert!(CLib::default_ns().symbol("strlen").is_some());
        assert!(CLib::default_ns().symbol("no_such_symbol_xyz").is_none());
        assert!(CLib::open("no_such_library_xyz", false).is_err());
    }
}
