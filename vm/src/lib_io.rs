//! The `io` library: files are full userdata holding a pointer to an
//! `LFile` (our own buffering over a `File`, a pipe or the standard
//! streams), with methods read/write/lines/seek/setvbuf/flush/close,
//! `__gc` closing them, and the `io.*` functions over the default files.

use crate::error::LuaResult;
use crate::object::{str_bytes, Udata};
use crate::state::Vm;
use crate::value::Value;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::ptr::NonNull;

enum Handle {
    File(File),
    Stdin,
    Stdout,
    Stderr,
    PipeRead(std::process::Child),
    PipeWrite(std::process::Child),
}

/// An open Lua file.
pub struct LFile {
    h: Option<Handle>,
    /// Access allowed by the open mode; the other direction fails with
    /// EBADF as a C stream does.
    can_read: bool,
    can_write: bool,
    rbuf: Vec<u8>,
    rpos: usize,
    wbuf: Vec<u8>,
    /// Line-buffered or unbuffered output (`setvbuf`).
    mode: u8,
    eof: bool,
}

const BUF: usize = 8192;

impl LFile {
    fn new(h: Handle) -> LFile {
        let (can_read, can_write) = match h {
            Handle::File(_) => (true, true),
            Handle::Stdin | Handle::PipeRead(_) => (true, false),
            Handle::Stdout | Handle::Stderr | Handle::PipeWrite(_) => (false, true),
        };
        LFile {
            h: Some(h),
            can_read,
            can_write,
            rbuf: Vec::new(),
            rpos: 0,
            wbuf: Vec::new(),
            mode: 0,
            eof: false,
        }
    }

    fn raw_read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.h.as_mut() {
            Some(Handle::File(f)) => f.read(buf),
            Some(Handle::Stdin) => {
                let _ = std::io::stdout().flush();
                std::io::stdin().read(buf)
            }
            Some(Handle::PipeRead(c)) => c.stdout.as_mut().map_or(Ok(0), |o| o.read(buf)),
            _ => Err(std::io::Error::from_raw_os_error(libc::EBADF)),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.wbuf.is_empty() {
            return match self.h.as_mut() {
                Some(Handle::Stdout) => std::io::stdout().flush(),
                _ => Ok(()),
            };
        }
        let data = std::mem::take(&mut self.wbuf);
        match self.h.as_mut() {
            Some(Handle::File(f)) => f.write_all(&data),
            Some(Handle::Stdout) => {
                let mut o = std::io::stdout().lock();
                o.write_all(&data).and_then(|_| o.flush())
            }
            Some(Handle::Stderr) => std::io::stderr().write_all(&data),
            Some(Handle::PipeWrite(c)) => c.stdin.as_mut().map_or(Ok(()), |i| i.write_all(&data)),
            _ => Err(std::io::Error::from_raw_os_error(libc::EBADF)),
        }
    }

    fn write(&mut self, b: &[u8]) -> std::io::Result<()> {
        if !self.can_write {
            return Err(std::io::Error::from_raw_os_error(libc::EBADF));
        }
        // Drop read-ahead so the file position is right.
        if self.rpos < self.rbuf.len() {
            if let Some(Handle::File(f)) = self.h.as_mut() {
                f.seek(SeekFrom::Current(-((self.rbuf.len() - self.rpos) as i64)))?;
            }
        }
        self.rbuf.clear();
        self.rpos = 0;
        match self.h {
            Some(Handle::Stdout) => {
                // Share the process-wide stdout buffer with `print`.
                return std::io::stdout().lock().write_all(b);
            }
            Some(Handle::Stderr) => {
                let _ = std::io::stdout().flush();
                return std::io::stderr().write_all(b);
            }
            _ => {}
        }
        self.wbuf.extend_from_slice(b);
        if self.mode == 2 || self.wbuf.len() >= BUF || (self.mode == 1 && b.contains(&b'\n')) {
            self.flush()?;
        }
        Ok(())
    }

    fn fill(&mut self) -> std::io::Result<bool> {
        if self.rpos < self.rbuf.len() {
            return Ok(true);
        }
        if !self.can_read {
            return Err(std::io::Error::from_raw_os_error(libc::EBADF));
        }
        self.flush()?;
        let mut buf = std::mem::take(&mut self.rbuf);
        buf.resize(BUF, 0);
        let r = self.raw_read(&mut buf);
        let n = *r.as_ref().unwrap_or(&0);
        buf.truncate(n);
        self.rbuf = buf;
        self.rpos = 0;
        if n == 0 {
            self.eof = true;
        }
        r.map(|n| n > 0)
    }

    fn getc(&mut self) -> std::io::Result<Option<u8>> {
        if !self.fill()? {
            return Ok(None);
        }
        let c = self.rbuf[self.rpos];
        self.rpos += 1;
        Ok(Some(c))
    }

    fn peekc(&mut self) -> std::io::Result<Option<u8>> {
        if !self.fill()? {
            return Ok(None);
        }
        Ok(Some(self.rbuf[self.rpos]))
    }

    fn read_line(&mut self, keep_nl: bool) -> std::io::Result<Option<Vec<u8>>> {
        let mut out = Vec::new();
        let mut any = false;
        while let Some(c) = self.getc()? {
            any = true;
            if c == b'\n' {
                if keep_nl {
                    out.push(c);
                }
                return Ok(Some(out));
            }
            out.push(c);
        }
        Ok(if any { Some(out) } else { None })
    }

    fn read_all(&mut self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        while self.fill()? {
            out.extend_from_slice(&self.rbuf[self.rpos..]);
            self.rpos = self.rbuf.len();
        }
        Ok(out)
    }

    fn read_n(&mut self, n: usize) -> std::io::Result<Option<Vec<u8>>> {
        if n == 0 {
            // A zero count only tests for end of file.
            return Ok(self.peekc()?.map(|_| Vec::new()));
        }
        let mut out = Vec::new();
        while out.len() < n {
            if !self.fill()? {
                break;
            }
            let take = (n - out.len()).min(self.rbuf.len() - self.rpos);
            out.extend_from_slice(&self.rbuf[self.rpos..self.rpos + take]);
            self.rpos += take;
        }
        Ok(if out.is_empty() && n > 0 {
            None
        } else {
            Some(out)
        })
    }

    /// `*n`: what glibc's `fscanf("%lf")` reads. Whitespace is skipped,
    /// then the longest prefix of a decimal or hex float (or of `inf`,
    /// `infinity`, `nan`) is consumed. The first byte that cannot continue
    /// a number is left unread, but a mismatch inside the `inf`/`nan`
    /// words is consumed, and a consumed but invalid prefix ("-", ".",
    /// "0x") stays consumed and fails.
    fn read_number(&mut self) -> std::io::Result<Option<f64>> {
        while let Some(c) = self.peekc()? {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
                self.rpos += 1;
            } else {
                break;
            }
        }
        let mut buf = Vec::new();
        let Some(mut c) = self.peekc()? else {
            return Ok(None);
        };
        if c == b'-' || c == b'+' {
            buf.push(c);
            self.rpos += 1;
            match self.peekc()? {
                Some(x) => c = x,
                None => return Ok(None),
            }
        }
        let neg = buf.first() == Some(&b'-');
        let lc = c.to_ascii_lowercase();
        if lc == b'n' || lc == b'i' {
            let word: &[u8] = if lc == b'n' { b"nan" } else { b"inf" };
            if !self.expect_word(word)? {
                return Ok(None);
            }
            if lc == b'i'
                && self.peekc()?.map(|x| x.to_ascii_lowercase()) == Some(b'i')
                && !self.expect_word(b"inity")?
            {
                return Ok(None);
            }
            let v = if lc == b'n' { f64::NAN } else { f64::INFINITY };
            return Ok(Some(if neg { -v } else { v }));
        }
        let sign_len = buf.len();
        let mut hex = false;
        let mut got_digit = false;
        if c == b'0' {
            buf.push(c);
            self.rpos += 1;
            match self.peekc()? {
                Some(x) if x == b'x' || x == b'X' => {
                    buf.push(x);
                    self.rpos += 1;
                    hex = true;
                }
                _ => got_digit = true,
            }
        }
        let exp_char = if hex { b'p' } else { b'e' };
        let (mut got_e, mut got_dot) = (false, false);
        while let Some(x) = self.peekc()? {
            let after_exp = buf.last().map(|b| b.to_ascii_lowercase()) == Some(exp_char);
            let accept = if x.is_ascii_digit() || (hex && !got_e && x.is_ascii_hexdigit()) {
                got_digit = true;
                true
            } else if got_e && after_exp && (x == b'-' || x == b'+') {
                true
            } else if got_digit && !got_e && x.to_ascii_lowercase() == exp_char {
                got_e = true;
                got_dot = true;
                true
            } else if !got_dot && x == b'.' {
                got_dot = true;
                true
            } else {
                false
            };
            if !accept {
                break;
            }
            buf.push(x);
            self.rpos += 1;
        }
        let body = &buf[sign_len..];
        if body.is_empty() || (hex && body.len() == 2) {
            return Ok(None);
        }
        Ok(scan_float(body, hex).map(|v| if neg { -v } else { v }))
    }

    /// Consume bytes matching `word` case-insensitively; a mismatching byte
    /// is consumed too (as glibc's scanf does).
    fn expect_word(&mut self, word: &[u8]) -> std::io::Result<bool> {
        for &w in word {
            match self.getc()? {
                Some(x) if x.to_ascii_lowercase() == w => {}
                _ => return Ok(false),
            }
        }
        Ok(true)
    }

    /// Close the handle. Like LuaJIT 2.1 (without 5.2 compatibility),
    /// closing a pipe waits for the command but ignores its exit status.
    fn close(&mut self) -> std::io::Result<()> {
        let r = self.flush();
        let w = match self.h.take() {
            Some(Handle::PipeRead(mut c)) | Some(Handle::PipeWrite(mut c)) => {
                drop(c.stdin.take());
                drop(c.stdout.take());
                c.wait().map(|_| ())
            }
            _ => Ok(()),
        };
        r.and(w)
    }
}

/// `strtod` of the unsigned text `read_number` collected: the longest valid
/// prefix counts (an exponent without digits is ignored); None when there
/// are no mantissa digits. A hex body starts with "0x"; with no digits
/// after it, only its "0" is valid.
fn scan_float(body: &[u8], hex: bool) -> Option<f64> {
    let exp_char = if hex { b'p' } else { b'e' };
    let (mant, exp) = match body.iter().position(|c| c.to_ascii_lowercase() == exp_char) {
        Some(k) => (&body[..k], &body[k..]),
        None => (body, &body[body.len()..]),
    };
    let exp = if exp.iter().any(|c| c.is_ascii_digit()) {
        exp
    } else {
        &exp[..0]
    };
    if hex {
        let digits = &mant[2..];
        if !digits.iter().any(|c| c.is_ascii_hexdigit()) {
            return Some(0.0);
        }
        let mut t = digits.to_vec();
        t.extend_from_slice(exp);
        return crate::lex::parse_hex(&t);
    }
    if !mant.iter().any(|c| c.is_ascii_digit()) {
        return None;
    }
    // Give a bare point a digit on each side before Rust's parser sees it.
    let mut t = Vec::with_capacity(mant.len() + exp.len() + 2);
    if mant[0] == b'.' {
        t.push(b'0');
    }
    t.extend_from_slice(mant);
    if mant.last() == Some(&b'.') {
        t.push(b'0');
    }
    t.extend_from_slice(exp);
    std::str::from_utf8(&t).ok()?.parse::<f64>().ok()
}

impl Drop for LFile {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

// ---- userdata plumbing ----

fn lfile_ptr(u: NonNull<Udata>) -> *mut *mut LFile {
    Udata::payload(u) as *mut *mut LFile
}

/// The file behind a value, if it is one of ours.
fn to_file<'a>(vm: &Vm, v: Value) -> Option<&'a mut LFile> {
    let u = v.as_udata_ptr()?;
    // SAFETY: live userdata; its metatable tells whether it is a file.
    let meta = unsafe { (*u.as_ptr()).meta };
    let reg = vm.registry;
    let mt = crate::table::get_str(reg, vm.file_key);
    if mt.as_table_ptr().map(|p| p.as_ptr()) != Some(meta) {
        return None;
    }
    // SAFETY: file userdata always hold a pointer slot, null once freed.
    let p = unsafe { *lfile_ptr(u) };
    if p.is_null() {
        None
    } else {
        // SAFETY: the LFile is owned by this userdata until __gc.
        Some(unsafe { &mut *p })
    }
}

fn new_file(vm: &mut Vm, f: LFile) -> Value {
    let env = vm.globals.as_ptr();
    let u = vm.heap.new_udata(8, env);
    let mt = crate::table::get_str(vm.registry, vm.file_key);
    // SAFETY: fresh userdata with an 8-byte payload.
    unsafe {
        *lfile_ptr(u) = Box::into_raw(Box::new(f));
        (*u.as_ptr()).meta = mt
            .as_table_ptr()
            .map_or(std::ptr::null_mut(), |p| p.as_ptr());
    }
    Value::from_udata(u)
}

fn check_file<'a>(vm: &mut Vm, i: usize) -> LuaResult<&'a mut LFile> {
    let v = vm.arg(i);
    match to_file(vm, v) {
        Some(f) if f.h.is_some() => Ok(f),
        Some(_) => Err(vm.rt_error("attempt to use a closed file")),
        None => Err(vm.type_error(i, "FILE*")),
    }
}

/// (nil, "msg", errno) results of a failed operation.
pub(crate) fn fail(vm: &mut Vm, what: Option<&str>, e: &std::io::Error) -> LuaResult<usize> {
    let code = e.raw_os_error().unwrap_or(0);
    // SAFETY: strerror returns a static NUL-terminated string.
    let msg = unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) }
        .to_string_lossy()
        .into_owned();
    let text = match what {
        Some(w) => format!("{}: {}", w, msg),
        None => msg,
    };
    vm.push(Value::NIL);
    let s = vm.intern(text.as_bytes());
    vm.push(s);
    vm.push(Value::num(code as f64));
    Ok(3)
}

pub fn open(vm: &mut Vm) {
    vm.file_key = vm.intern(b"FILE*");
    let methods: &[(&'static str, crate::object::NativeFn)] = &[
        ("close", f_close),
        ("flush", f_flush),
        ("lines", f_lines),
        ("read", f_read),
        ("seek", f_seek),
        ("setvbuf", f_setvbuf),
        ("write", f_write),
    ];
    let mt = vm.new_table_value(0, 4);
    let idx = vm.new_table_value(0, methods.len());
    for &(n, f) in methods {
        let fv = vm.new_native(f, n);
        vm.set_field(idx, n, fv);
    }
    vm.set_field(mt, "__index", idx);
    let gc = vm.new_native(f_gc, "__gc");
    vm.set_field(mt, "__gc", gc);
    let ts = vm.new_native(f_tostring, "__tostring");
    vm.set_field(mt, "__tostring", ts);
    crate::builtin_id::note(vm, "file", idx);
    crate::builtin_id::note(vm, "file", mt);
    let reg = vm.registry;
    let _ = crate::table::set(&mut vm.heap, reg, vm.file_key, mt);
    let io = vm.register_lib(
        "io",
        &[
            ("close", io_close),
            ("flush", io_flush),
            ("input", io_input),
            ("lines", io_lines),
            ("open", io_open),
            ("output", io_output),
            ("popen", io_popen),
            ("read", io_read),
            ("tmpfile", io_tmpfile),
            ("type", io_type),
            ("write", io_write),
        ],
    );
    for (name, h) in [
        ("stdin", Handle::Stdin),
        ("stdout", Handle::Stdout),
        ("stderr", Handle::Stderr),
    ] {
        let f = new_file(vm, LFile::new(h));
        vm.set_field(io, name, f);
    }
    let stdin = vm.get_field(io, "stdin");
    let stdout = vm.get_field(io, "stdout");
    let regv = Value::from_table(vm.registry);
    vm.set_field(regv, "_IO_input", stdin);
    vm.set_field(regv, "_IO_output", stdout);
}

/// Flush buffered output of the default output file (called at exit).
pub fn flush_all(vm: &mut Vm) {
    let regv = Value::from_table(vm.registry);
    let out = vm.get_field(regv, "_IO_output");
    if let Some(f) = to_file(vm, out) {
        let _ = f.flush();
    }
    let _ = std::io::stdout().flush();
}

fn f_gc(vm: &mut Vm) -> LuaResult<usize> {
    if let Some(u) = vm.arg(1).as_udata_ptr() {
        // SAFETY: __gc runs once per userdata; we free the LFile and null the slot.
        unsafe {
            let p = *lfile_ptr(u);
            if !p.is_null() {
                let mut b = Box::from_raw(p);
                if !matches!(
                    b.h,
                    Some(Handle::Stdin) | Some(Handle::Stdout) | Some(Handle::Stderr)
                ) {
                    let _ = b.close();
                }
                *lfile_ptr(u) = std::ptr::null_mut();
            }
        }
    }
    Ok(0)
}

fn f_tostring(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.arg(1);
    let s = match to_file(vm, v) {
        Some(f) if f.h.is_some() => format!("file (0x{:08x})", v.payload()),
        _ => "file (closed)".to_string(),
    };
    let sv = vm.intern(s.as_bytes());
    vm.push(sv);
    Ok(1)
}

fn close_file(vm: &mut Vm, f: &mut LFile) -> LuaResult<usize> {
    if matches!(
        f.h,
        Some(Handle::Stdin) | Some(Handle::Stdout) | Some(Handle::Stderr)
    ) {
        vm.push(Value::NIL);
        let s = vm.intern(b"cannot close standard file");
        vm.push(s);
        return Ok(2);
    }
    match f.close() {
        Ok(()) => {
            vm.push(Value::TRUE);
            Ok(1)
        }
        Err(e) => fail(vm, None, &e),
    }
}

fn f_close(vm: &mut Vm) -> LuaResult<usize> {
    let f = check_file(vm, 1)?;
    close_file(vm, f)
}

fn f_flush(vm: &mut Vm) -> LuaResult<usize> {
    let f = check_file(vm, 1)?;
    match f.flush() {
        Ok(()) => {
            vm.push(Value::TRUE);
            Ok(1)
        }
        Err(e) => fail(vm, None, &e),
    }
}

/// Write the arguments from `first` on; every argument is type-checked
/// even after a failed write. Returns the first write error.
fn write_args(vm: &mut Vm, f: &mut LFile, first: usize) -> LuaResult<Option<std::io::Error>> {
    let mut err = None;
    for i in first..=vm.nargs() {
        let v = vm.arg(i);
        let r = if let Some(n) = v.as_num() {
            f.write(crate::number::fmt_num(n).as_bytes())
        } else if v.is_str() {
            f.write(str_bytes(v))
        } else if let Some(b) = crate::lib_buffer::bytes_of(vm, v) {
            // String buffers are written as their content (as LuaJIT).
            f.write(b)
        } else {
            return Err(vm.type_error(i, "string"));
        };
        if let Err(e) = r {
            err.get_or_insert(e);
        }
    }
    Ok(err)
}

/// `file:write(...)`: true on success, as Debian's LuaJIT 2.1 (built
/// without the Lua 5.2 compatibility that returns the file).
fn f_write(vm: &mut Vm) -> LuaResult<usize> {
    let f = check_file(vm, 1)?;
    match write_args(vm, f, 2)? {
        None => {
            vm.push(Value::TRUE);
            Ok(1)
        }
        Some(e) => fail(vm, None, &e),
    }
}

/// Read with the formats `fmts`; the format at index j is argument
/// `argbase + j` in error messages. Reading stops at the first failure,
/// whose result is nil.
fn read_formats(vm: &mut Vm, f: &mut LFile, fmts: &[Value], argbase: usize) -> LuaResult<usize> {
    if fmts.is_empty() {
        return match f.read_line(false) {
            Ok(Some(l)) => {
                let s = vm.intern(&l);
                vm.push(s);
                Ok(1)
            }
            Ok(None) => {
                vm.push(Value::NIL);
                Ok(1)
            }
            Err(e) => fail(vm, None, &e),
        };
    }
    vm.ensure_stack(fmts.len())?;
    let mut count = 0;
    for (j, &a) in fmts.iter().enumerate() {
        let r: std::io::Result<Value> = if let Some(k) = a.as_num() {
            // A negative count wraps to a huge size in LuaJIT.
            let k = crate::state::num_to_int(k);
            if !(0..=0x7fff_ff00).contains(&k) {
                return Err(vm.plain_error("not enough memory"));
            }
            f.read_n(k as usize).map(|o| match o {
                Some(b) => vm.intern(&b),
                None => Value::NIL,
            })
        } else if a.is_str() {
            let fmt = str_bytes(a);
            let fmt = fmt.strip_prefix(b"*").unwrap_or(fmt);
            match fmt.first() {
                Some(b'n') => f.read_number().map(|o| o.map_or(Value::NIL, Value::num)),
                Some(b'a') => f.read_all().map(|b| vm.intern(&b)),
                Some(b'l') => f
                    .read_line(false)
                    .map(|o| o.map_or(Value::NIL, |b| vm.intern(&b))),
                Some(b'L') => f
                    .read_line(true)
                    .map(|o| o.map_or(Value::NIL, |b| vm.intern(&b))),
                _ => return Err(vm.arg_error(argbase + j, "invalid format")),
            }
        } else {
            return Err(vm.arg_error(argbase + j, "invalid option"));
        };
        match r {
            Ok(v) => {
                vm.push(v);
                count += 1;
                if v.is_nil() {
                    break;
                }
            }
            Err(e) => return fail(vm, None, &e),
        }
    }
    Ok(count)
}

/// The arguments from `first` on.
fn args_from(vm: &Vm, first: usize) -> Vec<Value> {
    (first..=vm.nargs()).map(|i| vm.arg(i)).collect()
}

fn f_read(vm: &mut Vm) -> LuaResult<usize> {
    let f = check_file(vm, 1)?;
    let fmts = args_from(vm, 2);
    read_formats(vm, f, &fmts, 2)
}

/// Argument `i` as one of `opts` (a string or number naming it), or the
/// index of `def` when absent; LuaJIT's "invalid option 'x'" otherwise.
fn check_opt(vm: &mut Vm, i: usize, def: Option<usize>, opts: &[&[u8]]) -> LuaResult<usize> {
    if let Some(d) = def {
        if vm.arg(i).is_nil() {
            return Ok(d);
        }
    }
    let s = vm.check_bytes(i)?;
    match opts.iter().position(|o| *o == s) {
        Some(k) => Ok(k),
        None => {
            let msg = format!("invalid option '{}'", String::from_utf8_lossy(s));
            Err(vm.arg_error(i, &msg))
        }
    }
}

fn f_seek(vm: &mut Vm) -> LuaResult<usize> {
    let f = check_file(vm, 1)?;
    let opt = check_opt(vm, 2, Some(1), &[b"set", b"cur", b"end"])?;
    let off = match vm.arg(3) {
        v if v.is_nil() => 0,
        v => match v.as_num() {
            Some(n) => crate::state::num_to_int(n),
            None => return Err(vm.type_error(3, "number")),
        },
    };
    if let Err(e) = f.flush() {
        return fail(vm, None, &e);
    }
    let unread = (f.rbuf.len() - f.rpos) as i64;
    let r = match f.h.as_mut() {
        Some(Handle::File(file)) => match opt {
            0 if off < 0 => Err(std::io::Error::from_raw_os_error(libc::EINVAL)),
            0 => file.seek(SeekFrom::Start(off as u64)),
            // The OS position is ahead of ours by the unread buffer.
            1 => file.seek(SeekFrom::Current(off.saturating_sub(unread))),
            _ => file.seek(SeekFrom::End(off)),
        },
        _ => Err(std::io::Error::from_raw_os_error(libc::ESPIPE)),
    };
    match r {
        Ok(p) => {
            f.rbuf.clear();
            f.rpos = 0;
            f.eof = false;
            vm.push(Value::num(p as f64));
            Ok(1)
        }
        Err(e) => fail(vm, None, &e),
    }
}

fn f_setvbuf(vm: &mut Vm) -> LuaResult<usize> {
    let f = check_file(vm, 1)?;
    f.mode = match check_opt(vm, 2, None, &[b"full", b"line", b"no"])? {
        0 => 0,
        1 => 1,
        _ => 2,
    };
    vm.opt_int(3, 0)?;
    vm.push(Value::TRUE);
    Ok(1)
}

/// Upvalues of a lines iterator: the file, whether to close it at the end,
/// the number of formats, then the formats.
fn lines_iter(vm: &mut Vm, file: Value, close: bool, fmts: Vec<Value>) -> Value {
    let mut up = vec![file, Value::bool(close), Value::num(fmts.len() as f64)];
    up.extend(fmts);
    vm.new_native_closure(lines_aux, "lines", up)
}

fn lines_aux(vm: &mut Vm) -> LuaResult<usize> {
    let fv = vm.native_upvalue(1);
    let close = vm.native_upvalue(2).truthy();
    let nf = vm.native_upvalue(3).as_num().unwrap_or(0.0) as usize;
    let fmts: Vec<Value> = (0..nf).map(|k| vm.native_upvalue(4 + k)).collect();
    let f = match to_file(vm, fv) {
        Some(f) if f.h.is_some() => f,
        _ => return Err(vm.rt_error("attempt to use a closed file")),
    };
    let base = vm.th().top;
    let n = read_formats(vm, f, &fmts, 1)?;
    let first = vm.th().stack[base];
    if n == 3 && first.is_nil() && vm.th().stack[base + 2].is_num() {
        // (nil, msg, errno) from a read error.
        let msg = String::from_utf8_lossy(str_bytes(vm.th().stack[base + 1])).into_owned();
        return Err(vm.rt_error(&msg));
    }
    // As in LuaJIT, only a format-less iterator closes its file at the end
    // (with formats the nil results are returned as they are).
    if close && fmts.is_empty() && first.is_nil() {
        let _ = f.close();
        vm.th().top = base;
        return Ok(0);
    }
    Ok(n)
}

fn f_lines(vm: &mut Vm) -> LuaResult<usize> {
    check_file(vm, 1)?;
    let fv = vm.arg(1);
    let fmts = args_from(vm, 2);
    let it = lines_iter(vm, fv, false, fmts);
    vm.push(it);
    Ok(1)
}

/// Bytes of a C string argument (cut at the first NUL).
fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(z) => &b[..z],
        None => b,
    }
}

/// Open options and (readable, writable) for a C `fopen` mode, parsed as
/// glibc does: 'r', 'w' or 'a' first, then up to six more characters of
/// which '+' (read and write) and 'x' (exclusive create) matter and the
/// rest are ignored. None (EINVAL) for any other first character.
fn open_mode(mode: &[u8]) -> Option<(std::fs::OpenOptions, bool, bool)> {
    let mode = c_str(mode);
    let first = *mode.first()?;
    let mut plus = false;
    let mut excl = false;
    for &c in mode.iter().skip(1).take(6) {
        match c {
            b'+' => plus = true,
            b'x' => excl = true,
            _ => {}
        }
    }
    let mut o = std::fs::OpenOptions::new();
    let (r, w) = match first {
        b'r' => {
            o.read(true).write(plus);
            (true, plus)
        }
        b'w' => {
            o.read(plus).write(true).truncate(true);
            if excl {
                o.create_new(true);
            } else {
                o.create(true);
            }
            (plus, true)
        }
        b'a' => {
            o.read(plus).append(true);
            if excl {
                o.create_new(true);
            } else {
                o.create(true);
            }
            (plus, true)
        }
        _ => return None,
    };
    Some((o, r, w))
}

/// Open `name` with a C mode string.
fn open_file(name: &str, mode: &[u8]) -> std::io::Result<LFile> {
    let Some((opts, r, w)) = open_mode(mode) else {
        return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
    };
    let f = opts.open(name)?;
    let mut lf = LFile::new(Handle::File(f));
    lf.can_read = r;
    lf.can_write = w;
    Ok(lf)
}

/// The file name argument (a C string, as LuaJIT passes it to `fopen`).
fn name_arg(vm: &mut Vm, i: usize) -> LuaResult<String> {
    let b = vm.check_bytes(i)?;
    Ok(String::from_utf8_lossy(c_str(b)).into_owned())
}

/// The optional mode argument `i` (default "r").
fn mode_arg(vm: &mut Vm, i: usize) -> LuaResult<Vec<u8>> {
    Ok(match vm.opt_str(i)? {
        Some(m) => str_bytes(m).to_vec(),
        None => b"r".to_vec(),
    })
}

fn io_open(vm: &mut Vm) -> LuaResult<usize> {
    let name = name_arg(vm, 1)?;
    let mode = mode_arg(vm, 2)?;
    match open_file(&name, &mode) {
        Ok(lf) => {
            let v = new_file(vm, lf);
            vm.push(v);
            Ok(1)
        }
        Err(e) => fail(vm, Some(&name), &e),
    }
}

/// `strerror` text of an I/O error.
fn os_msg(e: &std::io::Error) -> String {
    let code = e.raw_os_error().unwrap_or(0);
    // SAFETY: strerror returns a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) }
        .to_string_lossy()
        .into_owned()
}

/// Open the file named by argument 1 for io.input/io.output/io.lines; a
/// failure is LuaJIT's "bad argument #1 (name: reason)".
fn open_arg_file(vm: &mut Vm, mode: &[u8]) -> LuaResult<Value> {
    let name = name_arg(vm, 1)?;
    match open_file(&name, mode) {
        Ok(lf) => Ok(new_file(vm, lf)),
        Err(e) => {
            let msg = format!("{}: {}", name, os_msg(&e));
            Err(vm.arg_error(1, &msg))
        }
    }
}

fn default_file(vm: &mut Vm, key: &str) -> LuaResult<(Value, &'static mut LFile)> {
    let regv = Value::from_table(vm.registry);
    let v = vm.get_field(regv, key);
    match to_file(vm, v) {
        Some(f) if f.h.is_some() => Ok((v, f)),
        _ => Err(vm.rt_error(&format!(
            "default {} file is closed",
            if key == "_IO_input" {
                "input"
            } else {
                "output"
            }
        ))),
    }
}

fn io_write(vm: &mut Vm) -> LuaResult<usize> {
    let (_, f) = default_file(vm, "_IO_output")?;
    match write_args(vm, f, 1)? {
        None => {
            vm.push(Value::TRUE);
            Ok(1)
        }
        Some(e) => fail(vm, None, &e),
    }
}

fn io_read(vm: &mut Vm) -> LuaResult<usize> {
    let (_, f) = default_file(vm, "_IO_input")?;
    let fmts = args_from(vm, 1);
    read_formats(vm, f, &fmts, 1)
}

fn io_close(vm: &mut Vm) -> LuaResult<usize> {
    if vm.nargs() == 0 {
        let (_, f) = default_file(vm, "_IO_output")?;
        return close_file(vm, f);
    }
    f_close(vm)
}

fn io_flush(vm: &mut Vm) -> LuaResult<usize> {
    let (_, f) = default_file(vm, "_IO_output")?;
    match f.flush() {
        Ok(()) => {
            vm.push(Value::TRUE);
            Ok(1)
        }
        Err(e) => fail(vm, None, &e),
    }
}

fn set_default(vm: &mut Vm, key: &str, mode: &[u8]) -> LuaResult<usize> {
    let regv = Value::from_table(vm.registry);
    let a = vm.arg(1);
    if a.as_udata_ptr().is_some() {
        check_file(vm, 1)?;
        vm.set_field(regv, key, a);
    } else if !a.is_nil() {
        let v = open_arg_file(vm, mode)?;
        vm.set_field(regv, key, v);
    }
    let v = vm.get_field(regv, key);
    vm.push(v);
    Ok(1)
}

fn io_input(vm: &mut Vm) -> LuaResult<usize> {
    set_default(vm, "_IO_input", b"r")
}

fn io_output(vm: &mut Vm) -> LuaResult<usize> {
    set_default(vm, "_IO_output", b"w")
}

fn io_lines(vm: &mut Vm) -> LuaResult<usize> {
    let fmts = args_from(vm, 2);
    if vm.arg(1).is_nil() {
        let regv = Value::from_table(vm.registry);
        let v = vm.get_field(regv, "_IO_input");
        let it = lines_iter(vm, v, false, fmts);
        vm.push(it);
        return Ok(1);
    }
    let v = open_arg_file(vm, b"r")?;
    // Keep the new file reachable while the closure is built.
    vm.push(v);
    let it = lines_iter(vm, v, true, fmts);
    vm.push(it);
    Ok(1)
}

fn io_popen(vm: &mut Vm) -> LuaResult<usize> {
    let cmd = name_arg(vm, 1)?;
    let mode = mode_arg(vm, 2)?;
    // glibc's popen: exactly one of 'r'/'w', optionally 'e'.
    let (mut rd, mut wr, mut ok) = (false, false, true);
    for &c in c_str(&mode) {
        match c {
            b'r' => rd = true,
            b'w' => wr = true,
            b'e' => {}
            _ => ok = false,
        }
    }
    if !ok || rd == wr {
        return fail(
            vm,
            Some(&cmd),
            &std::io::Error::from_raw_os_error(libc::EINVAL),
        );
    }
    let _ = std::io::stdout().flush();
    let mut c = std::process::Command::new("/bin/sh");
    c.arg("-c").arg(&cmd);
    if wr {
        c.stdin(std::process::Stdio::piped());
    } else {
        c.stdout(std::process::Stdio::piped());
    }
    match c.spawn() {
        Ok(child) => {
            let h = if wr {
                Handle::PipeWrite(child)
            } else {
                Handle::PipeRead(child)
            };
            let v = new_file(vm, LFile::new(h));
            vm.push(v);
            Ok(1)
        }
        Err(e) => fail(vm, Some(&cmd), &e),
    }
}

fn io_tmpfile(vm: &mut Vm) -> LuaResult<usize> {
    let mut path = std::env::temp_dir();
    path.push(format!(
        "lunatrace_{}_{}",
        std::process::id(),
        vm.heap.allocated
    ));
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => {
            let _ = std::fs::remove_file(&path);
            let v = new_file(vm, LFile::new(Handle::File(f)));
            vm.push(v);
            Ok(1)
        }
        Err(e) => fail(vm, None, &e),
    }
}

fn io_type(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.check_any(1)?;
    let r: &[u8] = match to_file(vm, v) {
        Some(f) if f.h.is_some() => b"file",
        Some(_) => b"closed file",
        None => {
            vm.push(Value::NIL);
            return Ok(1);
        }
    };
    let s = vm.intern(r);
    vm.push(s);
    Ok(1)
}

#[cfg(test)]
mod tests {
    use super::scan_float;

    #[test]
    fn strtod_of_scanned_text() {
        assert_eq!(scan_float(b"1e", false), Some(1.0));
        assert_eq!(scan_float(b"1e+", false), Some(1.0));
        assert_eq!(scan_float(b"1e+2", false), Some(100.0));
        assert_eq!(scan_float(b"5.", false), Some(5.0));
        assert_eq!(scan_float(b".5", false), Some(0.5));
        assert_eq!(scan_float(b"1.e3", false), Some(1000.0));
        assert_eq!(scan_float(b".", false), None);
        assert_eq!(scan_float(b"0x.", true), Some(0.0));
        assert_eq!(scan_float(b"0x1p", true), Some(1.0));
        assert_eq!(scan_float(b"0x1.8p1", true), Some(3.0));
        assert_eq!(scan_float(b"0x1e", true), Some(30.0));
    }
}
