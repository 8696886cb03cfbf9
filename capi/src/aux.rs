//! The auxiliary library of `lauxlib.h` (Lua 5.1, plus the few 5.2-style
//! helpers LuaJIT 2.1 exports): argument checks, metatables of userdata
//! types, references with 5.1's free list, loading, library registration and
//! `luaL_Buffer` (the layout C macros rely on).

use crate::api::*;
use crate::state::*;
use crate::types::*;
use lunatrace_vm::error::LuaError;
use lunatrace_vm::object::str_bytes;
use lunatrace_vm::table;
use lunatrace_vm::Value;
use std::ffi::{c_char, c_int, c_void};

/// Raise a runtime error with this message (position of the caller added).
pub(crate) fn error_here(l: *mut lua_State, msg: &str) -> ! {
    let e = on_thread(l, |v| v.rt_error(msg));
    throw(l, e)
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_argerror(
    l: *mut lua_State,
    narg: c_int,
    extramsg: *const c_char,
) -> c_int {
    let msg = String::from_utf8_lossy(cbytes(extramsg)).into_owned();
    let e: LuaError = if cframe(l).is_some() && ls(l).th == vm(l).cur {
        vm(l).arg_error(narg.max(0) as usize, &msg)
    } else {
        vm(l).plain_error(&format!("bad argument #{} to '?' ({})", narg, msg))
    };
    throw(l, e)
}

fn type_name_at(l: *mut lua_State, narg: c_int) -> &'static str {
    let t = type_of(get_opt(l, narg));
    TYPE_NAMES[(t + 1).clamp(0, 9) as usize]
        .to_str()
        .unwrap_or("?")
}

fn arg_err(l: *mut lua_State, narg: c_int, msg: &str) -> ! {
    let c = std::ffi::CString::new(msg).unwrap_or_default();
    // SAFETY: valid handle and C string.
    unsafe { luaL_argerror(l, narg, c.as_ptr()) };
    unreachable!("luaL_argerror returns only by unwinding")
}

fn tag_error(l: *mut lua_State, narg: c_int, expected: &str) -> ! {
    let got = type_name_at(l, narg);
    arg_err(l, narg, &format!("{} expected, got {}", expected, got))
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_typerror(
    l: *mut lua_State,
    narg: c_int,
    tname: *const c_char,
) -> c_int {
    let t = String::from_utf8_lossy(cbytes(tname)).into_owned();
    tag_error(l, narg, &t)
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_checklstring(
    l: *mut lua_State,
    narg: c_int,
    len: *mut usize,
) -> *const c_char {
    let s = lua_tolstring(l, narg, len);
    if s.is_null() {
        tag_error(l, narg, "string");
    }
    s
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_optlstring(
    l: *mut lua_State,
    narg: c_int,
    def: *const c_char,
    len: *mut usize,
) -> *const c_char {
    if lua_type(l, narg) <= LUA_TNIL {
        if !len.is_null() {
            *len = if def.is_null() { 0 } else { cbytes(def).len() };
        }
        return def;
    }
    luaL_checklstring(l, narg, len)
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_checknumber(l: *mut lua_State, narg: c_int) -> lua_Number {
    let n = lua_tonumber(l, narg);
    if n == 0.0 && lua_isnumber(l, narg) == 0 {
        tag_error(l, narg, "number");
    }
    n
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_optnumber(
    l: *mut lua_State,
    narg: c_int,
    def: lua_Number,
) -> lua_Number {
    if lua_type(l, narg) <= LUA_TNIL {
        def
    } else {
        luaL_checknumber(l, narg)
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_checkinteger(l: *mut lua_State, narg: c_int) -> lua_Integer {
    let n = lua_tointeger(l, narg);
    if n == 0 && lua_isnumber(l, narg) == 0 {
        tag_error(l, narg, "number");
    }
    n
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_optinteger(
    l: *mut lua_State,
    narg: c_int,
    def: lua_Integer,
) -> lua_Integer {
    if lua_type(l, narg) <= LUA_TNIL {
        def
    } else {
        luaL_checkinteger(l, narg)
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_checkstack(l: *mut lua_State, sz: c_int, msg: *const c_char) {
    if lua_checkstack(l, sz) == 0 {
        let m = String::from_utf8_lossy(cbytes(msg)).into_owned();
        error_here(l, &format!("stack overflow ({})", m));
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_checktype(l: *mut lua_State, narg: c_int, t: c_int) {
    if lua_type(l, narg) != t {
        let name = TYPE_NAMES[(t + 1).clamp(0, 9) as usize]
            .to_str()
            .unwrap_or("?");
        tag_error(l, narg, name);
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_checkany(l: *mut lua_State, narg: c_int) {
    if lua_type(l, narg) == LUA_TNONE {
        arg_err(l, narg, "value expected");
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_getmetafield(
    l: *mut lua_State,
    obj: c_int,
    e: *const c_char,
) -> c_int {
    let Some(v) = get_opt(l, obj) else { return 0 };
    let Some(m) = vm(l).get_metatable(v) else {
        return 0;
    };
    let k = vm(l).intern(cbytes(e));
    let r = table::get(m, k);
    if r.is_nil() {
        return 0;
    }
    push(l, r);
    1
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_callmeta(
    l: *mut lua_State,
    obj: c_int,
    e: *const c_char,
) -> c_int {
    let obj = abs_index(l, obj);
    if luaL_getmetafield(l, obj, e) == 0 {
        return 0;
    }
    lua_pushvalue(l, obj);
    lua_call(l, 1, 1);
    1
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_newmetatable(
    l: *mut lua_State,
    tname: *const c_char,
) -> c_int {
    lua_getfield(l, LUA_REGISTRYINDEX, tname);
    if lua_type(l, -1) != LUA_TNIL {
        return 0;
    }
    lua_settop(l, -2);
    lua_createtable(l, 0, 2);
    lua_pushvalue(l, -1);
    lua_setfield(l, LUA_REGISTRYINDEX, tname);
    1
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_testudata(
    l: *mut lua_State,
    ud: c_int,
    tname: *const c_char,
) -> *mut c_void {
    let Some(v) = get_opt(l, ud) else {
        return std::ptr::null_mut();
    };
    let Some(u) = v.as_udata_ptr() else {
        return std::ptr::null_mut();
    };
    let k = vm(l).intern(cbytes(tname));
    let want = table::get(vm(l).registry, k);
    let meta = (*u.as_ptr()).meta;
    if !meta.is_null() && want.as_table_ptr().is_some_and(|t| t.as_ptr() == meta) {
        return lunatrace_vm::object::Udata::payload(u) as *mut c_void;
    }
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_checkudata(
    l: *mut lua_State,
    ud: c_int,
    tname: *const c_char,
) -> *mut c_void {
    let p = luaL_testudata(l, ud, tname);
    if p.is_null() {
        luaL_typerror(l, ud, tname);
    }
    p
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_setmetatable(l: *mut lua_State, tname: *const c_char) {
    lua_getfield(l, LUA_REGISTRYINDEX, tname);
    lua_setmetatable(l, -2);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_where(l: *mut lua_State, lvl: c_int) {
    let s = on_thread(l, |v| v.where_(lvl.max(0) as usize));
    push_bytes(l, s.as_bytes());
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_checkoption(
    l: *mut lua_State,
    narg: c_int,
    def: *const c_char,
    lst: *const *const c_char,
) -> c_int {
    let name = if def.is_null() {
        luaL_checklstring(l, narg, std::ptr::null_mut())
    } else {
        luaL_optlstring(l, narg, def, std::ptr::null_mut())
    };
    let nb = cbytes(name);
    let mut i = 0;
    loop {
        let e = *lst.add(i);
        if e.is_null() {
            break;
        }
        if cbytes(e) == nb {
            return i as c_int;
        }
        i += 1;
    }
    let msg = format!("invalid option '{}'", String::from_utf8_lossy(nb));
    arg_err(l, narg, &msg)
}

// ---- references ----

/// Slot 0 of a reference table heads its free list (Lua 5.1's scheme).
const FREELIST: i64 = 0;

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_ref(l: *mut lua_State, t: c_int) -> c_int {
    let t = abs_index(l, t);
    if lua_type(l, -1) == LUA_TNIL {
        lua_settop(l, -2);
        return LUA_REFNIL;
    }
    let Some(tp) = get(l, t).as_table_ptr() else {
        api_fail(l, "luaL_ref: table expected");
        return LUA_NOREF;
    };
    let free = table::get_int(tp, FREELIST).as_num().unwrap_or(0.0) as i64;
    let r = if free != 0 {
        // Unlink the first free slot.
        let next = table::get_int(tp, free);
        // (The slot's old value: no growth.)
        let _ = table::set_int(&mut vm(l).heap, tp, FREELIST, next);
        free
    } else {
        table::length(tp) as i64 + 1
    };
    let v = get(l, -1);
    let res = on_thread(l, |vm| vm.set_collecting(tp, Value::num(r as f64), v));
    check(l, res).ok();
    lua_settop(l, -2);
    r as c_int
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_unref(l: *mut lua_State, t: c_int, r: c_int) {
    if r < 0 {
        return;
    }
    let Some(tp) = get(l, t).as_table_ptr() else {
        return;
    };
    let head = table::get_int(tp, FREELIST);
    // (Both keys exist: no growth.)
    let _ = table::set_int(&mut vm(l).heap, tp, r as i64, head);
    let _ = table::set_int(&mut vm(l).heap, tp, FREELIST, Value::num(r as f64));
}

// ---- loading ----

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_loadfile(l: *mut lua_State, filename: *const c_char) -> c_int {
    luaL_loadfilex(l, filename, std::ptr::null())
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_loadfilex(
    l: *mut lua_State,
    filename: *const c_char,
    mode: *const c_char,
) -> c_int {
    let name = if filename.is_null() {
        None
    } else {
        Some(String::from_utf8_lossy(cbytes(filename)).into_owned())
    };
    let r = if mode.is_null() {
        on_thread(l, |v| {
            lunatrace_vm::lib_base::load_file(v, name.as_deref()).map(Some)
        })
    } else {
        let mode = cbytes(mode);
        on_thread(l, |v| {
            lunatrace_vm::lib_base::load_file_mode(v, name.as_deref(), Some(mode))
        })
    };
    match r {
        Ok(Some(f)) => {
            if let Some(fp) = f.as_func_ptr() {
                // SAFETY: fresh closure; set its environment to the thread's.
                (*fp.as_ptr()).env = th(l).env;
            }
            push(l, f);
            0
        }
        Ok(None) => {
            push_bytes(l, WRONG_MODE);
            LUA_ERRSYNTAX
        }
        Err(e) => {
            push(l, e.value);
            if e.status == lunatrace_vm::Status::Syntax {
                LUA_ERRSYNTAX
            } else {
                LUA_ERRFILE
            }
        }
    }
}

/// The message of a chunk refused by the `mode` of a load.
const WRONG_MODE: &[u8] = b"attempt to load chunk with wrong mode";

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_loadbuffer(
    l: *mut lua_State,
    buff: *const c_char,
    sz: usize,
    name: *const c_char,
) -> c_int {
    let b = if sz == 0 {
        &[][..]
    } else {
        std::slice::from_raw_parts(buff as *const u8, sz)
    };
    let n = if name.is_null() {
        String::from_utf8_lossy(b).into_owned()
    } else {
        String::from_utf8_lossy(cbytes(name)).into_owned()
    };
    load_bytes(l, b, &n)
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_loadbufferx(
    l: *mut lua_State,
    buff: *const c_char,
    sz: usize,
    name: *const c_char,
    mode: *const c_char,
) -> c_int {
    if !mode.is_null() && sz > 0 {
        // SAFETY: the caller's buffer holds `sz` bytes.
        let binary =
            lunatrace_vm::bcdump::is_binary(std::slice::from_raw_parts(buff as *const u8, 1));
        if !cbytes(mode).contains(if binary { &b'b' } else { &b't' }) {
            push_bytes(l, WRONG_MODE);
            return LUA_ERRSYNTAX;
        }
    }
    luaL_loadbuffer(l, buff, sz, name)
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_loadstring(l: *mut lua_State, s: *const c_char) -> c_int {
    luaL_loadbuffer(l, s, cbytes(s).len(), s)
}

#[no_mangle]
pub unsafe extern "C" fn luaL_newstate() -> *mut lua_State {
    new_state()
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_gsub(
    l: *mut lua_State,
    s: *const c_char,
    p: *const c_char,
    r: *const c_char,
) -> *const c_char {
    let (s, p, r) = (cbytes(s), cbytes(p), cbytes(r));
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if !p.is_empty() && s[i..].starts_with(p) {
            out.extend_from_slice(r);
            i += p.len();
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    push_bytes(l, &out)
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_findtable(
    l: *mut lua_State,
    idx: c_int,
    fname: *const c_char,
    szhint: c_int,
) -> *const c_char {
    let mut t = get(l, idx);
    let all = cbytes(fname);
    let mut start = 0;
    loop {
        let end = all[start..]
            .iter()
            .position(|&c| c == b'.')
            .map_or(all.len(), |e| start + e);
        let part = &all[start..end];
        let k = vm(l).intern(part);
        let Some(tp) = t.as_table_ptr() else {
            return fname.add(start);
        };
        let mut n = table::get(tp, k);
        if n.is_nil() {
            let hint = if end == all.len() {
                szhint.max(0) as usize
            } else {
                1
            };
            n = vm(l).new_table_value(0, hint);
            let r = vm(l).raw_set(tp, k, n);
            check(l, r);
        } else if !n.is_table() {
            return fname.add(start);
        }
        t = n;
        if end == all.len() {
            break;
        }
        start = end + 1;
    }
    push(l, t);
    std::ptr::null()
}

/// Count the entries of a `luaL_Reg` array.
unsafe fn reg_len(r: *const luaL_Reg) -> usize {
    let mut n = 0;
    while !r.is_null() && !(*r.add(n)).name.is_null() {
        n += 1;
    }
    n
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_openlib(
    l: *mut lua_State,
    libname: *const c_char,
    r: *const luaL_Reg,
    nup: c_int,
) {
    let n = reg_len(r);
    if !libname.is_null() {
        luaL_pushmodule(l, libname, n as c_int);
        lua_insert(l, -(nup + 1));
    }
    luaL_setfuncs(l, r, nup);
}

/// `luaL_pushmodule(L, modname, sizehint)` (LuaJIT 2.1): push
/// `package.loaded[modname]`; when that is no table, the table at the
/// dotted path `modname` of the globals (made if missing, `sizehint`
/// entries), which is stored there. A path through a non-table raises
/// "name conflict for module 'modname'".
#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_pushmodule(
    l: *mut lua_State,
    modname: *const c_char,
    sizehint: c_int,
) {
    let loaded = vm(l).loaded_table();
    push(l, loaded);
    lua_getfield(l, -1, modname);
    if lua_type(l, -1) != LUA_TTABLE {
        lua_settop(l, -2);
        if !luaL_findtable(l, LUA_GLOBALSINDEX, modname, sizehint).is_null() {
            let m = format!(
                "name conflict for module '{}'",
                String::from_utf8_lossy(cbytes(modname))
            );
            error_here(l, &m);
        }
        lua_pushvalue(l, -1);
        lua_setfield(l, -3, modname);
    }
    lua_remove(l, -2);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaI_openlib(
    l: *mut lua_State,
    libname: *const c_char,
    r: *const luaL_Reg,
    nup: c_int,
) {
    luaL_openlib(l, libname, r, nup)
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_register(
    l: *mut lua_State,
    libname: *const c_char,
    r: *const luaL_Reg,
) {
    luaL_openlib(l, libname, r, 0)
}

/// Set the functions of `r` (with `nup` shared upvalues from the top) in
/// the table below the upvalues; pops the upvalues.
#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_setfuncs(l: *mut lua_State, r: *const luaL_Reg, nup: c_int) {
    let n = reg_len(r);
    for i in 0..n {
        let e = &*r.add(i);
        for _ in 0..nup {
            lua_pushvalue(l, -nup);
        }
        lua_pushcclosure(l, e.func, nup);
        lua_setfield(l, -(nup + 2), e.name);
    }
    lua_settop(l, -nup - 1);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_traceback(
    l: *mut lua_State,
    l1: *mut lua_State,
    msg: *const c_char,
    level: c_int,
) {
    let tb = lunatrace_vm::debuginfo::traceback(vm(l1), ls(l1).th, level.max(0) as usize);
    let s = if msg.is_null() {
        tb
    } else {
        format!("{}\n{}", String::from_utf8_lossy(cbytes(msg)), tb)
    };
    push_bytes(l, s.as_bytes());
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_fileresult(
    l: *mut lua_State,
    stat: c_int,
    fname: *const c_char,
) -> c_int {
    let err = std::io::Error::last_os_error();
    if stat != 0 {
        lua_pushboolean(l, 1);
        return 1;
    }
    lua_pushnil(l);
    let text = err.to_string();
    let text = text.split(" (os error").next().unwrap_or("").to_string();
    let m = if fname.is_null() {
        text
    } else {
        format!("{}: {}", String::from_utf8_lossy(cbytes(fname)), text)
    };
    push_bytes(l, m.as_bytes());
    lua_pushinteger(l, err.raw_os_error().unwrap_or(0) as lua_Integer);
    3
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_execresult(l: *mut lua_State, stat: c_int) -> c_int {
    if stat == -1 {
        return luaL_fileresult(l, 0, std::ptr::null());
    }
    lua_pushinteger(l, stat as lua_Integer);
    1
}

// ---- string buffers ----

#[no_mangle]
pub unsafe extern "C" fn luaL_buffinit(l: *mut lua_State, b: *mut luaL_Buffer) {
    (*b).l = l;
    (*b).p = (*b).buffer.as_mut_ptr();
    (*b).lvl = 0;
}

unsafe fn buf_used(b: *mut luaL_Buffer) -> usize {
    (*b).p.offset_from((*b).buffer.as_ptr()) as usize
}

/// Push the buffer's bytes as a new piece; false if it was empty.
unsafe fn flush(b: *mut luaL_Buffer) -> bool {
    let n = buf_used(b);
    if n == 0 {
        return false;
    }
    let bytes = std::slice::from_raw_parts((*b).buffer.as_ptr() as *const u8, n);
    push_bytes((*b).l, bytes);
    (*b).p = (*b).buffer.as_mut_ptr();
    (*b).lvl += 1;
    true
}

/// Join the pieces on the stack into one string value.
unsafe fn join(l: *mut lua_State, n: usize) {
    if n <= 1 {
        return;
    }
    let t = th(l);
    let mut s = Vec::new();
    for v in &t.stack[t.top - n..t.top] {
        s.extend_from_slice(str_bytes(*v));
    }
    t.top -= n;
    push_bytes(l, &s);
}

/// Keep few pieces on the stack: merge the top ones while a piece is
/// longer than the one below it or there are too many (as Lua 5.1 does).
unsafe fn adjust(b: *mut luaL_Buffer) {
    if (*b).lvl <= 1 {
        return;
    }
    let l = (*b).l;
    let t = th(l);
    let mut toget = 1usize;
    let mut toplen = str_bytes(t.stack[t.top - 1]).len();
    loop {
        let below = str_bytes(t.stack[t.top - 1 - toget]).len();
        if (*b).lvl as usize - toget + 1 >= (LUA_MINSTACK / 2) as usize || toplen > below {
            toplen += below;
            toget += 1;
        } else {
            break;
        }
        if toget >= (*b).lvl as usize {
            break;
        }
    }
    join(l, toget);
    (*b).lvl = (*b).lvl - toget as c_int + 1;
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_prepbuffer(b: *mut luaL_Buffer) -> *mut c_char {
    if flush(b) {
        adjust(b);
    }
    (*b).buffer.as_mut_ptr()
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_addlstring(b: *mut luaL_Buffer, s: *const c_char, len: usize) {
    let mut s = s as *const u8;
    let mut left = len;
    while left > 0 {
        let room = LUAL_BUFFERSIZE - buf_used(b);
        if room == 0 {
            luaL_prepbuffer(b);
            continue;
        }
        let n = room.min(left);
        std::ptr::copy_nonoverlapping(s, (*b).p as *mut u8, n);
        (*b).p = (*b).p.add(n);
        s = s.add(n);
        left -= n;
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_addstring(b: *mut luaL_Buffer, s: *const c_char) {
    luaL_addlstring(b, s, cbytes(s).len())
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_addvalue(b: *mut luaL_Buffer) {
    let l = (*b).l;
    let mut len = 0usize;
    let s = lua_tolstring(l, -1, &mut len);
    if s.is_null() {
        lua_settop(l, -2);
        return;
    }
    if len <= LUAL_BUFFERSIZE - buf_used(b) {
        std::ptr::copy_nonoverlapping(s as *const u8, (*b).p as *mut u8, len);
        (*b).p = (*b).p.add(len);
        lua_settop(l, -2);
    } else {
        if flush(b) {
            lua_insert(l, -2);
        }
        (*b).lvl += 1;
        adjust(b);
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_pushresult(b: *mut luaL_Buffer) {
    flush(b);
    let l = (*b).l;
    if (*b).lvl == 0 {
        push_bytes(l, b"");
    } else {
        join(l, (*b).lvl as usize);
    }
    (*b).lvl = 1;
}
