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

/// When dlopen failed because the file is not an ELF object (`err` is
/// dlerror's "PATH: invalid ELF header" or "PATH: file too short"), the
/// file may be a GNU ld script: the first library its first `GROUP ( ...`
/// or `INPUT ( ...` line names.
fn ld_script_target(err: &str) -> Option<String> {
    let (path, why) = err.rsplit_once(": ")?;
    if !(why.starts_with("invalid ELF header") || why.starts_with("file too short")) {
        return None;
    }
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 64 * 1024 {
        return None;
    }
    let text = std::fs::read(path).ok()?;
    text.split(|&b| b == b'\n').find_map(|line| {
        let line = line.trim_ascii_start();
        if !(line.starts_with(b"GROUP") || line.starts_with(b"INPUT")) {
            return None;
        }
        let open = line.iter().position(|&b| b == b'(')?;
        let first = line[open + 1..]
            .split(|&b| b.is_ascii_whitespace() || b == b')')
            .find(|w| !w.is_empty())?;
        Some(String::from_utf8_lossy(first).into_owned())
    })
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
        let mut h = unsafe { libc::dlopen(c.as_ptr(), flags) };
        if h.is_null() {
            let err = dl_error();
            // A linker script (glibc's libc.so, libm.so): open the library
            // it names, as LuaJIT does.
            let Some(target) = ld_script_target(&err).and_then(|t| CString::new(t).ok()) else {
                return Err(err);
            };
            // SAFETY: as above.
            h = unsafe { libc::dlopen(target.as_ptr(), flags) };
            if h.is_null() {
                return Err(dl_error());
            }
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
    fn linker_scripts() {
        let dir = std::env::temp_dir().join(format!("lt_ldscript_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("libx.so");
        std::fs::write(
            &script,
            "/* GNU ld script */\nOUTPUT_FORMAT(elf64-x86-64)\n  GROUP ( /lib/libx.so.6 AS_NEEDED ( /lib/y.so ) )\n",
        )
        .unwrap();
        let err = format!("{}: invalid ELF header", script.display());
        assert_eq!(ld_script_target(&err).as_deref(), Some("/lib/libx.so.6"));
        let err = format!("{}: cannot open shared object file", script.display());
        assert_eq!(ld_script_target(&err), None);
        std::fs::write(&script, "INPUT(-lfoo)\n").unwrap();
        let err = format!("{}: file too short", script.display());
        assert_eq!(ld_script_target(&err).as_deref(), Some("-lfoo"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

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
