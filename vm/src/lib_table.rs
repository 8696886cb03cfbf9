//! The `table` library: concat insert remove sort maxn getn foreach
//! foreachi move, plus LuaJIT's `table.new` and `table.clear` modules.

use crate::error::LuaResult;
use crate::object::str_bytes;
use crate::state::Vm;
use crate::table;
use crate::value::Value;
use std::ptr::NonNull;

pub fn open(vm: &mut Vm) {
    vm.register_lib(
        "table",
        &[
            ("concat", concat),
            ("insert", insert),
            ("remove", remove),
            ("sort", sort),
            ("maxn", maxn),
            ("getn", getn),
            ("foreach", foreach),
            ("foreachi", foreachi),
            ("move", move_),
        ],
    );
    let tl = vm.get_field(Value::from_table(vm.globals), "table");
    crate::fastfunc::tag(vm, "table", tl);
    // `require "table.new"` / `"table.clear"` (from `package.preload`,
    // as in LuaJIT 2.1).
    let pkg = vm.get_global("package");
    if pkg.is_table() {
        let pre = vm.get_field(pkg, "preload");
        if pre.is_table() {
            let f = vm.new_native(load_table_new, "table.new");
            vm.set_field(pre, "table.new", f);
            let f = vm.new_native(load_table_clear, "table.clear");
            vm.set_field(pre, "table.clear", f);
        }
    }
}

fn load_table_new(vm: &mut Vm) -> LuaResult<usize> {
    let f = vm.new_native(table_new, "new");
    vm.push(f);
    Ok(1)
}

fn load_table_clear(vm: &mut Vm) -> LuaResult<usize> {
    let f = vm.new_native(table_clear, "clear");
    vm.push(f);
    Ok(1)
}

/// Raw `t[i] = v`; every value the callers store is reachable (an
/// argument, still in a table, or in `vm.roots`), so a table that cannot
/// grow collects and retries (`Vm::set_collecting`).
fn set(vm: &mut Vm, t: NonNull<Table>, i: i64, v: Value) -> LuaResult<()> {
    vm.set_collecting(t, Value::num(i as f64), v)?.ok();
    Ok(())
}

use crate::object::Table;

/// Append `v` (a string or a number, formatted like `tostring`) to
/// `out`; false for other values.
pub fn concat_piece(out: &mut Vec<u8>, v: Value) -> bool {
    if let Some(n) = v.as_num() {
        crate::number::push_num(out, n);
    } else if v.is_str() {
        out.extend_from_slice(str_bytes(v));
    } else {
        return false;
    }
    true
}

/// Result size past which `table.concat` checks its buffer against the
/// heap's limit as it grows.
const CHECK_EVERY: usize = 1 << 20;

fn concat(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let sep = match vm.opt_str(2)? {
        // (The argument stays on the stack while the result is built.)
        Some(s) => str_bytes(s),
        None => &[],
    };
    let i = vm.opt_int(3, 1)?;
    let j = if vm.arg(4).is_nil() {
        table::length(t) as i64
    } else {
        vm.check_int(4)?
    };
    let mut out = vm.take_buf();
    let mut k = i;
    while k <= j {
        let v = table::get_int(t, k);
        if !concat_piece(&mut out, v) {
            return Err(vm.rt_error(&format!(
                "invalid value ({}) at index {} in table for 'concat'",
                v.type_name(),
                k
            )));
        }
        if k < j {
            out.extend_from_slice(sep);
        }
        if out.len() > CHECK_EVERY && vm.heap.would_exceed(out.capacity()) {
            // A result that would not fit under the heap's limit: fail
            // before the system allocator does (the buffer is freed).
            drop(out);
            return Err(vm.memory_error());
        }
        k += 1;
    }
    vm.check_alloc(out.len())?;
    let s = vm.intern_buf(out);
    vm.push(s);
    Ok(1)
}

fn insert(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let n = table::length(t) as i64;
    match vm.nargs() {
        2 => {
            let v = vm.arg(2);
            set(vm, t, n + 1, v)?;
        }
        3 => {
            let pos = vm.check_int(2)?;
            let v = vm.arg(3);
            let mut i = n + 1;
            while i > pos {
                let x = table::get_int(t, i - 1);
                set(vm, t, i, x)?;
                i -= 1;
            }
            set(vm, t, pos, v)?;
        }
        _ => return Err(vm.rt_error("wrong number of arguments to 'insert'")),
    }
    Ok(0)
}

fn remove(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let n = table::length(t) as i64;
    let pos = vm.opt_int(2, n)?;
    if n == 0 && vm.arg(2).is_nil() {
        return Ok(0);
    }
    let v = table::get_int(t, pos);
    let mut i = pos;
    while i < n {
        let x = table::get_int(t, i + 1);
        set(vm, t, i, x)?;
        i += 1;
    }
    if pos <= n {
        set(vm, t, n, Value::NIL)?;
    }
    vm.push(v);
    Ok(1)
}

fn maxn(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let mut m = 0.0f64;
    let mut k = Value::NIL;
    while let Ok(Some((nk, _))) = table::next(t, k) {
        if let Some(n) = nk.as_num() {
            if n > m {
                m = n;
            }
        }
        k = nk;
    }
    vm.push(Value::num(m));
    Ok(1)
}

fn getn(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    vm.push(Value::num(table::length(t) as f64));
    Ok(1)
}

fn foreach(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let f = vm.check_func(2)?;
    let mut k = Value::NIL;
    loop {
        let Some((nk, v)) =
            table::next(t, k).map_err(|_| vm.plain_error("invalid key to 'next'"))?
        else {
            return Ok(0);
        };
        // Keep the key on our frame while calling.
        vm.push(nk);
        let r = vm.call_values(f, &[nk, v])?;
        vm.pop(1);
        if let Some(&x) = r.first() {
            if !x.is_nil() {
                vm.push(x);
                return Ok(1);
            }
        }
        k = nk;
    }
}

fn foreachi(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let f = vm.check_func(2)?;
    let n = table::length(t) as i64;
    for i in 1..=n {
        let v = table::get_int(t, i);
        let x = vm.call1(f, &[Value::num(i as f64), v])?;
        if !x.is_nil() {
            vm.push(x);
            return Ok(1);
        }
    }
    Ok(0)
}

/// `a < b` for sorting: the comparator or the `<` operator.
fn sort_lt(vm: &mut Vm, comp: Value, a: Value, b: Value) -> LuaResult<bool> {
    if comp.is_nil() {
        if let (Some(x), Some(y)) = (a.as_num(), b.as_num()) {
            return Ok(x < y);
        }
        return crate::interp::less_than(vm, a, b);
    }
    let r = vm.call1(comp, &[a, b])?;
    Ok(r.truthy())
}

fn sort(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let comp = vm.arg(2);
    if !comp.is_nil() && !comp.is_func() {
        return Err(vm.type_error(2, "function"));
    }
    let n = table::length(t);
    // Work on a copy kept in the VM's extra roots (the comparator may
    // change the table or trigger a collection).
    let base = vm.roots.len();
    for i in 1..=n {
        let v = table::get_int(t, i as i64);
        vm.roots.push(v);
    }
    let r = if n > 1 {
        auxsort(vm, comp, base, base + n - 1)
    } else {
        Ok(())
    };
    let r = r.and_then(|_| {
        for i in 0..n {
            let v = vm.roots[base + i];
            set(vm, t, i as i64 + 1, v)?;
        }
        Ok(())
    });
    vm.roots.truncate(base);
    r.map(|_| 0)
}

fn auxsort(vm: &mut Vm, comp: Value, mut lo: usize, mut hi: usize) -> LuaResult<()> {
    while lo < hi {
        if sort_lt(vm, comp, vm.roots[hi], vm.roots[lo])? {
            vm.roots.swap(lo, hi);
        }
        if hi - lo == 1 {
            break;
        }
        let mid = lo + (hi - lo) / 2;
        if sort_lt(vm, comp, vm.roots[mid], vm.roots[lo])? {
            vm.roots.swap(mid, lo);
        } else if sort_lt(vm, comp, vm.roots[hi], vm.roots[mid])? {
            vm.roots.swap(mid, hi);
        }
        if hi - lo == 2 {
            break;
        }
        let p = vm.roots[mid];
        vm.roots.swap(mid, hi - 1);
        let (mut i, mut j) = (lo, hi - 1);
        loop {
            i += 1;
            while sort_lt(vm, comp, vm.roots[i], p)? {
                if i >= hi {
                    return Err(vm.rt_error("invalid order function for sorting"));
                }
                i += 1;
            }
            j -= 1;
            while sort_lt(vm, comp, p, vm.roots[j])? {
                if j <= lo {
                    return Err(vm.rt_error("invalid order function for sorting"));
                }
                j -= 1;
            }
            if j < i {
                break;
            }
            vm.roots.swap(i, j);
        }
        vm.roots.swap(hi - 1, i);
        // Recurse into the smaller part, loop on the larger one.
        if i - lo < hi - i {
            if i > lo {
                auxsort(vm, comp, lo, i - 1)?;
            }
            lo = i + 1;
        } else {
            auxsort(vm, comp, i + 1, hi)?;
            if i == 0 {
                break;
            }
            hi = i - 1;
        }
    }
    Ok(())
}

/// `table.move(a1, f, e, t [, a2])` (LuaJIT 2.1, from Lua 5.3): `a2[t..]
/// = a1[f..e]`, raw as LuaJIT's (no metamethods), copying backwards when
/// the ranges overlap upwards; returns `a2` (default `a1`).
fn move_(vm: &mut Vm) -> LuaResult<usize> {
    let a1 = vm.check_table(1)?;
    let f = vm.check_int(2)?;
    let e = vm.check_int(3)?;
    let t = vm.check_int(4)?;
    let a2 = if vm.arg(5).is_nil() {
        a1
    } else {
        vm.check_table(5)?
    };
    if e >= f {
        let d = t.wrapping_sub(f);
        let mut copy = |i: i64| {
            let v = table::get(a1, Value::num(i as f64));
            set(vm, a2, i.wrapping_add(d), v)
        };
        if t > e || t <= f || a1 != a2 {
            (f..=e).try_for_each(&mut copy)?;
        } else {
            (f..=e).rev().try_for_each(&mut copy)?;
        }
    }
    vm.push(Value::from_table(a2));
    Ok(1)
}

/// `require("table.new")`: `new(narray, nhash)`.
pub fn table_new(vm: &mut Vm) -> LuaResult<usize> {
    let na = vm.opt_int(1, 0)?.clamp(0, 1 << 26) as usize;
    let nh = vm.opt_int(2, 0)?.clamp(0, 1 << 26) as usize;
    let t = vm.new_table_value(na, nh);
    vm.push(t);
    Ok(1)
}

/// `require("table.clear")`: `clear(t)` removes every entry, keeping storage.
pub fn table_clear(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    for v in table::array_mut(t) {
        *v = Value::NIL;
    }
    table::hash_part(t).retain(|_, _| false);
    table::set_zero(t, Value::NIL);
    Ok(0)
}
