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
        LFile {
            h: Some(h),
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

    fn read_number(&mut self) -> std::io::Result<Option<f64>> {
        while let Some(c) = self.peekc()? {
            if c.is_ascii_whitespace() {
                self.rpos += 1;
            } else {
                break;
            }
        }
        let mut s = Vec::new();
        while let Some(c) = self.peekc()? {
            if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'-') && s.len() < 200 {
                s.push(c);
                self.rpos += 1;
            } else {
                break;
            }
        }
        Ok(crate::number::str_to_num(&s))
    }

    fn close(&mut self) -> std::io::Result<Option<i32>> {
        let r = self.flush();
        let status = match self.h.take() {
            Some(Handle::PipeRead(mut c)) | Some(Handle::PipeWrite(mut c)) => {
                drop(c.stdin.take());
                c.wait().ok().and_then(|s| s.code())
            }
            _ => None,
        };
        r.map(|_| status)
    }
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
    let reg = vm.registry;
    let _ = crate::table::set(reg, vm.file_key, mt);
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
        Ok(Some(code)) => {
            vm.push(Value::bool(code == 0));
            let s = vm.intern(b"exit");
            vm.push(s);
            vm.push(Value::num(code as f64));
            Ok(3)
        }
        Ok(None) => {
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
            vm.set_nargs(1);
            Ok(1)
        }
        Err(e) => fail(vm, None, &e),
    }
}

fn write_args(vm: &mut Vm, f: &mut LFile, first: usize) -> LuaResult<Option<std::io::Error>> {
    for i in first..=vm.nargs() {
        let v = vm.arg(i);
        let r = if let Some(n) = v.as_num() {
            f.write(crate::number::fmt_num(n).as_bytes())
        } else if v.is_str() {
            f.write(str_bytes(v))
        } else {
            return Err(vm.type_error(i, "string"));
        };
        if let Err(e) = r {
            return Ok(Some(e));
        }
    }
    Ok(None)
}

fn f_write(vm: &mut Vm) -> LuaResult<usize> {
    let f = check_file(vm, 1)?;
    match write_args(vm, f, 2)? {
        None => {
            vm.set_nargs(1);
            Ok(1)
        }
        Some(e) => fail(vm, None, &e),
    }
}

/// Read with formats starting at argument `first`.
fn read_formats(vm: &mut Vm, f: &mut LFile, first: usize) -> LuaResult<usize> {
    let n = vm.nargs();
    if n < first {
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
    let mut count = 0;
    for i in first..=n {
        let a = vm.arg(i);
        let r: std::io::Result<Value> = if let Some(k) = a.as_num() {
            f.read_n(k.max(0.0) as usize).map(|o| match o {
                Some(b) => vm.intern(&b),
                None => Value::NIL,
            })
        } else {
            let fmt = vm.check_bytes(i)?;
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
                _ => return Err(vm.arg_error(i, "invalid format")),
            }
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

fn f_read(vm: &mut Vm) -> LuaResult<usize> {
    let f = check_file(vm, 1)?;
    read_formats(vm, f, 2)
}

fn f_seek(vm: &mut Vm) -> LuaResult<usize> {
    let f = check_file(vm, 1)?;
    let whence = match vm.opt_str(2)? {
        Some(s) => str_bytes(s).to_vec(),
        None => b"cur".to_vec(),
    };
    let off = vm.opt_int(3, 0)?;
    let pos = match whence.as_slice() {
        b"set" => SeekFrom::Start(off.max(0) as u64),
        b"cur" => SeekFrom::Current(off),
        b"end" => SeekFrom::End(off),
        _ => return Err(vm.arg_error(2, "invalid option")),
    };
    if let Err(e) = f.flush() {
        return fail(vm, None, &e);
    }
    let unread = (f.rbuf.len() - f.rpos) as i64;
    f.rbuf.clear();
    f.rpos = 0;
    f.eof = false;
    let r = match f.h.as_mut() {
        Some(Handle::File(file)) => {
            let pos = match pos {
                SeekFrom::Current(o) => SeekFrom::Current(o - unread),
                p => p,
            };
            file.seek(pos)
        }
        _ => Err(std::io::Error::from_raw_os_error(libc::ESPIPE)),
    };
    match r {
        Ok(p) => {
            vm.push(Value::num(p as f64));
            Ok(1)
        }
        Err(e) => fail(vm, None, &e),
    }
}

fn f_setvbuf(vm: &mut Vm) -> LuaResult<usize> {
    let f = check_file(vm, 1)?;
    let m = vm.check_bytes(2)?;
    f.mode = match m {
        b"no" => 2,
        b"line" => 1,
        b"full" => 0,
        _ => return Err(vm.arg_error(2, "invalid option")),
    };
    vm.push(Value::TRUE);
    Ok(1)
}

fn lines_aux(vm: &mut Vm) -> LuaResult<usize> {
    let fv = vm.native_upvalue(1);
    let close = vm.native_upvalue(2).truthy();
    let Some(f) = to_file(vm, fv) else {
        return Err(vm.rt_error("file is already closed"));
    };
    if f.h.is_none() {
        return Err(vm.rt_error("file is already closed"));
    }
    match f.read_line(false) {
        Ok(Some(l)) => {
            let s = vm.intern(&l);
            vm.push(s);
            Ok(1)
        }
        Ok(None) => {
            if close {
                let _ = f.close();
            }
            Ok(0)
        }
        Err(e) => Err(vm.rt_error(&e.to_string())),
    }
}

fn f_lines(vm: &mut Vm) -> LuaResult<usize> {
    check_file(vm, 1)?;
    let fv = vm.arg(1);
    let it = vm.new_native_closure(lines_aux, "lines", vec![fv, Value::FALSE]);
    vm.push(it);
    Ok(1)
}

fn open_mode(mode: &[u8]) -> Option<std::fs::OpenOptions> {
    let m: Vec<u8> = mode.iter().copied().filter(|&c| c != b'b').collect();
    let mut o = std::fs::OpenOptions::new();
    match m.as_slice() {
        b"r" => o.read(true),
        b"w" => o.write(true).create(true).truncate(true),
        b"a" => o.append(true).create(true),
        b"r+" => o.read(true).write(true),
        b"w+" => o.read(true).write(true).create(true).truncate(true),
        b"a+" => o.read(true).append(true).create(true),
        _ => return None,
    };
    Some(o)
}

fn io_open(vm: &mut Vm) -> LuaResult<usize> {
    let name = String::from_utf8_lossy(vm.check_bytes(1)?).into_owned();
    let mode = match vm.opt_str(2)? {
        Some(m) => str_bytes(m).to_vec(),
        None => b"r".to_vec(),
    };
    let Some(opts) = open_mode(&mode) else {
        return Err(vm.arg_error(2, "invalid mode"));
    };
    match opts.open(&name) {
        Ok(f) => {
            let v = new_file(vm, LFile::new(Handle::File(f)));
            vm.push(v);
            Ok(1)
        }
        Err(e) => fail(vm, Some(&name), &e),
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
    let (fv, f) = default_file(vm, "_IO_output")?;
    match write_args(vm, f, 1)? {
        None => {
            vm.push(fv);
            Ok(1)
        }
        Some(e) => fail(vm, None, &e),
    }
}

fn io_read(vm: &mut Vm) -> LuaResult<usize> {
    let (_, f) = default_file(vm, "_IO_input")?;
    read_formats(vm, f, 1)
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
    if a.is_str() || a.is_num() {
        let name = String::from_utf8_lossy(vm.check_bytes(1)?).into_owned();
        let opts = open_mode(mode).unwrap();
        match opts.open(&name) {
            Ok(f) => {
                let v = new_file(vm, LFile::new(Handle::File(f)));
                vm.set_field(regv, key, v);
            }
            Err(e) => {
                let code = e.raw_os_error().unwrap_or(0);
                // SAFETY: strerror returns a static NUL-terminated string.
                let msg = unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) }
                    .to_string_lossy()
                    .into_owned();
                return Err(vm.rt_error(&format!("{}: {}", name, msg)));
            }
        }
    } else if !a.is_nil() {
        check_file(vm, 1)?;
        vm.set_field(regv, key, a);
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
    if vm.arg(1).is_nil() {
        let regv = Value::from_table(vm.registry);
        let v = vm.get_field(regv, "_IO_input");
        let it = vm.new_native_closure(lines_aux, "lines", vec![v, Value::FALSE]);
        vm.push(it);
        return Ok(1);
    }
    let name = String::from_utf8_lossy(vm.check_bytes(1)?).into_owned();
    match File::open(&name) {
        Ok(f) => {
            let v = new_file(vm, LFile::new(Handle::File(f)));
            let it = vm.new_native_closure(lines_aux, "lines", vec![v, Value::TRUE]);
            vm.push(it);
            Ok(1)
        }
        Err(e) => {
            let code = e.raw_os_error().unwrap_or(0);
            // SAFETY: strerror returns a static NUL-terminated string.
            let msg = unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) }
                .to_string_lossy()
                .into_owned();
            Err(vm.rt_error(&format!("{}: {}", name, msg)))
        }
    }
}

fn io_popen(vm: &mut Vm) -> LuaResult<usize> {
    let cmd = String::from_utf8_lossy(vm.check_bytes(1)?).into_owned();
    let mode = match vm.opt_str(2)? {
        Some(m) => str_bytes(m).to_vec(),
        None => b"r".to_vec(),
    };
    let _ = std::io::stdout().flush();
    let mut c = std::process::Command::new("/bin/sh");
    c.arg("-c").arg(&cmd);
    let write = mode.first() == Some(&b'w');
    if write {
        c.stdin(std::process::Stdio::piped());
    } else {
        c.stdout(std::process::Stdio::piped());
    }
    match c.spawn() {
        Ok(child) => {
            let h = if write {
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
