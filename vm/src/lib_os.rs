//! The `os` library: clock, time, date, getenv, exit, remove, rename,
//! tmpname, execute, difftime, setlocale — thin wrappers over libc.

use crate::error::LuaResult;
use crate::state::Vm;
use crate::value::Value;
use std::ffi::{CStr, CString};

/// Register the library.
pub fn open(vm: &mut Vm) {
    vm.register_lib(
        "os",
        &[
            ("clock", os_clock),
            ("time", os_time),
            ("date", os_date),
            ("difftime", os_difftime),
            ("getenv", os_getenv),
            ("exit", os_exit),
            ("remove", os_remove),
            ("rename", os_rename),
            ("tmpname", os_tmpname),
            ("execute", os_execute),
            ("setlocale", os_setlocale),
        ],
    );
}

fn cstring(vm: &mut Vm, i: usize) -> LuaResult<CString> {
    let b = vm.check_bytes(i)?;
    // Interior NULs cut the string, as C would.
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    Ok(CString::new(&b[..end]).expect("no interior NUL"))
}

fn push_str(vm: &mut Vm, s: &[u8]) {
    let v = vm.intern(s);
    vm.push(v);
}

/// `true`, or (nil, "name: strerror", errno) from the last OS error.
fn result(vm: &mut Vm, ok: bool, name: Option<&str>) -> LuaResult<usize> {
    if ok {
        vm.push(Value::TRUE);
        Ok(1)
    } else {
        let e = std::io::Error::last_os_error();
        crate::lib_io::fail(vm, name, &e)
    }
}

fn os_clock(vm: &mut Vm) -> LuaResult<usize> {
    // SAFETY: an all-zero timespec is valid; clock_gettime fills it.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: valid clock id and out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    vm.push(Value::num(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9));
    Ok(1)
}

fn os_difftime(vm: &mut Vm) -> LuaResult<usize> {
    let t2 = vm.check_num(1)?;
    let t1 = vm.opt_num(2, 0.0)?;
    vm.push(Value::num(t2 - t1));
    Ok(1)
}

fn os_getenv(vm: &mut Vm) -> LuaResult<usize> {
    let name = vm.check_bytes(1)?.to_vec();
    let name = std::ffi::OsStr::new(std::str::from_utf8(&name).unwrap_or("\0"));
    match std::env::var_os(name) {
        Some(v) => {
            use std::os::unix::ffi::OsStrExt;
            push_str(vm, v.as_bytes())
        }
        None => vm.push(Value::NIL),
    }
    Ok(1)
}

fn os_exit(vm: &mut Vm) -> LuaResult<usize> {
    let a = vm.arg(1);
    let code = if a.is_bool() {
        if a.truthy() {
            0
        } else {
            1
        }
    } else {
        vm.opt_int(1, 0)? as i32
    };
    // `os.exit(code, true)` closes the state first (pending finalisers
    // run), as luajit's `lua_close`.
    if vm.arg(2).truthy() {
        vm.close_finalizers();
    }
    crate::lib_io::flush_all(vm);
    if let Some(h) = vm.exit_hook {
        h(vm);
    }
    std::process::exit(code)
}

fn os_remove(vm: &mut Vm) -> LuaResult<usize> {
    let name = cstring(vm, 1)?;
    // SAFETY: valid NUL-terminated path.
    let ok = unsafe { libc::remove(name.as_ptr()) } == 0;
    let n = name.to_string_lossy().into_owned();
    result(vm, ok, Some(&n))
}

fn os_rename(vm: &mut Vm) -> LuaResult<usize> {
    let from = cstring(vm, 1)?;
    let to = cstring(vm, 2)?;
    // SAFETY: valid NUL-terminated paths.
    let ok = unsafe { libc::rename(from.as_ptr(), to.as_ptr()) } == 0;
    let n = from.to_string_lossy().into_owned();
    result(vm, ok, Some(&n))
}

fn os_tmpname(vm: &mut Vm) -> LuaResult<usize> {
    let mut buf = *b"/tmp/lua_XXXXXX\0";
    // SAFETY: buf is a writable NUL-terminated template.
    let fd = unsafe { libc::mkstemp(buf.as_mut_ptr() as *mut libc::c_char) };
    if fd < 0 {
        return Err(vm.rt_error("unable to generate a unique filename"));
    }
    // SAFETY: fd was just opened by mkstemp.
    unsafe { libc::close(fd) };
    push_str(vm, &buf[..buf.len() - 1]);
    Ok(1)
}

fn os_execute(vm: &mut Vm) -> LuaResult<usize> {
    // Like LuaJIT, buffered output is not flushed first (C's `system`).
    let st = if vm.arg(1).is_nil() {
        // SAFETY: system(NULL) only queries for a shell.
        unsafe { libc::system(std::ptr::null()) }
    } else {
        let cmd = cstring(vm, 1)?;
        // SAFETY: valid NUL-terminated command.
        unsafe { libc::system(cmd.as_ptr()) }
    };
    vm.push(Value::num(st as f64));
    Ok(1)
}

fn os_setlocale(vm: &mut Vm) -> LuaResult<usize> {
    const CATS: [(&str, libc::c_int); 6] = [
        ("all", libc::LC_ALL),
        ("collate", libc::LC_COLLATE),
        ("ctype", libc::LC_CTYPE),
        ("monetary", libc::LC_MONETARY),
        ("numeric", libc::LC_NUMERIC),
        ("time", libc::LC_TIME),
    ];
    let loc = if vm.arg(1).is_nil() {
        None
    } else {
        Some(cstring(vm, 1)?)
    };
    let cat = match vm.opt_str(2)? {
        None => libc::LC_ALL,
        Some(s) => {
            let s = crate::object::str_bytes(s);
            match CATS.iter().find(|(n, _)| n.as_bytes() == s) {
                Some(&(_, c)) => c,
                None => {
                    let msg = format!("invalid option '{}'", String::from_utf8_lossy(s));
                    return Err(vm.arg_error(2, &msg));
                }
            }
        }
    };
    let p = loc.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    // SAFETY: category is valid; p is NULL or a valid C string.
    let r = unsafe { libc::setlocale(cat, p) };
    if r.is_null() {
        vm.push(Value::NIL);
    } else {
        // SAFETY: setlocale returns a NUL-terminated string.
        let s = unsafe { CStr::from_ptr(r) }.to_bytes().to_vec();
        push_str(vm, &s);
    }
    Ok(1)
}

fn get_field_int(vm: &mut Vm, t: Value, key: &str, def: Option<i64>) -> LuaResult<i64> {
    let v = vm.get_field(t, key);
    if let Some(n) = v.as_num() {
        return Ok(n as i64);
    }
    if let Some(n) = v
        .is_str()
        .then(|| crate::number::str_to_num(crate::object::str_bytes(v)))
        .flatten()
    {
        return Ok(n as i64);
    }
    match def {
        Some(d) => Ok(d),
        None => Err(vm.rt_error(&format!("field '{}' missing in date table", key))),
    }
}

fn os_time(vm: &mut Vm) -> LuaResult<usize> {
    let t = if vm.arg(1).is_nil() {
        // SAFETY: time(NULL) has no preconditions.
        unsafe { libc::time(std::ptr::null_mut()) }
    } else {
        let tv = Value::from_table(vm.check_table(1)?);
        // SAFETY: an all-zero tm is a valid value.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        tm.tm_sec = get_field_int(vm, tv, "sec", Some(0))? as i32;
        tm.tm_min = get_field_int(vm, tv, "min", Some(0))? as i32;
        tm.tm_hour = get_field_int(vm, tv, "hour", Some(12))? as i32;
        tm.tm_mday = get_field_int(vm, tv, "day", None)? as i32;
        tm.tm_mon = get_field_int(vm, tv, "month", None)? as i32 - 1;
        tm.tm_year = (get_field_int(vm, tv, "year", None)? - 1900) as i32;
        let dst = vm.get_field(tv, "isdst");
        tm.tm_isdst = if dst.is_nil() {
            -1
        } else {
            dst.truthy() as i32
        };
        // SAFETY: tm is a valid, initialised struct.
        unsafe { libc::mktime(&mut tm) }
    };
    if t == -1 {
        vm.push(Value::NIL);
    } else {
        vm.push(Value::num(t as f64));
    }
    Ok(1)
}

fn os_date(vm: &mut Vm) -> LuaResult<usize> {
    let fmt = match vm.opt_str(1)? {
        Some(s) => crate::object::str_bytes(s).to_vec(),
        None => b"%c".to_vec(),
    };
    let t: libc::time_t = if vm.arg(2).is_nil() {
        // SAFETY: time(NULL) has no preconditions.
        unsafe { libc::time(std::ptr::null_mut()) }
    } else {
        vm.check_num(2)? as libc::time_t
    };
    let (utc, fmt) = match fmt.strip_prefix(b"!") {
        Some(f) => (true, f.to_vec()),
        None => (false, fmt),
    };
    // SAFETY: an all-zero tm is a valid value; the *_r functions fill it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe {
        if utc {
            !libc::gmtime_r(&t, &mut tm).is_null()
        } else {
            !libc::localtime_r(&t, &mut tm).is_null()
        }
    };
    if !ok {
        vm.push(Value::NIL);
        return Ok(1);
    }
    if fmt.starts_with(b"*t") {
        let tv = vm.new_table_value(0, 9);
        let fields = [
            ("sec", tm.tm_sec),
            ("min", tm.tm_min),
            ("hour", tm.tm_hour),
            ("day", tm.tm_mday),
            ("month", tm.tm_mon + 1),
            ("year", tm.tm_year + 1900),
            ("wday", tm.tm_wday + 1),
            ("yday", tm.tm_yday + 1),
        ];
        for (k, v) in fields {
            vm.set_field(tv, k, Value::num(v as f64));
        }
        if tm.tm_isdst >= 0 {
            vm.set_field(tv, "isdst", Value::bool(tm.tm_isdst != 0));
        }
        vm.push(tv);
        return Ok(1);
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        if c != b'%' || i + 1 >= fmt.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let conv = [b'%', fmt[i + 1], 0];
        i += 2;
        let mut buf = [0u8; 256];
        // SAFETY: conv is NUL-terminated, buf is writable for its length,
        // tm was filled by localtime_r/gmtime_r.
        let n = unsafe {
            libc::strftime(
                buf.as_mut_ptr() as *mut libc::c_char,
                buf.len(),
                conv.as_ptr() as *const libc::c_char,
                &tm,
            )
        };
        out.extend_from_slice(&buf[..n]);
    }
    push_str(vm, &out);
    Ok(1)
}
