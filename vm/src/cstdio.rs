//! C stdio for the `io` library and `print` (an unsafe module: every
//! block has a `// SAFETY:` note). Lua files are C `FILE*` streams, so
//! their buffers are shared with C code in the process (`printf` through
//! the FFI, C modules given `io` handles).
//!
//! A file handle is a full userdata whose payload has LuaJIT's `IOFileUD`
//! layout (`IoFileUd`): the `FILE*` first (null once closed), then a
//! 32-bit type. C modules find it with `luaL_checkudata(L, i, "FILE*")`.
//!
//! A `CFile` is a stream known to be open. It stays valid until the file
//! is closed, which only `IoFileUd` closing (nulling the payload first) or
//! C code does; the io library takes a `CFile` from a handle's payload
//! again after anything that may run Lua (a collection's finalisers).

use crate::object::Udata;
use std::ffi::CString;
use std::ptr::NonNull;

#[allow(non_upper_case_globals)]
extern "C" {
    static mut stdin: *mut libc::FILE;
    static mut stdout: *mut libc::FILE;
    static mut stderr: *mut libc::FILE;
    fn getc_unlocked(f: *mut libc::FILE) -> libc::c_int;
    fn flockfile(f: *mut libc::FILE);
    fn funlockfile(f: *mut libc::FILE);
    fn popen(cmd: *const libc::c_char, mode: *const libc::c_char) -> *mut libc::FILE;
    fn pclose(f: *mut libc::FILE) -> libc::c_int;
}

/// `IoFileUd::kind` values (LuaJIT's): a file, a pipe, a standard stream.
pub const KIND_FILE: u32 = 0;
pub const KIND_PIPE: u32 = 1;
pub const KIND_STD: u32 = 2;

/// The payload of a file handle.
#[repr(C)]
pub struct IoFileUd {
    pub fp: *mut libc::FILE,
    pub kind: u32,
}

/// Payload bytes of a file handle made by the io library.
pub const UD_SIZE: usize = std::mem::size_of::<IoFileUd>();

/// An open C stream.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CFile(NonNull<libc::FILE>);

/// The current `errno`.
fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `strerror` text of an error number.
pub fn strerror(code: i32) -> String {
    // SAFETY: strerror returns a NUL-terminated string valid until the next
    // call in this thread; it is copied at once.
    unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) }
        .to_string_lossy()
        .into_owned()
}

/// A stream pointer, or the errno of the failed call that returned it.
fn opened(fp: *mut libc::FILE) -> Result<CFile, i32> {
    match NonNull::new(fp) {
        Some(p) => Ok(CFile(p)),
        None => Err(errno()),
    }
}

/// C string of `b` (cut at its first NUL, as C sees it).
fn c_string(b: &[u8]) -> CString {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    CString::new(&b[..end]).unwrap_or_default()
}

/// C's `stdin` (0), `stdout` (1) or `stderr` (2).
pub fn std_stream(which: u8) -> CFile {
    // SAFETY: the C library initialises its standard streams before main;
    // the statics are only read.
    let fp = unsafe {
        match which {
            0 => stdin,
            1 => stdout,
            _ => stderr,
        }
    };
    CFile(NonNull::new(fp).expect("C standard stream"))
}

/// `fopen(name, mode)`.
pub fn fopen(name: &[u8], mode: &[u8]) -> Result<CFile, i32> {
    let (n, m) = (c_string(name), c_string(mode));
    // SAFETY: two valid NUL-terminated strings.
    opened(unsafe { libc::fopen(n.as_ptr(), m.as_ptr()) })
}

/// `popen(cmd, mode)`.
pub fn open_pipe(cmd: &[u8], mode: &[u8]) -> Result<CFile, i32> {
    let (c, m) = (c_string(cmd), c_string(mode));
    // SAFETY: two valid NUL-terminated strings.
    opened(unsafe { popen(c.as_ptr(), m.as_ptr()) })
}

/// `tmpfile()`.
pub fn tmpfile() -> Result<CFile, i32> {
    // SAFETY: no arguments.
    opened(unsafe { libc::tmpfile() })
}

/// `fflush(NULL)`: every output stream.
pub fn flush_all() {
    // SAFETY: a null stream flushes all open output streams.
    unsafe { libc::fflush(std::ptr::null_mut()) };
}

/// What a read ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// The request is complete (a line ended, the count was read).
    Done,
    /// End of file first.
    Eof,
    /// A read error (`errno`).
    Error(i32),
    /// The buffer could not grow.
    NoMem,
    /// The buffer reached the size the caller allowed.
    Limit,
}

/// Chunk size of block reads.
const CHUNK: usize = 16 * 1024;

impl CFile {
    fn fp(self) -> *mut libc::FILE {
        self.0.as_ptr()
    }

    /// The error of a stream whose error flag is set (EIO if errno says
    /// nothing).
    fn err_of(self) -> i32 {
        match errno() {
            0 => libc::EIO,
            e => e,
        }
    }

    /// `fwrite` of all of `b`; the errno of a short write.
    pub fn write(self, b: &[u8]) -> Result<(), i32> {
        if b.is_empty() {
            return Ok(());
        }
        // SAFETY: open stream; `b` is readable for its length.
        let n = unsafe { libc::fwrite(b.as_ptr().cast(), 1, b.len(), self.fp()) };
        if n == b.len() {
            Ok(())
        } else {
            Err(self.err_of())
        }
    }

    /// `fflush`.
    pub fn flush(self) -> Result<(), i32> {
        // SAFETY: open stream.
        if unsafe { libc::fflush(self.fp()) } == 0 {
            Ok(())
        } else {
            Err(self.err_of())
        }
    }

    /// `clearerr`: reset the error and end-of-file flags.
    pub fn clearerr(self) {
        // SAFETY: open stream.
        unsafe { libc::clearerr(self.fp()) }
    }

    /// `ferror`: the error flag.
    pub fn has_error(self) -> bool {
        // SAFETY: open stream.
        unsafe { libc::ferror(self.fp()) != 0 }
    }

    /// `getc`: a byte, None at end of file or on an error (`has_error`).
    pub fn getc(self) -> Option<u8> {
        // SAFETY: open stream.
        let c = unsafe { libc::fgetc(self.fp()) };
        (c >= 0).then_some(c as u8)
    }

    /// `ungetc` of the byte just read.
    pub fn ungetc(self, c: u8) {
        // SAFETY: open stream; one byte of push-back is always possible.
        unsafe { libc::ungetc(c as libc::c_int, self.fp()) };
    }

    /// Append a line to `out`, its newline too when `keep_nl`; at most
    /// `max` bytes in `out` (then `Limit`, the rest of the line unread).
    pub fn read_line(self, out: &mut Vec<u8>, keep_nl: bool, max: usize) -> Step {
        // SAFETY: open stream, locked for the unlocked reads below.
        unsafe { flockfile(self.fp()) };
        let step = loop {
            if out.len() >= max {
                break Step::Limit;
            }
            if out.len() == out.capacity() && out.try_reserve(out.len().max(128)).is_err() {
                break Step::NoMem;
            }
            // SAFETY: this thread holds the stream's lock.
            let c = unsafe { getc_unlocked(self.fp()) };
            if c < 0 {
                break if self.has_error() {
                    Step::Error(self.err_of())
                } else {
                    Step::Eof
                };
            }
            if c == b'\n' as libc::c_int {
                if keep_nl {
                    out.push(b'\n');
                }
                break Step::Done;
            }
            out.push(c as u8);
        };
        // SAFETY: locked above by this thread.
        unsafe { funlockfile(self.fp()) };
        step
    }

    /// Append up to `n` more bytes to `out` (`fread` in chunks), never
    /// taking `out` past `max` bytes (then `Limit`).
    pub fn read_bytes(self, out: &mut Vec<u8>, mut n: usize, max: usize) -> Step {
        while n > 0 {
            if out.len() >= max {
                return Step::Limit;
            }
            let want = n.min(CHUNK.max(out.len() / 2)).min(max - out.len());
            if out.try_reserve(want).is_err() {
                return Step::NoMem;
            }
            let len = out.len();
            // SAFETY: open stream; `out` has room for `want` more bytes
            // (reserved above), of which fread fills the first `got`.
            let got = unsafe {
                let got = libc::fread(out.as_mut_ptr().add(len).cast(), 1, want, self.fp());
                out.set_len(len + got);
                got
            };
            n -= got;
            if got < want {
                return if self.has_error() {
                    Step::Error(self.err_of())
                } else {
                    Step::Eof
                };
            }
        }
        Step::Done
    }

    /// `fseeko` then `ftello`: the new position.
    pub fn seek(self, off: i64, whence: i32) -> Result<i64, i32> {
        // SAFETY: open stream.
        unsafe {
            if libc::fseeko(self.fp(), off, whence) != 0 {
                return Err(errno());
            }
            let p = libc::ftello(self.fp());
            if p < 0 {
                Err(errno())
            } else {
                Ok(p)
            }
        }
    }

    /// `setvbuf(fp, NULL, mode, size)`.
    pub fn setvbuf(self, mode: i32, size: usize) -> Result<(), i32> {
        // SAFETY: open stream; C allocates the buffer itself.
        if unsafe { libc::setvbuf(self.fp(), std::ptr::null_mut(), mode, size) } == 0 {
            Ok(())
        } else {
            Err(match errno() {
                0 => libc::EINVAL,
                e => e,
            })
        }
    }

    /// The stream's address (for `tostring`).
    pub fn addr(self) -> usize {
        self.fp() as usize
    }
}

/// `setvbuf` modes: full, line, none.
pub const VBUF_MODES: [i32; 3] = [libc::_IOFBF, libc::_IOLBF, libc::_IONBF];

/// The payload of file handle `u` (a userdata with at least a pointer's
/// payload: C modules may make handles of `sizeof(FILE*)`).
fn payload(u: NonNull<Udata>) -> *mut IoFileUd {
    Udata::payload(u) as *mut IoFileUd
}

/// Payload size of userdata `u`.
fn ud_len(u: NonNull<Udata>) -> usize {
    // SAFETY: live userdata header.
    unsafe { (*u.as_ptr()).len }
}

/// Whether `u`'s payload can hold a stream pointer.
pub fn is_handle_sized(u: NonNull<Udata>) -> bool {
    ud_len(u) >= std::mem::size_of::<*mut libc::FILE>()
}

/// The open stream of handle `u`, None once closed. `u` must be a file
/// handle (`is_handle_sized`, the `FILE*` metatable).
pub fn handle_file(u: NonNull<Udata>) -> Option<CFile> {
    // SAFETY: a file handle's payload starts with the stream pointer.
    NonNull::new(unsafe { (*payload(u)).fp }).map(CFile)
}

/// The type of handle `u` (`KIND_*`); a handle a C module made with only
/// a pointer is a plain file.
pub fn handle_kind(u: NonNull<Udata>) -> u32 {
    if ud_len(u) < UD_SIZE {
        return KIND_FILE;
    }
    // SAFETY: the payload has room for the whole IoFileUd.
    unsafe { (*payload(u)).kind }
}

/// Fill the payload of a new handle `u` (made with `UD_SIZE` bytes).
pub fn init_handle(u: NonNull<Udata>, f: CFile, kind: u32) {
    debug_assert!(ud_len(u) >= UD_SIZE);
    // SAFETY: the payload has room for an IoFileUd (16-aligned).
    unsafe { payload(u).write(IoFileUd { fp: f.fp(), kind }) }
}

/// Close handle `u`'s stream (`pclose` for a pipe, else `fclose`), the
/// payload nulled first. Ok(status of pclose) or the errno.
pub fn close_handle(u: NonNull<Udata>) -> Result<i32, i32> {
    let Some(f) = handle_file(u) else {
        return Ok(0);
    };
    let kind = handle_kind(u);
    // SAFETY: the pointer is taken out of the payload before the stream
    // is closed, so no later use of the handle can reach it.
    unsafe {
        (*payload(u)).fp = std::ptr::null_mut();
        if kind == KIND_PIPE {
            let st = pclose(f.fp());
            if st == -1 {
                Err(errno())
            } else {
                Ok(st)
            }
        } else if libc::fclose(f.fp()) == 0 {
            Ok(0)
        } else {
            Err(errno())
        }
    }
}

/// `std::io::Write` to C's stdout (`jit.v`/`jit.dump` to "-", the REPL's
/// prompt): shares its buffer with `print` and `io.write`.
pub struct CStdout;

impl std::io::Write for CStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std_stream(1)
            .write(buf)
            .map(|_| buf.len())
            .map_err(std::io::Error::from_raw_os_error)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std_stream(1)
            .flush()
            .map_err(std::io::Error::from_raw_os_error)
    }
}
