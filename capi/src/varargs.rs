//! The variadic functions of the API (`lua_pushfstring`, `luaL_error`) and
//! `lua_pushvfstring`. Stable Rust cannot define C-variadic functions, so on
//! x86-64 (System V) two small naked entry points spill the argument
//! registers into a register save area, build a genuine `va_list` and call
//! the Rust formatter, which reads arguments the way `va_arg` does.
//! `luaL_error` leaves its own frame before raising (a tail jump), so the
//! unwinder never has to walk through the assembly.

use crate::api::{cbytes, push_bytes};
use crate::state::*;
use lunatrace_vm::error::LuaError;
use std::ffi::{c_char, c_void};

/// The System V x86-64 `va_list` element.
#[repr(C)]
pub struct VaList {
    gp_offset: u32,
    fp_offset: u32,
    overflow_arg_area: *mut u8,
    reg_save_area: *mut u8,
}

impl VaList {
    /// The next integer-class argument.
    unsafe fn gp(&mut self) -> u64 {
        if self.gp_offset < 48 {
            let v = *(self.reg_save_area.add(self.gp_offset as usize) as *const u64);
            self.gp_offset += 8;
            v
        } else {
            let v = *(self.overflow_arg_area as *const u64);
            self.overflow_arg_area = self.overflow_arg_area.add(8);
            v
        }
    }
    /// The next double argument.
    unsafe fn fp(&mut self) -> f64 {
        if self.fp_offset < 176 {
            let v = *(self.reg_save_area.add(self.fp_offset as usize) as *const f64);
            self.fp_offset += 16;
            v
        } else {
            let v = *(self.overflow_arg_area as *const f64);
            self.overflow_arg_area = self.overflow_arg_area.add(8);
            v
        }
    }
}

/// Format like Lua 5.1's `lua_pushfstring`: `%%`, `%s`, `%d`, `%c`, `%f`,
/// `%p` (and `%i` as `%d`).
unsafe fn format(fmt: *const c_char, va: *mut VaList) -> Vec<u8> {
    let f = cbytes(fmt);
    let mut out = Vec::with_capacity(f.len() + 16);
    let mut i = 0;
    while i < f.len() {
        let c = f[i];
        if c != b'%' || i + 1 >= f.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let d = f[i + 1];
        i += 2;
        match d {
            b's' => {
                let p = (*va).gp() as *const c_char;
                if p.is_null() {
                    out.extend_from_slice(b"(null)");
                } else {
                    out.extend_from_slice(cbytes(p));
                }
            }
            b'd' | b'i' => {
                let n = (*va).gp() as u32 as i32;
                out.extend_from_slice(n.to_string().as_bytes());
            }
            b'c' => out.push((*va).gp() as u8),
            b'f' => {
                let n = (*va).fp();
                out.extend_from_slice(lunatrace_vm::number::fmt_num(n).as_bytes());
            }
            b'p' => {
                let p = (*va).gp();
                out.extend_from_slice(format!("{:p}", p as usize as *const c_void).as_bytes());
            }
            b'%' => out.push(b'%'),
            other => {
                out.push(b'%');
                out.push(other);
            }
        }
    }
    out
}

extern "C-unwind" fn pushvf(
    l: *mut lua_State,
    fmt: *const c_char,
    va: *mut VaList,
) -> *const c_char {
    // SAFETY: `va` is a live va_list of the C caller.
    let s = unsafe { format(fmt, va) };
    push_bytes(l, &s)
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushvfstring(
    l: *mut lua_State,
    fmt: *const c_char,
    argp: *mut VaList,
) -> *const c_char {
    pushvf(l, fmt, argp)
}

/// `luaL_error`'s message: position of the caller and the formatted text.
extern "C-unwind" fn error_msg(l: *mut lua_State, fmt: *const c_char, va: *mut VaList) {
    // SAFETY: `va` is a live va_list of the C caller.
    let s = unsafe { format(fmt, va) };
    let pos = on_thread(l, |v| v.where_(1));
    let mut m = pos.into_bytes();
    m.extend_from_slice(&s);
    push_bytes(l, &m);
}

/// Raise the value on top of the stack.
extern "C-unwind" fn raise_top(l: *mut lua_State) {
    let v = get(l, -1);
    throw(l, LuaError::runtime(v))
}

#[cfg(target_arch = "x86_64")]
macro_rules! va_entry {
    () => {
        concat!(
            "sub rsp, 216\n",
            "mov [rsp], rdi\n",
            "mov [rsp+8], rsi\n",
            "mov [rsp+16], rdx\n",
            "mov [rsp+24], rcx\n",
            "mov [rsp+32], r8\n",
            "mov [rsp+40], r9\n",
            "movaps [rsp+48], xmm0\n",
            "movaps [rsp+64], xmm1\n",
            "movaps [rsp+80], xmm2\n",
            "movaps [rsp+96], xmm3\n",
            "movaps [rsp+112], xmm4\n",
            "movaps [rsp+128], xmm5\n",
            "movaps [rsp+144], xmm6\n",
            "movaps [rsp+160], xmm7\n",
            "mov dword ptr [rsp+176], 16\n",
            "mov dword ptr [rsp+180], 48\n",
            "lea rax, [rsp+224]\n",
            "mov [rsp+184], rax\n",
            "mov [rsp+192], rsp\n",
            "lea rdx, [rsp+176]\n",
        )
    };
}

/// `const char *lua_pushfstring(lua_State *L, const char *fmt, ...)`.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C" fn lua_pushfstring(_l: *mut lua_State, _fmt: *const c_char) -> *const c_char {
    std::arch::naked_asm!(
        va_entry!(),
        "call {f}",
        "add rsp, 216",
        "ret",
        f = sym pushvf,
    )
}

/// `int luaL_error(lua_State *L, const char *fmt, ...)`: never returns.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C" fn luaL_error(_l: *mut lua_State, _fmt: *const c_char) -> std::ffi::c_int {
    std::arch::naked_asm!(
        va_entry!(),
        "call {f}",
        "mov rdi, [rsp]",
        "add rsp, 216",
        "jmp {raise}",
        f = sym error_msg,
        raise = sym raise_top,
    )
}

/// Fallback for other targets: the format is used without its arguments.
#[cfg(not(target_arch = "x86_64"))]
#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushfstring(
    l: *mut lua_State,
    fmt: *const c_char,
) -> *const c_char {
    push_bytes(l, cbytes(fmt))
}

#[cfg(not(target_arch = "x86_64"))]
#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_error(
    l: *mut lua_State,
    fmt: *const c_char,
) -> std::ffi::c_int {
    let pos = on_thread(l, |v| v.where_(1));
    let mut m = pos.into_bytes();
    m.extend_from_slice(cbytes(fmt));
    push_bytes(l, &m);
    raise_top(l);
    0
}
