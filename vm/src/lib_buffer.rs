//! `require "string.buffer"`: LuaJIT 2.1's string buffers and their
//! serializer, as documented at <https://luajit.org/ext_buffer.html>.
//!
//! **Objects.** A buffer is a full userdata of 8 payload bytes whose
//! metatable is the library's one (`Bufs::meta`, also the method table:
//! `__index` is itself, `__metatable` is `"buffer"`, as in LuaJIT). The
//! payload word is its slot in `Vm::sbufs` plus one (0: none yet, or
//! freed by `__gc`), where its bytes live (`SBuf`: `data[r..w]` is the
//! content, `data[w..]` space handed out by `reserve`). `__gc` releases
//! the slot; the memory is counted into the heap's debt as it grows and
//! large growth is checked against the heap's limit ("not enough
//! memory"). `buf:set(str)` copies the string (LuaJIT references it,
//! copy-on-write; the results are the same).
//!
//! **Serialization options** (`buffer.new([size,] {dict=, metatable=})`)
//! are kept in the userdata's environment table: `[1]` the `dict` array,
//! `[2]` its reverse index (string → 0-based index, first occurrence
//! wins), `[3]` the `metatable` array, `[4]` its reverse index. A buffer
//! without options has the metatable as its environment (as LuaJIT's
//! buffers have). The passed tables are not modified (LuaJIT turns them
//! into two-way indexes in place).
//!
//! **Format** (byte-identical to LuaJIT's for the same table layout):
//! a tag, prefix-encoded (`.U`: one byte below 0xe0, two bytes below
//! 0x1fe0, else 0xff and 32 bits little-endian), then its data: 0x00 nil,
//! 0x01 false, 0x02 true, 0x03..0x05 light userdata (NULL, 32, 64 bits),
//! 0x06 int32, 0x07 double (every number: no dual-number mode), 0x08..0x0d
//! tables (empty; hash; 0-based array; 0-based array + hash; 1-based
//! array; 1-based array + hash), 0x0e metatable dictionary entry before a
//! table, 0x0f string dictionary entry, 0x10 int64, 0x11 uint64, 0x12
//! complex, 0x20 + length a string. A table's array part is ours
//! (`table::array`) with trailing nils dropped, key 0 (`Table::zero`) as
//! element 0 of a 0-based array; its hash part is the non-nil entries in
//! `next` order. Only hash-part string keys use the string dictionary.
//! Nesting deeper than 100 tables is an error both ways (circular
//! references end there too). Tables made by constructors with explicit
//! integer keys (`{[1] = x}`) may have those keys in our array part where
//! LuaJIT has them in its hash part, and hash parts of several keys are
//! written in our order: such encodings decode to the same tables but
//! their bytes differ from LuaJIT's.
//!
//! **FFI.** The VM does not depend on the FFI: `reserve`, `ref` (which
//! return `uint8_t *` cdata), `putcdata`, `set(cdata, len)` and the cdata
//! kinds of the serializer go through `Bufs::ffi`, filled in by the FFI
//! when it is installed; without it they raise "NYI: ... needs the FFI"
//! and cdata cannot be (de)serialized ("cannot deserialize tag 0x10").
//!
//! **Elsewhere.** `..` takes buffers as strings (`interp_meta::concat`,
//! as LuaJIT does without a `__concat` metamethod) and `io.write` /
//! `file:write` write their bytes (`bytes_of`). The JIT does not compile
//! these natives: traces stitch their calls.

use crate::error::LuaResult;
use crate::object::{str_bytes, NativeFn, Table};
use crate::state::Vm;
use crate::table;
use crate::value::{LuaType, Value};
use std::ptr::NonNull;

/// Largest buffer content (LuaJIT's `LJ_MAX_BUF`, the largest string).
const MAX_BUF: usize = 0x7fff_ff00;
/// Tables nested deeper than this cannot be (de)serialized.
const MAX_DEPTH: u32 = 100;
/// Largest array size (slot 0 included) and hash size a serialized
/// table may announce (LuaJIT's table limits; "table overflow").
const MAX_ASIZE: usize = (1 << 27) + 1;
const MAX_HSIZE: usize = 1 << 26;
/// Smallest allocation of a growing buffer.
const MIN_ALLOC: usize = 32;
/// Growth past which the heap's limit is checked first.
const CHECK_GROWTH: usize = 1 << 20;

/// The bytes of one buffer.
#[derive(Default)]
pub struct SBuf {
    /// `data[r..w]` is the content; `data[w..]` (zeroed) was handed out
    /// by `reserve` and becomes content by `commit`.
    data: Vec<u8>,
    r: usize,
    w: usize,
}

impl SBuf {
    fn bytes(&self) -> &[u8] {
        &self.data[self.r..self.w]
    }

    fn len(&self) -> usize {
        self.w - self.r
    }

    /// Consume `n` bytes (at most the content); an emptied buffer starts
    /// over at the front of its space.
    fn consume(&mut self, n: usize) {
        self.r += n.min(self.len());
        if self.r == self.w {
            self.data.clear();
            self.r = 0;
            self.w = 0;
        }
    }
}

/// What the buffer library needs from the FFI (`lunatrace-ffi` fills it
/// in when it is installed).
#[derive(Clone, Copy)]
pub struct FfiHooks {
    /// A `uint8_t *` cdata holding this address.
    pub new_u8ptr: fn(&mut Vm, usize) -> Value,
    /// Append `len` bytes at the address cdata `v` converts to as a
    /// `const void *`; Err: the conversion error ("cannot convert 'T' to
    /// 'const void *'").
    pub read: fn(&mut Vm, Value, usize, &mut Vec<u8>) -> Result<(), String>,
    /// Serialize an `int64_t`, `uint64_t` or `complex` cdata (tag and
    /// payload); false for other cdata.
    pub encode: fn(&mut Vm, Value, &mut Vec<u8>) -> bool,
    /// The cdata of serialized tag 0x10, 0x11 or 0x12 from its 8 or 16
    /// payload bytes.
    pub decode: fn(&mut Vm, u32, &[u8]) -> Value,
}

/// Every buffer's bytes (`Vm::sbufs`), the metatable and the FFI hooks.
#[derive(Default)]
pub struct Bufs {
    slots: Vec<SBuf>,
    free: Vec<usize>,
    /// The buffer metatable, made by the first `require` (rooted in
    /// `Vm::roots`).
    meta: Option<NonNull<Table>>,
    pub ffi: Option<FfiHooks>,
}

impl Bufs {
    fn alloc(&mut self) -> usize {
        match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(SBuf::default());
                self.slots.len() - 1
            }
        }
    }

    fn release(&mut self, s: usize) {
        self.slots[s] = SBuf::default();
        self.free.push(s);
    }

    /// Bytes the buffers hold (counted in the heap's total after each
    /// collection: `Heap::external`).
    pub fn bytes(&self) -> usize {
        self.slots.iter().map(|b| b.data.capacity()).sum()
    }
}

/// The methods, in one table: name and function (also the metatable's
/// fields, with the metamethods of `META`).
const METHODS: &[(&str, NativeFn)] = &[
    ("free", m_free),
    ("reset", m_reset),
    ("skip", m_skip),
    ("set", m_set),
    ("put", m_put),
    ("putf", m_putf),
    ("get", m_get),
    ("putcdata", m_putcdata),
    ("reserve", m_reserve),
    ("commit", m_commit),
    ("ref", m_ref),
    ("encode", m_encode),
    ("decode", m_decode),
    ("tostring", m_tostring),
];

/// The metamethods (`__index` is the metatable, `__metatable` "buffer").
const META: &[(&str, NativeFn)] = &[
    ("__gc", mm_gc),
    ("__tostring", m_tostring),
    ("__len", mm_len),
];

/// The module's functions.
const MODULE: &[(&str, NativeFn)] = &[
    ("new", lib_new),
    ("encode", lib_encode),
    ("decode", lib_decode),
];

/// Register the loader in `package.preload["string.buffer"]` (LuaJIT
/// loads the library on `require` too).
pub fn open(vm: &mut Vm) {
    let pkg = vm.get_global("package");
    if !pkg.is_table() {
        return;
    }
    let pre = vm.get_field(pkg, "preload");
    if pre.is_table() {
        let f = vm.new_native(loader, "string.buffer");
        vm.set_field(pre, "string.buffer", f);
    }
}

/// `require "string.buffer"`.
fn loader(vm: &mut Vm) -> LuaResult<usize> {
    let m = module(vm);
    vm.push(m);
    Ok(1)
}

/// A fresh table of the module's functions (the metatable of buffers is
/// made once per VM); also the C API's `luaopen_string_buffer`.
pub fn module(vm: &mut Vm) -> Value {
    if vm.sbufs.meta.is_none() {
        let mt = vm.new_table(0, METHODS.len() + META.len() + 2);
        let mtv = Value::from_table(mt);
        for &(name, f) in METHODS.iter().chain(META) {
            let fv = vm.new_native(f, name);
            vm.set_field(mtv, name, fv);
        }
        // `tostring` and `__tostring` are one function, as in LuaJIT.
        let ts = vm.get_field(mtv, "tostring");
        vm.set_field(mtv, "__tostring", ts);
        vm.set_field(mtv, "__index", mtv);
        let name = vm.intern(b"buffer");
        vm.set_field(mtv, "__metatable", name);
        crate::builtin_id::note(vm, "buffer", mtv);
        vm.roots.push(mtv);
        vm.sbufs.meta = Some(mt);
    }
    let m = vm.new_table_value(0, MODULE.len());
    for &(name, f) in MODULE {
        let fv = vm.new_native(f, name);
        vm.set_field(m, name, fv);
    }
    crate::builtin_id::note(vm, "string.buffer", m);
    m
}

// ---- buffer objects ----

/// Whether `v` is a string buffer.
pub fn is_buffer(vm: &Vm, v: Value) -> bool {
    v.as_udata_ptr().is_some() && vm.sbufs.meta.is_some() && vm.get_metatable(v) == vm.sbufs.meta
}

/// The slot of buffer `v` (given one if it has none), or None for other
/// values.
fn slot_of(vm: &mut Vm, v: Value) -> Option<usize> {
    if !is_buffer(vm, v) {
        return None;
    }
    match vm.udata_word(v)? {
        0 => {
            let s = vm.sbufs.alloc();
            vm.set_udata_word(v, s as u64 + 1);
            Some(s)
        }
        // (Another userdata given this metatable through the debug
        // library holds something else there.)
        w if w as usize > vm.sbufs.slots.len() => None,
        w => Some(w as usize - 1),
    }
}

/// The content of buffer `v` (for `..` and `io.write`), or None for
/// other values.
pub fn bytes_of(vm: &Vm, v: Value) -> Option<&[u8]> {
    if !is_buffer(vm, v) {
        return None;
    }
    match vm.udata_word(v)? {
        0 => Some(&[]),
        w => vm.sbufs.slots.get(w as usize - 1).map(|b| b.bytes()),
    }
}

/// Argument 1 as a buffer ("buffer expected").
fn check_buf(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.arg(1);
    match slot_of(vm, v) {
        Some(s) => Ok(s),
        None => Err(vm.type_error(1, "buffer")),
    }
}

fn buf(vm: &mut Vm, s: usize) -> &mut SBuf {
    &mut vm.sbufs.slots[s]
}

/// A number argument as LuaJIT's buffer functions take it: a number (no
/// string coercion) truncated to 32 bits, out-of-range values giving
/// the most negative one (as x86's conversion does).
fn check_i32(vm: &mut Vm, i: usize) -> LuaResult<i32> {
    match vm.arg(i).as_num() {
        Some(n) => Ok(if n.is_nan() || n >= 2147483648.0 {
            i32::MIN
        } else {
            n as i32
        }),
        _ => Err(vm.type_error(i, "number")),
    }
}

/// A length or size argument: `check_i32`, negative ones out of range.
fn check_len(vm: &mut Vm, i: usize) -> LuaResult<usize> {
    let n = check_i32(vm, i)?;
    if n < 0 {
        return Err(vm.arg_error(i, "number out of range"));
    }
    Ok(n as usize)
}

/// Make room to append `extra` bytes at the end of buffer `s`: drops
/// reserved space, recycles consumed space, grows (doubling) when needed.
fn room(vm: &mut Vm, s: usize, extra: usize) -> LuaResult<()> {
    let b = buf(vm, s);
    b.data.truncate(b.w);
    if b.r == b.w {
        b.data.clear();
        b.r = 0;
        b.w = 0;
    }
    if b.len() + extra > MAX_BUF {
        return Err(vm.memory_error());
    }
    if b.data.capacity() - b.w >= extra {
        return Ok(());
    }
    if b.r > 0 {
        let r = b.r;
        b.data.drain(..r);
        b.w -= r;
        b.r = 0;
        if b.data.capacity() - b.w >= extra {
            return Ok(());
        }
    }
    let cap = b.data.capacity();
    let need = b.w + extra;
    let mut want = need.max(cap * 2).clamp(MIN_ALLOC, MAX_BUF);
    // Past the heap's limit, or refused by the system allocator: only
    // what is needed, then "not enough memory". (No collection runs here:
    // the bytes being appended may be an unrooted string's.)
    if want - cap > CHECK_GROWTH && vm.heap.would_exceed(want - cap) {
        want = need;
        if vm.heap.would_exceed(want - cap) {
            return Err(vm.memory_error());
        }
    }
    let b = buf(vm, s);
    let len = b.data.len();
    if b.data.try_reserve_exact(want - len).is_err()
        && b.data.try_reserve_exact(need - len).is_err()
    {
        return Err(vm.memory_error());
    }
    let grown = b.data.capacity() - cap;
    vm.heap.account(grown);
    Ok(())
}

/// Append `bytes` to buffer `s`.
fn append(vm: &mut Vm, s: usize, bytes: &[u8]) -> LuaResult<()> {
    room(vm, s, bytes.len())?;
    let b = buf(vm, s);
    b.data.extend_from_slice(bytes);
    b.w = b.data.len();
    Ok(())
}

/// Append number `n` as `tostring` writes it (`%.14g`); integers of up
/// to 14 digits, the common case, without going through a `String`.
fn append_num(vm: &mut Vm, s: usize, n: f64) -> LuaResult<()> {
    if n != 0.0 && n.fract() == 0.0 && n.abs() < 1e14 {
        let mut digits = [0u8; 16];
        let mut i = digits.len();
        let mut m = n.abs() as u64;
        while m > 0 {
            i -= 1;
            digits[i] = b'0' + (m % 10) as u8;
            m /= 10;
        }
        if n < 0.0 {
            i -= 1;
            digits[i] = b'-';
        }
        return append(vm, s, &digits[i..]);
    }
    crate::number::with_num_text(n, |b| append(vm, s, b))
}

/// Run `f` on buffer `s`'s bytes taken out of the slot (so `f` may use
/// the VM); they go back afterwards, with `w` at their end, or cut back
/// to where they were if `f` fails.
fn with_data<T>(
    vm: &mut Vm,
    s: usize,
    extra: usize,
    f: impl FnOnce(&mut Vm, &mut Vec<u8>) -> LuaResult<T>,
) -> LuaResult<T> {
    room(vm, s, extra)?;
    let mut data = std::mem::take(&mut buf(vm, s).data);
    let (cap, len) = (data.capacity(), data.len());
    let r = f(vm, &mut data);
    if r.is_err() {
        data.truncate(len);
    }
    if data.len() - buf(vm, s).r > MAX_BUF {
        data.truncate(len);
        buf(vm, s).data = data;
        return Err(vm.memory_error());
    }
    vm.heap.account(data.capacity().saturating_sub(cap));
    let b = buf(vm, s);
    b.w = data.len();
    b.data = data;
    r
}

/// Return the buffer (argument 1) for chaining.
fn chain(vm: &mut Vm) -> LuaResult<usize> {
    let b = vm.arg(1);
    vm.push(b);
    Ok(1)
}

/// An interned string of buffer `s`'s content from `from`, `n` bytes.
fn string_of(vm: &mut Vm, s: usize, from: usize, n: usize) -> Value {
    let b = &vm.sbufs.slots[s];
    vm.heap.intern_value(&b.data[from..from + n])
}

/// `buffer.new([size [, options]])`, `buffer.new([options])`.
fn lib_new(vm: &mut Vm) -> LuaResult<usize> {
    let meta = vm.sbufs.meta.expect("the buffer metatable exists");
    let nargs = vm.nargs();
    let mut size = 0;
    let mut opt = 1;
    if nargs >= 1 && !vm.arg(1).is_table() {
        if !vm.arg(1).is_nil() {
            let n = check_i32(vm, 1)?;
            if n < 0 || n as usize > MAX_BUF {
                return Err(vm.arg_error(1, "number out of range"));
            }
            size = n as usize;
        }
        opt = 2;
    }
    let env = if nargs >= opt {
        let o = vm.check_table(opt)?;
        options(vm, o)?.unwrap_or(meta)
    } else {
        meta
    };
    let u = vm.heap.new_udata(8, env.as_ptr());
    let v = Value::from_udata(u);
    vm.set_metatable(v, Some(meta));
    let s = vm.sbufs.alloc();
    vm.set_udata_word(v, s as u64 + 1);
    vm.push(v);
    if size > 0 {
        room(vm, s, size)?;
    }
    Ok(1)
}

/// The environment table holding the serialization options of table
/// `o`, or None when it has neither `dict` nor `metatable` tables.
fn options(vm: &mut Vm, o: NonNull<Table>) -> LuaResult<Option<NonNull<Table>>> {
    let mut env: Option<NonNull<Table>> = None;
    for (field, slot, want) in [
        ("dict", 1, LuaType::String),
        ("metatable", 3, LuaType::Table),
    ] {
        let k = vm.intern(field.as_bytes());
        let Some(arr) = table::get_str(o, k).as_table_ptr() else {
            continue;
        };
        let rev = vm.new_table(0, 0);
        let mut i = 1;
        loop {
            let v = table::get_int(arr, i);
            if v.is_nil() {
                break;
            }
            if v.lua_type() == want {
                if table::get(rev, v).is_nil() {
                    // (Growth past the limit: "not enough memory".)
                    vm.raw_set(rev, v, Value::num((i - 1) as f64))?;
                }
            } else if v.bits() != Value::FALSE.bits() {
                return Err(vm.rt_error("bad options table"));
            }
            i += 1;
        }
        let e = *env.get_or_insert_with(|| vm.heap.new_table(4, 0));
        for (j, x) in [
            (slot, Value::from_table(arr)),
            (slot + 1, Value::from_table(rev)),
        ] {
            vm.raw_set(e, Value::num(j as f64), x)?;
        }
    }
    Ok(env)
}

/// The option tables of buffer `v`: (dict, dict index, metatables,
/// metatable index), each None when absent.
type Opts = [Option<NonNull<Table>>; 4];

fn opts_of(vm: &Vm, v: Value) -> Opts {
    let mut r = [None; 4];
    if let Some(env) = vm.udata_env(v) {
        if Some(env) != vm.sbufs.meta {
            for (i, x) in r.iter_mut().enumerate() {
                *x = table::get_int(env, i as i64 + 1).as_table_ptr();
            }
        }
    }
    r
}

// ---- methods ----

/// `buf:free()`: drop the content and its space.
fn m_free(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    *buf(vm, s) = SBuf::default();
    chain(vm)
}

/// `buf:reset()`: drop the content, keep the space.
fn m_reset(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let b = buf(vm, s);
    b.data.clear();
    b.r = 0;
    b.w = 0;
    chain(vm)
}

/// `buf:skip(len)`.
fn m_skip(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let n = check_len(vm, 2)?;
    buf(vm, s).consume(n);
    chain(vm)
}

/// `buf:set(str)`, `buf:set(cdata, len)`: the content becomes a copy of
/// the string or of `len` bytes at the cdata's address.
fn m_set(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let v = vm.arg(2);
    if v.is_str() {
        *buf(vm, s) = SBuf::default();
        append(vm, s, str_bytes(v))?;
    } else if v.is_cdata() {
        let n = check_len(vm, 3)?;
        let h = ffi(vm, "set")?;
        let mut bytes = Vec::new();
        (h.read)(vm, v, n, &mut bytes).map_err(|msg| vm.arg_error(2, &msg))?;
        *buf(vm, s) = SBuf::default();
        append(vm, s, &bytes)?;
    } else {
        return Err(vm.type_error(2, "string"));
    }
    chain(vm)
}

/// The FFI hooks, or the error of an FFI method without them.
fn ffi(vm: &mut Vm, what: &str) -> LuaResult<FfiHooks> {
    match vm.sbufs.ffi {
        Some(h) => Ok(h),
        None => Err(vm.rt_error(&format!("NYI: buf:{}() needs the FFI", what))),
    }
}

/// Append `n` bytes at cdata `v`'s address (argument 2) to buffer `s`.
fn put_cdata(vm: &mut Vm, s: usize, v: Value, n: usize) -> LuaResult<()> {
    let h = ffi(vm, "putcdata")?;
    let r = with_data(vm, s, n, |vm, data| Ok((h.read)(vm, v, n, data)))?;
    r.map_err(|msg| vm.arg_error(2, &msg))
}

/// The bytes `put` appends for argument `i`: strings, numbers (as
/// `tostring`), buffers, `__tostring` results (strings or numbers).
fn put_piece(vm: &mut Vm, s: usize, i: usize) -> LuaResult<()> {
    let v = vm.arg(i);
    if v.is_str() {
        return append(vm, s, str_bytes(v));
    }
    if let Some(n) = v.as_num() {
        return append_num(vm, s, n);
    }
    if let Some(o) = slot_of(vm, v) {
        if o == s {
            return Err(vm.arg_error(i, "cannot put buffer into itself"));
        }
        // The other buffer's bytes are moved out while they are copied.
        let data = std::mem::take(&mut buf(vm, o).data);
        let (r, w) = (buf(vm, o).r, buf(vm, o).w);
        let res = append(vm, s, &data[r..w]);
        buf(vm, o).data = data;
        return res;
    }
    let mm = vm.tostring_meta(v);
    let r = if mm.is_nil() { v } else { vm.call1(mm, &[v])? };
    if r.is_str() {
        return append(vm, s, str_bytes(r));
    }
    if let Some(n) = r.as_num().filter(|_| !mm.is_nil()) {
        return append_num(vm, s, n);
    }
    let msg = format!("string/number/__tostring expected, got {}", r.type_name());
    Err(vm.arg_error(i, &msg))
}

/// `buf:put([str|num|obj] [, ...])`.
fn m_put(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    for i in 2..=vm.nargs() {
        put_piece(vm, s, i)?;
    }
    chain(vm)
}

/// `buf:putf(format, ...)`: `string.format` into the buffer.
fn m_putf(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let mut out = Vec::new();
    crate::strfmt::format_into(vm, 2, &mut out)?;
    append(vm, s, &out)?;
    chain(vm)
}

/// `buf:get([len|nil] [, ...])`: consume and return strings.
fn m_get(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let n = vm.nargs();
    let mut lens = Vec::with_capacity(n.max(2) - 1);
    if n <= 1 {
        lens.push(None);
    }
    for i in 2..=n {
        lens.push(if vm.arg(i).is_nil() {
            None
        } else {
            Some(check_len(vm, i)?)
        });
    }
    vm.ensure_stack(lens.len())?;
    for len in lens {
        let b = buf(vm, s);
        let k = len.map_or(b.len(), |l| l.min(b.len()));
        let r = b.r;
        let v = string_of(vm, s, r, k);
        buf(vm, s).consume(k);
        vm.push(v);
    }
    Ok(n.max(2) - 1)
}

/// `buf:putcdata(cdata, len)`.
fn m_putcdata(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let v = vm.arg(2);
    if !v.is_cdata() {
        return Err(vm.type_error(2, "cdata"));
    }
    let n = check_len(vm, 3)?;
    put_cdata(vm, s, v, n)?;
    chain(vm)
}

/// A `uint8_t *` to byte `at` of buffer `s`'s space (NULL when it has
/// none).
fn ptr_to(vm: &mut Vm, s: usize, at: usize, h: FfiHooks) -> Value {
    let b = buf(vm, s);
    let p = if b.data.capacity() == 0 {
        0
    } else {
        b.data.as_ptr() as usize + at
    };
    (h.new_u8ptr)(vm, p)
}

/// `ptr, len = buf:reserve(size)`: `size` bytes of write space after the
/// content (`len` is `size`; LuaJIT may give more). They are zeroed
/// rather than left uninitialised: they become content by `commit`
/// whether the program wrote them or not.
fn m_reserve(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let n = check_i32(vm, 2)?;
    if n < 0 || n as usize > MAX_BUF {
        return Err(vm.arg_error(2, "number out of range"));
    }
    let h = ffi(vm, "reserve")?;
    room(vm, s, n as usize)?;
    let b = buf(vm, s);
    let end = b.w + n as usize;
    b.data.resize(end, 0);
    let (w, avail) = (b.w, n as usize);
    let p = ptr_to(vm, s, w, h);
    vm.push(p);
    vm.push(Value::num(avail as f64));
    Ok(2)
}

/// `buf:commit(used)`: `used` reserved bytes become content.
fn m_commit(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let n = check_len(vm, 2)?;
    let b = buf(vm, s);
    if n > b.data.len() - b.w {
        return Err(vm.arg_error(2, "number out of range"));
    }
    b.w += n;
    chain(vm)
}

/// `ptr, len = buf:ref()`: the content's address and length.
fn m_ref(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let h = ffi(vm, "ref")?;
    let (r, len) = {
        let b = buf(vm, s);
        (b.r, b.len())
    };
    let p = ptr_to(vm, s, r, h);
    vm.push(p);
    vm.push(Value::num(len as f64));
    Ok(2)
}

/// `buf:tostring()`, `tostring(buf)`: the content, not consumed.
fn m_tostring(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let (r, n) = {
        let b = buf(vm, s);
        (b.r, b.len())
    };
    let v = string_of(vm, s, r, n);
    vm.push(v);
    Ok(1)
}

/// `#buf`.
fn mm_len(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let n = buf(vm, s).len();
    vm.push(Value::num(n as f64));
    Ok(1)
}

/// `__gc`: release the buffer's slot.
fn mm_gc(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.arg(1);
    if is_buffer(vm, v) {
        let n = vm.sbufs.slots.len() as u64;
        if let Some(w) = vm.udata_word(v).filter(|&w| w != 0 && w <= n) {
            vm.sbufs.release(w as usize - 1);
            vm.set_udata_word(v, 0);
        }
    }
    Ok(0)
}

/// `buf:encode(obj)`: append the serialization of `obj`.
fn m_encode(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let obj = vm.check_any(2)?;
    let opts = opts_of(vm, vm.arg(1));
    with_data(vm, s, 0, |vm, data| encode(vm, opts, obj, data))?;
    chain(vm)
}

/// `buf:decode()`: consume one serialized object and return it.
fn m_decode(vm: &mut Vm) -> LuaResult<usize> {
    let s = check_buf(vm)?;
    let opts = opts_of(vm, vm.arg(1));
    let (data, r, w) = {
        let b = buf(vm, s);
        (std::mem::take(&mut b.data), b.r, b.w)
    };
    let mut d = Dec {
        vm,
        src: &data[r..w],
        pos: 0,
        opts,
    };
    let res = d.value(MAX_DEPTH);
    let used = d.pos;
    buf(vm, s).data = data;
    match res {
        Ok(v) => {
            buf(vm, s).consume(used);
            vm.push(v);
            Ok(1)
        }
        Err(e) => Err(dec_error(vm, e)),
    }
}

/// `buffer.encode(obj)`: the serialization as a string.
fn lib_encode(vm: &mut Vm) -> LuaResult<usize> {
    let obj = vm.check_any(1)?;
    let mut out = Vec::new();
    encode(vm, [None; 4], obj, &mut out)?;
    let v = vm.intern(&out);
    vm.push(v);
    Ok(1)
}

/// `buffer.decode(str)`: the one object the string serializes.
fn lib_decode(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.arg(1);
    if !v.is_str() {
        return Err(vm.type_error(1, "string"));
    }
    let src = str_bytes(v);
    let mut d = Dec {
        vm,
        src,
        pos: 0,
        opts: [None; 4],
    };
    let res = match d.value(MAX_DEPTH) {
        Ok(_) if d.pos < src.len() => Err(DecError::LeftOver),
        r => r,
    };
    match res {
        Ok(x) => {
            vm.push(x);
            Ok(1)
        }
        Err(e) => Err(dec_error(vm, e)),
    }
}

// ---- serializer ----

/// Tags of the format (see the module docs; the FFI writes the cdata ones).
pub mod tag {
    pub const NIL: u8 = 0x00;
    pub const FALSE: u8 = 0x01;
    pub const TRUE: u8 = 0x02;
    pub const NULL: u8 = 0x03;
    pub const LIGHTUD32: u8 = 0x04;
    pub const LIGHTUD64: u8 = 0x05;
    pub const INT: u8 = 0x06;
    pub const NUM: u8 = 0x07;
    pub const TAB: u8 = 0x08;
    pub const TAB_HASH: u8 = 0x09;
    pub const TAB_ARR0: u8 = 0x0a;
    pub const TAB_MIX0: u8 = 0x0b;
    pub const TAB_ARR1: u8 = 0x0c;
    pub const TAB_MIX1: u8 = 0x0d;
    pub const TAB_MT: u8 = 0x0e;
    pub const DICT_STR: u8 = 0x0f;
    pub const INT64: u8 = 0x10;
    pub const UINT64: u8 = 0x11;
    pub const COMPLEX: u8 = 0x12;
    pub const STR: u32 = 0x20;
}

/// Append `n` prefix-encoded (`.U`).
fn put_u(out: &mut Vec<u8>, n: u32) {
    if n < 0xe0 {
        out.push(n as u8);
    } else if n < 0x1fe0 {
        let m = n - 0xe0;
        out.push(0xe0 | (m >> 8) as u8);
        out.push(m as u8);
    } else {
        out.push(0xff);
        out.extend_from_slice(&n.to_le_bytes());
    }
}

/// Why an object cannot be serialized.
enum EncError {
    Type(&'static str),
    Deep,
}

/// Serialize `v` (with the buffer's options) onto `out`.
fn encode(vm: &mut Vm, opts: Opts, v: Value, out: &mut Vec<u8>) -> LuaResult<()> {
    let mut e = Enc { vm, opts, out };
    match e.value(v, MAX_DEPTH) {
        Ok(()) => Ok(()),
        Err(EncError::Type(t)) => Err(vm.rt_error(&format!("cannot serialize '{}'", t))),
        Err(EncError::Deep) => Err(vm.rt_error("too deep to serialize")),
    }
}

struct Enc<'a> {
    vm: &'a mut Vm,
    opts: Opts,
    out: &'a mut Vec<u8>,
}

impl Enc<'_> {
    fn str(&mut self, b: &[u8]) -> Result<(), EncError> {
        let n = u32::try_from(b.len()).map_err(|_| EncError::Type("string"))?;
        put_u(self.out, n.saturating_add(tag::STR));
        self.out.extend_from_slice(b);
        Ok(())
    }

    fn value(&mut self, v: Value, depth: u32) -> Result<(), EncError> {
        if let Some(n) = v.as_num() {
            self.out.push(tag::NUM);
            self.out.extend_from_slice(&n.to_bits().to_le_bytes());
            return Ok(());
        }
        match v.lua_type() {
            LuaType::Nil => self.out.push(tag::NIL),
            LuaType::Boolean => self
                .out
                .push(if v.truthy() { tag::TRUE } else { tag::FALSE }),
            LuaType::String => self.str(str_bytes(v))?,
            LuaType::LightUserdata => {
                let p = v.payload();
                if p == 0 {
                    self.out.push(tag::NULL);
                } else if let Ok(p) = u32::try_from(p) {
                    self.out.push(tag::LIGHTUD32);
                    self.out.extend_from_slice(&p.to_le_bytes());
                } else {
                    self.out.push(tag::LIGHTUD64);
                    self.out.extend_from_slice(&p.to_le_bytes());
                }
            }
            LuaType::Table => {
                let t = v.as_table_ptr().expect("a table");
                self.table(t, depth)?;
            }
            LuaType::Cdata => {
                let ok = match self.vm.sbufs.ffi {
                    Some(h) => (h.encode)(self.vm, v, self.out),
                    None => false,
                };
                if !ok {
                    return Err(EncError::Type("cdata"));
                }
            }
            _ => return Err(EncError::Type(v.type_name())),
        }
        Ok(())
    }

    fn table(&mut self, t: NonNull<Table>, depth: u32) -> Result<(), EncError> {
        if depth == 0 {
            return Err(EncError::Deep);
        }
        if let (Some(mt), Some(rev)) = (table::meta(t), self.opts[3]) {
            if let Some(i) = table::get(rev, Value::from_table(mt)).as_num() {
                self.out.push(tag::TAB_MT);
                put_u(self.out, i as u32);
            }
        }
        let arr = table::array(t);
        let n = arr.iter().rposition(|v| !v.is_nil()).map_or(0, |i| i + 1);
        let zero = table::zero(t);
        let nhash = table::hash_part(t)
            .entries()
            .iter()
            .filter(|e| !e.1.is_nil())
            .count();
        let (has_arr, h) = (n > 0 || !zero.is_nil(), nhash as u32);
        let a = n as u32 + 1;
        match (has_arr, zero.is_nil(), h > 0) {
            (false, _, false) => self.out.push(tag::TAB),
            (false, _, true) => {
                self.out.push(tag::TAB_HASH);
                put_u(self.out, h);
            }
            (true, zero_nil, mixed) => {
                let tg = match (zero_nil, mixed) {
                    (false, false) => tag::TAB_ARR0,
                    (false, true) => tag::TAB_MIX0,
                    (true, false) => tag::TAB_ARR1,
                    (true, true) => tag::TAB_MIX1,
                };
                self.out.push(tg);
                put_u(self.out, a);
                if mixed {
                    put_u(self.out, h);
                }
                if !zero_nil {
                    self.value(zero, depth - 1)?;
                }
                for i in 0..n {
                    // Fetched each time: nothing here changes the table.
                    let x = table::array(t)[i];
                    self.value(x, depth - 1)?;
                }
            }
        }
        if h > 0 {
            let len = table::hash_part(t).entries().len();
            for i in 0..len {
                let (k, x) = table::hash_part(t).entries()[i];
                if x.is_nil() {
                    continue;
                }
                match (k.is_str(), self.opts[1]) {
                    (true, Some(rev)) => match table::get_str(rev, k).as_num() {
                        Some(d) => {
                            self.out.push(tag::DICT_STR);
                            put_u(self.out, d as u32);
                        }
                        None => self.value(k, depth - 1)?,
                    },
                    _ => self.value(k, depth - 1)?,
                }
                self.value(x, depth - 1)?;
            }
        }
        Ok(())
    }
}

/// Why data cannot be deserialized.
enum DecError {
    End,
    Tag(u32),
    Dict(u64),
    Deep,
    KeyNil,
    KeyNaN,
    LeftOver,
    Overflow,
}

fn dec_error(vm: &mut Vm, e: DecError) -> crate::LuaError {
    let msg = match e {
        DecError::End => "unexpected end of buffer".to_string(),
        DecError::Tag(t) => format!("cannot deserialize tag 0x{:02x}", t),
        DecError::Dict(i) => format!("cannot deserialize dictionary index {}", i),
        DecError::Deep => "too deep to serialize".to_string(),
        DecError::KeyNil => "table index is nil".to_string(),
        DecError::KeyNaN => "table index is NaN".to_string(),
        DecError::LeftOver => "left-over data in buffer".to_string(),
        DecError::Overflow => "table overflow".to_string(),
    };
    vm.rt_error(&msg)
}

struct Dec<'a> {
    vm: &'a mut Vm,
    src: &'a [u8],
    pos: usize,
    opts: Opts,
}

impl<'a> Dec<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecError> {
        if self.src.len() - self.pos < n {
            return Err(DecError::End);
        }
        let src: &'a [u8] = self.src;
        let b = &src[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }

    fn u8(&mut self) -> Result<u8, DecError> {
        Ok(self.bytes(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, DecError> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, DecError> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A prefix-encoded number (`.U`).
    fn u(&mut self) -> Result<u32, DecError> {
        let b = self.u8()? as u32;
        if b < 0xe0 {
            Ok(b)
        } else if b < 0xff {
            let lo = self.u8()? as u32;
            Ok((((b & 0x1f) << 8) | lo) + 0xe0)
        } else {
            self.u32()
        }
    }

    /// A dictionary entry: element `i + 1` of option table `which` if it
    /// has type `want`.
    fn dict(&mut self, which: usize, i: u32, want: LuaType) -> Result<Value, DecError> {
        let v = match self.opts[which] {
            Some(d) => table::get_int(d, i as i64 + 1),
            None => Value::NIL,
        };
        if v.lua_type() != want {
            return Err(DecError::Dict(i as u64 + 1));
        }
        Ok(v)
    }

    fn value(&mut self, depth: u32) -> Result<Value, DecError> {
        let t = self.u()?;
        if t >= tag::STR {
            let n = (t - tag::STR) as usize;
            let b = self.bytes(n)?;
            return Ok(self.vm.heap.intern_value(b));
        }
        Ok(match t as u8 {
            tag::NIL => Value::NIL,
            tag::FALSE => Value::FALSE,
            tag::TRUE => Value::TRUE,
            tag::NULL => Value::light_ud(0),
            tag::LIGHTUD32 => Value::light_ud(self.u32()? as usize),
            tag::LIGHTUD64 => Value::light_ud(self.u64()? as usize),
            tag::INT => Value::num(self.u32()? as i32 as f64),
            tag::NUM => Value::num(f64::from_bits(self.u64()?)),
            tag::TAB..=tag::TAB_MIX1 => Value::from_table(self.table(t, depth)?),
            tag::TAB_MT => {
                let i = self.u()?;
                let mt = self.dict(2, i, LuaType::Table)?;
                let t = self.u()?;
                if !(tag::TAB as u32..=tag::TAB_MIX1 as u32).contains(&t) {
                    return Err(DecError::Tag(t));
                }
                let tb = self.table(t, depth)?;
                table::set_meta(tb, mt.as_table_ptr());
                Value::from_table(tb)
            }
            tag::DICT_STR => {
                let i = self.u()?;
                self.dict(0, i, LuaType::String)?
            }
            tag::INT64..=tag::COMPLEX => {
                let Some(h) = self.vm.sbufs.ffi else {
                    return Err(DecError::Tag(t));
                };
                let n = if t == tag::COMPLEX as u32 { 16 } else { 8 };
                let b = self.bytes(n)?;
                (h.decode)(self.vm, t, b)
            }
            _ => return Err(DecError::Tag(t)),
        })
    }

    /// The table of tag `t` (0x08..=0x0d).
    fn table(&mut self, t: u32, depth: u32) -> Result<NonNull<Table>, DecError> {
        if depth == 0 {
            return Err(DecError::Deep);
        }
        let t = t as u8;
        let has_arr = matches!(
            t,
            tag::TAB_ARR0 | tag::TAB_MIX0 | tag::TAB_ARR1 | tag::TAB_MIX1
        );
        let has_hash = matches!(t, tag::TAB_HASH | tag::TAB_MIX0 | tag::TAB_MIX1);
        let a = if has_arr { self.u()? as usize } else { 0 };
        let h = if has_hash { self.u()? as usize } else { 0 };
        if a > MAX_ASIZE || h > MAX_HSIZE {
            return Err(DecError::Overflow);
        }
        // Every element takes a byte at least: sizes the data cannot
        // hold are not allocated (decoding them fails on the way).
        let left = self.src.len() - self.pos;
        let n = a.saturating_sub(1);
        let tb = self.vm.heap.new_table(n.min(left), h.min(left / 2));
        if a > 0 && matches!(t, tag::TAB_ARR0 | tag::TAB_MIX0) {
            let v = self.value(depth - 1)?;
            table::forced(&mut self.vm.heap, |h| table::set(h, tb, Value::num(0.0), v));
        }
        for i in 0..n {
            let v = self.value(depth - 1)?;
            // (Always within the array part: past `left` elements the
            // data has run out.)
            match table::array_mut(tb).get_mut(i) {
                Some(x) => *x = v,
                None => {
                    table::forced(&mut self.vm.heap, |h| {
                        table::set_int(h, tb, i as i64 + 1, v)
                    });
                }
            }
        }
        for _ in 0..h {
            let k = self.value(depth - 1)?;
            if k.is_nil() {
                return Err(DecError::KeyNil);
            }
            if k.as_num().is_some_and(f64::is_nan) {
                return Err(DecError::KeyNaN);
            }
            let v = self.value(depth - 1)?;
            table::forced(&mut self.vm.heap, |h| table::set(h, tb, k, v));
        }
        Ok(tb)
    }
}
