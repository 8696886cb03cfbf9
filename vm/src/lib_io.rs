//! The `io` library over C stdio (`cstdio.rs`): files are full userdata
//! with LuaJIT's `IOFileUD` payload (the `FILE*`, then its type) and the
//! registry's "FILE*" metatable, so C modules can take them and C code
//! shares their buffers. Methods read/write/lines/seek/setvbuf/flush/
//! close, `__gc` closing them, and the `io.*` functions over the default
//! files.

use crate::cstdio::{self, CFile, Step, KIND_FILE, KIND_PIPE, KIND_STD};
use crate::error::LuaResult;
use crate::object::{str_bytes, Udata};
use crate::state::Vm;
use crate::value::Value;
use std::ptr::NonNull;

// ---- handles ----

/// The handle behind a value, if it is a file handle (open or closed).
fn to_handle(vm: &Vm, v: Value) -> Option<NonNull<Udata>> {
    let u = v.as_udata_ptr()?;
    // SAFETY: live userdata; its metatable tells whether it is a file.
    let meta = unsafe { (*u.as_ptr()).meta };
    let mt = crate::table::get_str(vm.registry, vm.file_key);
    if mt.as_table_ptr().map(|p| p.as_ptr()) != Some(meta) || !cstdio::is_handle_sized(u) {
        return None;
    }
    Some(u)
}

/// The open stream of a file handle value.
fn to_file(vm: &Vm, v: Value) -> Option<(NonNull<Udata>, CFile)> {
    let u = to_handle(vm, v)?;
    cstdio::handle_file(u).map(|f| (u, f))
}

fn closed_error(vm: &mut Vm) -> crate::error::LuaError {
    vm.rt_error("attempt to use a closed file")
}

/// The stream of handle `u` now (it may have been closed by Lua code run
/// since it was last looked at).
fn cur(vm: &mut Vm, u: NonNull<Udata>) -> LuaResult<CFile> {
    match cstdio::handle_file(u) {
        Some(f) => Ok(f),
        None => Err(closed_error(vm)),
    }
}

fn new_file(vm: &mut Vm, f: CFile, kind: u32) -> Value {
    let env = vm.globals.as_ptr();
    let u = vm.heap.new_udata(cstdio::UD_SIZE, env);
    cstdio::init_handle(u, f, kind);
    let mt = crate::table::get_str(vm.registry, vm.file_key);
    // SAFETY: fresh userdata; setting its metatable.
    unsafe {
        (*u.as_ptr()).meta = mt
            .as_table_ptr()
            .map_or(std::ptr::null_mut(), |p| p.as_ptr());
    }
    Value::from_udata(u)
}

fn check_file(vm: &mut Vm, i: usize) -> LuaResult<(NonNull<Udata>, CFile)> {
    let v = vm.arg(i);
    match to_handle(vm, v) {
        Some(u) => Ok((u, cur(vm, u)?)),
        None => Err(vm.type_error(i, "FILE*")),
    }
}

/// (nil, "msg", errno) results of a failed operation.
pub(crate) fn fail(vm: &mut Vm, what: Option<&str>, e: &std::io::Error) -> LuaResult<usize> {
    fail_errno(vm, what, e.raw_os_error().unwrap_or(0))
}

/// (nil, "[what: ]strerror(code)", code).
fn fail_errno(vm: &mut Vm, what: Option<&str>, code: i32) -> LuaResult<usize> {
    let msg = cstdio::strerror(code);
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

/// `true`, or the failure of `r`.
fn result(vm: &mut Vm, r: Result<(), i32>) -> LuaResult<usize> {
    match r {
        Ok(()) => {
            vm.push(Value::TRUE);
            Ok(1)
        }
        Err(e) => fail_errno(vm, None, e),
    }
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
    for (name, which) in [("stdin", 0), ("stdout", 1), ("stderr", 2)] {
        let f = new_file(vm, cstdio::std_stream(which), KIND_STD);
        vm.set_field(io, name, f);
    }
    let stdin = vm.get_field(io, "stdin");
    let stdout = vm.get_field(io, "stdout");
    let regv = Value::from_table(vm.registry);
    vm.set_field(regv, "_IO_input", stdin);
    vm.set_field(regv, "_IO_output", stdout);
}

/// Flush every C output stream (at exit, `os.exit`).
pub fn flush_all(_vm: &mut Vm) {
    cstdio::flush_all();
}

/// Write `b` to C's stdout (`print`).
pub fn write_stdout(b: &[u8]) {
    let _ = cstdio::std_stream(1).write(b);
}

fn f_gc(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.arg(1);
    if let Some(u) = to_handle(vm, v) {
        if cstdio::handle_kind(u) != KIND_STD {
            let _ = cstdio::close_handle(u);
        }
    }
    Ok(0)
}

fn f_tostring(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.arg(1);
    let s = match to_file(vm, v) {
        Some((_, f)) => format!("file (0x{:08x})", f.addr()),
        _ => "file (closed)".to_string(),
    };
    let sv = vm.intern(s.as_bytes());
    vm.push(sv);
    Ok(1)
}

/// Close handle `u` as `file:close()` does. Like LuaJIT 2.1 (without 5.2
/// compatibility), closing a pipe waits for the command but its exit
/// status only fails the call when `pclose` itself fails.
fn close_file(vm: &mut Vm, u: NonNull<Udata>) -> LuaResult<usize> {
    if cstdio::handle_kind(u) == KIND_STD {
        vm.push(Value::NIL);
        let s = vm.intern(b"cannot close standard file");
        vm.push(s);
        return Ok(2);
    }
    result(vm, cstdio::close_handle(u).map(|_| ()))
}

fn f_close(vm: &mut Vm) -> LuaResult<usize> {
    let (u, _) = check_file(vm, 1)?;
    close_file(vm, u)
}

fn f_flush(vm: &mut Vm) -> LuaResult<usize> {
    let (_, f) = check_file(vm, 1)?;
    result(vm, f.flush())
}

/// Write the arguments from `first` on; every argument is type-checked,
/// nothing is written after a failed write (as LuaJIT). The first error.
fn write_args(vm: &mut Vm, f: CFile, first: usize) -> LuaResult<Result<(), i32>> {
    let mut res = Ok(());
    for i in first..=vm.nargs() {
        let v = vm.arg(i);
        let r = if let Some(n) = v.as_num() {
            res.and_then(|_| f.write(crate::number::fmt_num(n).as_bytes()))
        } else if v.is_str() {
            res.and_then(|_| f.write(str_bytes(v)))
        } else if let Some(b) = crate::lib_buffer::bytes_of(vm, v) {
            // String buffers are written as their content (as LuaJIT).
            res.and_then(|_| f.write(b))
        } else {
            return Err(vm.type_error(i, "string"));
        };
        res = res.and(r);
    }
    Ok(res)
}

/// `file:write(...)`: true on success, as Debian's LuaJIT 2.1 (built
/// without the Lua 5.2 compatibility that returns the file).
fn f_write(vm: &mut Vm) -> LuaResult<usize> {
    let (_, f) = check_file(vm, 1)?;
    let r = write_args(vm, f, 2)?;
    result(vm, r)
}

// ---- reading ----

/// Run a buffer-filling read of handle `u` into `out`, allowed to grow
/// `out` as far as the heap's limit permits (a collection is tried when
/// it is reached; "not enough memory" when that does not help or the
/// buffer cannot grow).
fn fill(
    vm: &mut Vm,
    u: NonNull<Udata>,
    out: &mut Vec<u8>,
    op: &dyn Fn(CFile, &mut Vec<u8>, usize) -> Step,
) -> LuaResult<Step> {
    loop {
        let f = cur(vm, u)?;
        let room = vm.heap.limit.saturating_sub(vm.heap.allocated);
        let max = room.max(1 << 20);
        match op(f, out, max) {
            Step::Limit => {
                // Room for the string half as long again (the buffer is
                // outside the heap). May run finalisers: the stream is
                // looked up again.
                let more = out
                    .len()
                    .saturating_add(out.len() / 2)
                    .saturating_add(1 << 16);
                vm.check_alloc(more)?;
            }
            Step::NoMem => return Err(vm.memory_error()),
            s => return Ok(s),
        }
    }
}

/// A line (None at end of file), or the errno of a read error.
fn read_line(
    vm: &mut Vm,
    u: NonNull<Udata>,
    keep_nl: bool,
) -> LuaResult<Result<Option<Value>, i32>> {
    let mut out = Vec::new();
    let r = match fill(vm, u, &mut out, &|f, o, max| f.read_line(o, keep_nl, max))? {
        Step::Done => Some(vm.intern(&out)),
        Step::Error(e) => return Ok(Err(e)),
        _ if out.is_empty() => None,
        _ => Some(vm.intern(&out)),
    };
    Ok(Ok(r))
}

/// Up to `n` bytes (`usize::MAX`: the rest of the file); None when none
/// were left and `n` > 0.
fn read_count(vm: &mut Vm, u: NonNull<Udata>, n: usize) -> LuaResult<Result<Option<Value>, i32>> {
    let mut out = Vec::new();
    let r = match fill(vm, u, &mut out, &|f, o, max| {
        let want = if n == usize::MAX { n } else { n - o.len() };
        f.read_bytes(o, want, max)
    })? {
        Step::Error(e) => return Ok(Err(e)),
        _ if out.is_empty() && n != usize::MAX => None,
        _ => Some(vm.intern(&out)),
    };
    Ok(Ok(r))
}

/// A stream read byte by byte with one byte of look-ahead (`getc` /
/// `ungetc`), for `*n`.
struct Scan(CFile);

impl Scan {
    fn peek(&self) -> Option<u8> {
        let c = self.0.getc()?;
        self.0.ungetc(c);
        Some(c)
    }
    fn bump(&self) {
        self.0.getc();
    }
    fn getc(&self) -> Option<u8> {
        self.0.getc()
    }

    /// `*n`: what glibc's `fscanf("%lf")` reads. Whitespace is skipped,
    /// then the longest prefix of a decimal or hex float (or of `inf`,
    /// `infinity`, `nan`) is consumed. The first byte that cannot continue
    /// a number is left unread, but a mismatch inside the `inf`/`nan`
    /// words is consumed, and a consumed but invalid prefix ("-", ".",
    /// "0x") stays consumed and fails.
    fn number(&self) -> Option<f64> {
        while let Some(c) = self.peek() {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
                self.bump();
            } else {
                break;
            }
        }
        let mut buf = Vec::new();
        let mut c = self.peek()?;
        if c == b'-' || c == b'+' {
            buf.push(c);
            self.bump();
            c = self.peek()?;
        }
        let neg = buf.first() == Some(&b'-');
        let lc = c.to_ascii_lowercase();
        if lc == b'n' || lc == b'i' {
            let word: &[u8] = if lc == b'n' { b"nan" } else { b"inf" };
            if !self.expect_word(word) {
                return None;
            }
            if lc == b'i'
                && self.peek().map(|x| x.to_ascii_lowercase()) == Some(b'i')
                && !self.expect_word(b"inity")
            {
                return None;
            }
            let v = if lc == b'n' { f64::NAN } else { f64::INFINITY };
            return Some(if neg { -v } else { v });
        }
        let sign_len = buf.len();
        let mut hex = false;
        let mut got_digit = false;
        if c == b'0' {
            buf.push(c);
            self.bump();
            match self.peek() {
                Some(x) if x == b'x' || x == b'X' => {
                    buf.push(x);
                    self.bump();
                    hex = true;
                }
                _ => got_digit = true,
            }
        }
        let exp_char = if hex { b'p' } else { b'e' };
        let (mut got_e, mut got_dot) = (false, false);
        while let Some(x) = self.peek() {
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
            self.bump();
        }
        let body = &buf[sign_len..];
        if body.is_empty() || (hex && body.len() == 2) {
            return None;
        }
        scan_float(body, hex).map(|v| if neg { -v } else { v })
    }

    /// Consume bytes matching `word` case-insensitively; a mismatching byte
    /// is consumed too (as glibc's scanf does).
    fn expect_word(&self, word: &[u8]) -> bool {
        for &w in word {
            match self.getc() {
                Some(x) if x.to_ascii_lowercase() == w => {}
                _ => return false,
            }
        }
        true
    }
}

/// Read with the formats `fmts` from handle `u`; the format at index j is
/// argument `argbase + j` in error messages. Reading stops at the first
/// failure, whose result is nil; a read error gives (nil, msg, errno).
fn read_formats(
    vm: &mut Vm,
    u: NonNull<Udata>,
    fmts: &[Value],
    argbase: usize,
) -> LuaResult<usize> {
    cur(vm, u)?.clearerr();
    if fmts.is_empty() {
        return match read_line(vm, u, false)? {
            Ok(v) => {
                vm.push(v.unwrap_or(Value::NIL));
                Ok(1)
            }
            Err(e) => fail_errno(vm, None, e),
        };
    }
    vm.ensure_stack(fmts.len())?;
    let mut count = 0;
    for (j, &a) in fmts.iter().enumerate() {
        let r: Result<Option<Value>, i32> = if let Some(k) = a.as_num() {
            // A negative count wraps to a huge size in LuaJIT.
            let k = crate::state::num_to_int(k);
            if !(0..=0x7fff_ff00).contains(&k) {
                return Err(vm.plain_error("not enough memory"));
            }
            if k == 0 {
                // A zero count only tests for end of file.
                let f = cur(vm, u)?;
                Ok(Scan(f).peek().map(|_| vm.intern(b"")))
            } else {
                read_count(vm, u, k as usize)?
            }
        } else if a.is_str() {
            let fmt = str_bytes(a);
            let fmt = fmt.strip_prefix(b"*").unwrap_or(fmt);
            match fmt.first() {
                Some(b'n') => {
                    let f = cur(vm, u)?;
                    Ok(Scan(f).number().map(Value::num))
                }
                Some(b'a') => read_count(vm, u, usize::MAX)?,
                Some(b'l') => read_line(vm, u, false)?,
                Some(b'L') => read_line(vm, u, true)?,
                _ => return Err(vm.arg_error(argbase + j, "invalid format")),
            }
        } else {
            return Err(vm.arg_error(argbase + j, "invalid option"));
        };
        let r = match r {
            Ok(v) => match cur(vm, u)? {
                f if f.has_error() => Err(libc::EIO),
                _ => Ok(v),
            },
            Err(e) => Err(e),
        };
        match r {
            Ok(v) => {
                let v = v.unwrap_or(Value::NIL);
                vm.push(v);
                count += 1;
                if v.is_nil() {
                    break;
                }
            }
            Err(e) => return fail_errno(vm, None, e),
        }
    }
    Ok(count)
}

/// The arguments from `first` on.
fn args_from(vm: &Vm, first: usize) -> Vec<Value> {
    (first..=vm.nargs()).map(|i| vm.arg(i)).collect()
}

fn f_read(vm: &mut Vm) -> LuaResult<usize> {
    let (u, _) = check_file(vm, 1)?;
    let fmts = args_from(vm, 2);
    read_formats(vm, u, &fmts, 2)
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
    let (_, f) = check_file(vm, 1)?;
    let opt = check_opt(vm, 2, Some(1), &[b"set", b"cur", b"end"])?;
    let off = match vm.arg(3) {
        v if v.is_nil() => 0,
        v => match v.as_num() {
            Some(n) => crate::state::num_to_int(n),
            None => return Err(vm.type_error(3, "number")),
        },
    };
    let whence = [libc::SEEK_SET, libc::SEEK_CUR, libc::SEEK_END][opt];
    match f.seek(off, whence) {
        Ok(p) => {
            vm.push(Value::num(p as f64));
            Ok(1)
        }
        Err(e) => fail_errno(vm, None, e),
    }
}

fn f_setvbuf(vm: &mut Vm) -> LuaResult<usize> {
    let (_, f) = check_file(vm, 1)?;
    let mode = check_opt(vm, 2, None, &[b"full", b"line", b"no"])?;
    let size = vm.opt_int(3, 8192)?;
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    result(vm, f.setvbuf(cstdio::VBUF_MODES[mode], size))
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
    let Some((u, _)) = to_file(vm, fv) else {
        return Err(closed_error(vm));
    };
    let base = vm.th().top;
    let n = read_formats(vm, u, &fmts, 1)?;
    let first = vm.th().stack[base];
    if n == 3 && first.is_nil() && vm.th().stack[base + 2].is_num() {
        // (nil, msg, errno) from a read error.
        let msg = String::from_utf8_lossy(str_bytes(vm.th().stack[base + 1])).into_owned();
        return Err(vm.rt_error(&msg));
    }
    // As in LuaJIT, only a format-less iterator closes its file at the end
    // (with formats the nil results are returned as they are).
    if close && fmts.is_empty() && first.is_nil() {
        let _ = cstdio::close_handle(u);
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

/// The file name argument (a C string: `cstdio` cuts it at a NUL).
fn name_arg(vm: &mut Vm, i: usize) -> LuaResult<Vec<u8>> {
    Ok(vm.check_bytes(i)?.to_vec())
}

/// Text of a name for messages (up to a NUL, as C sees it).
fn shown(name: &[u8]) -> String {
    let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
    String::from_utf8_lossy(&name[..end]).into_owned()
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
    match cstdio::fopen(&name, &mode) {
        Ok(f) => {
            let v = new_file(vm, f, KIND_FILE);
            vm.push(v);
            Ok(1)
        }
        Err(e) => fail_errno(vm, Some(&shown(&name)), e),
    }
}

/// Open the file named by argument 1 for io.input/io.output/io.lines; a
/// failure is LuaJIT's "bad argument #1 (name: reason)".
fn open_arg_file(vm: &mut Vm, mode: &[u8]) -> LuaResult<Value> {
    let name = name_arg(vm, 1)?;
    match cstdio::fopen(&name, mode) {
        Ok(f) => Ok(new_file(vm, f, KIND_FILE)),
        Err(e) => {
            let msg = format!("{}: {}", shown(&name), cstdio::strerror(e));
            Err(vm.arg_error(1, &msg))
        }
    }
}

/// The default input or output file (registry `key`) and its stream;
/// LuaJIT's "standard file is closed" when it was closed.
fn default_file(vm: &mut Vm, key: &str) -> LuaResult<(NonNull<Udata>, CFile)> {
    let regv = Value::from_table(vm.registry);
    let v = vm.get_field(regv, key);
    match to_file(vm, v) {
        Some(uf) => Ok(uf),
        _ => Err(vm.rt_error("standard file is closed")),
    }
}

fn io_write(vm: &mut Vm) -> LuaResult<usize> {
    let (_, f) = default_file(vm, "_IO_output")?;
    let r = write_args(vm, f, 1)?;
    result(vm, r)
}

fn io_read(vm: &mut Vm) -> LuaResult<usize> {
    let (u, _) = default_file(vm, "_IO_input")?;
    let fmts = args_from(vm, 1);
    read_formats(vm, u, &fmts, 1)
}

fn io_close(vm: &mut Vm) -> LuaResult<usize> {
    if vm.nargs() == 0 {
        // A closed default output is "attempt to use a closed file" here.
        let regv = Value::from_table(vm.registry);
        let v = vm.get_field(regv, "_IO_output");
        let Some((u, _)) = to_file(vm, v) else {
            return Err(closed_error(vm));
        };
        return close_file(vm, u);
    }
    f_close(vm)
}

fn io_flush(vm: &mut Vm) -> LuaResult<usize> {
    let (_, f) = default_file(vm, "_IO_output")?;
    result(vm, f.flush())
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
    match cstdio::open_pipe(&cmd, &mode) {
        Ok(f) => {
            let v = new_file(vm, f, KIND_PIPE);
            vm.push(v);
            Ok(1)
        }
        Err(e) => fail_errno(vm, Some(&shown(&cmd)), e),
    }
}

fn io_tmpfile(vm: &mut Vm) -> LuaResult<usize> {
    match cstdio::tmpfile() {
        Ok(f) => {
            let v = new_file(vm, f, KIND_FILE);
            vm.push(v);
            Ok(1)
        }
        Err(e) => fail_errno(vm, None, e),
    }
}

fn io_type(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.check_any(1)?;
    let r: &[u8] = match to_handle(vm, v) {
        Some(u) if cstdio::handle_file(u).is_some() => b"file",
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
