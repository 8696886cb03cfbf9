//! FFI call thunks and C callbacks generated with Cranelift (no libffi).
//!
//! The protocols are those of `lunatrace_ffi::abi`: a *thunk* for a
//! signature `S` is `extern "C-unwind" fn(target, args: *const u64, ret)`
//! that loads every argument from `args[i]`, calls `target` with the host C
//! calling convention and stores the result at `ret`; a *callback* is a
//! fresh C function of signature `S` that spills its arguments into a `u64`
//! array and calls `dispatch(ctx, args, ret)`, then returns what it finds at
//! `ret`.
//!
//! All code lives in one `JITModule` owned by [`FfiCode`]; it is never
//! freed (thunks are cached per signature, callbacks are few).
//!
//! # Lowering a C signature ([`clif_signature`])
//!
//! Scalars map one-to-one onto CLIF parameters (small integers carry a
//! `sext`/`uext` attribute so that callee code compiled by clang, which
//! relies on the caller extending them, sees proper values).
//!
//! x86-64 System V aggregates: a struct of at most 16 bytes whose leaves are
//! all naturally aligned is split into eightbytes; an eightbyte is SSE when
//! all its leaves are `float`/`double` (two floats travel together in one
//! xmm register), INTEGER otherwise. Each eightbyte becomes one `f64` or
//! `i64` CLIF parameter, so Cranelift's own allocator puts them into the
//! next xmm / general register. When the registers left do not cover the
//! *whole* struct (SysV forbids splitting), or it is larger than 16 bytes or
//! has unaligned fields (MEMORY class), it is passed as an
//! `ArgumentPurpose::StructArgument(size rounded to 8)` parameter: Cranelift
//! copies it into the outgoing stack area at the next 8-byte slot, in
//! argument order, without consuming a register — exactly SysV's rule for
//! memory arguments with alignment ≤ 8 (larger alignments are NYI). The
//! thunk first copies the struct into an 8-byte rounded stack slot so that
//! Cranelift's copy never reads past the caller's object. Results of at
//! most 16 bytes come back as one or two CLIF return values; Cranelift's
//! SysV return allocation counts integer and float registers separately
//! (rax, rdx / xmm0, xmm1), which is what the ABI wants for mixed structs
//! (`{long; double}` → rax + xmm0, `{double; long}` → xmm0 + rax). Larger
//! results use a hidden `ArgumentPurpose::StructReturn` pointer in the first
//! integer register (rdi); the thunk passes `ret` itself.
//!
//! AArch64 (AAPCS64, plausible but untested): homogeneous float aggregates
//! of 1–4 members go in consecutive v registers, other aggregates ≤ 16
//! bytes in one or two x registers, larger ones are copied by the caller and
//! passed by pointer; large results use `StructReturn` (x8). A composite that
//! would be split between registers and stack is NYI.
//!
//! # Varargs and `%al` on x86-64
//!
//! The SysV caller of a variadic function must put into `%al` an upper
//! bound (0..=8) of the number of vector registers used. Cranelift 0.135.8
//! has no notion of variadic calls and no way to pin a value into `rax`
//! for a call (rax is neither an argument register nor pinnable; the
//! `call_indirect` callee operand is allocated freely and may even land in
//! rax). So variadic calls go through a tiny hand-assembled *stub* defined
//! in the module with `define_function_bytes`:
//!
//! ```text
//!     mov  r11, <target>     ; from the next free argument register, or
//!                            ; from [rsp + 8 + offset] when all six are used
//!     mov  eax, <n>          ; n = number of xmm argument registers used
//!     jmp  r11
//! ```
//!
//! The call site passes the real target as one extra trailing `i64`
//! argument. Since Cranelift assigns registers and stack slots in parameter
//! order, that extra argument lands either in the first general register not
//! used by the real arguments or in the first stack slot after them; both
//! positions are computed by the classifier, so one stub exists per
//! (location, n). The stub is a tail jump: the callee sees exactly the
//! registers and stack the call set up (plus one ignored register or
//! trailing stack word, which a variadic callee never reads since it only
//! consumes the arguments its format names), r11 is a scratch register not
//! used for arguments, and no frame of the stub ever exists during the call,
//! so it needs no unwind info.
//!
//! # Unwinding
//!
//! cranelift-jit 0.135.8 does not register unwind info for the code it
//! emits. Every function compiled here gets its System V unwind info
//! (`CompiledCode::create_unwind_info`, flag `unwind_info` on) turned into
//! an `.eh_frame` with gimli (re-exported by cranelift-codegen) and
//! registered with `__register_frame`, so a Rust panic (a Lua error) raised
//! in a callback's dispatch function unwinds through the callback, the C
//! code that called it and the thunk. [`PendingUnwind`] makes the same
//! available to the trace compiler.

use std::collections::HashMap;

use cranelift_codegen::ir::{
    types, AbiParam, ArgumentPurpose, Function, InstBuilder, MemFlagsData, Signature,
    StackSlotData, StackSlotKind, Type, Value,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Module};
use lunatrace_ffi::abi::{AbiSig, AbiType, DispatchFn, Scalar, ThunkFn};

/// The C ABI family a signature is lowered for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Abi {
    /// x86-64 System V (Linux, BSD, macOS on Intel).
    X64SysV,
    /// AArch64 AAPCS64 (Linux). Apple's variant differs for varargs.
    Aarch64,
}

impl Abi {
    /// The ABI of the machine we run on.
    pub fn host() -> Result<Abi, String> {
        if cfg!(target_arch = "x86_64") && !cfg!(windows) {
            Ok(Abi::X64SysV)
        } else if cfg!(target_arch = "aarch64") && !cfg!(windows) {
            Ok(Abi::Aarch64)
        } else {
            Err("NYI: FFI on this architecture".into())
        }
    }

    /// The ABI of a Cranelift target.
    pub fn for_isa(isa: &dyn TargetIsa) -> Result<Abi, String> {
        match (isa.name(), isa.default_call_conv()) {
            ("x64", CallConv::SystemV) => Ok(Abi::X64SysV),
            ("aarch64", CallConv::SystemV | CallConv::AppleAarch64) => Ok(Abi::Aarch64),
            (n, cc) => Err(format!("NYI: FFI for {} / {}", n, cc)),
        }
    }

    /// The Cranelift calling convention used for C calls.
    pub fn call_conv(self) -> CallConv {
        match self {
            Abi::X64SysV => CallConv::SystemV,
            Abi::Aarch64 => {
                if cfg!(target_vendor = "apple") {
                    CallConv::AppleAarch64
                } else {
                    CallConv::SystemV
                }
            }
        }
    }
}

/// One register-sized piece of an aggregate passed or returned in a
/// register: `bytes` bytes at `offset` travel as one CLIF value of type
/// `ty` (`i64`, `f64`, or `f32` for AArch64 float aggregates). An `f64`
/// piece of fewer than 8 bytes holds the bytes in its low bits.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    pub offset: u32,
    pub bytes: u32,
    pub ty: Type,
}

/// Where one C argument goes in the CLIF signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgLoc {
    /// One CLIF parameter of type [`scalar_type`].
    Scalar { param: usize, scalar: Scalar },
    /// An aggregate in registers: CLIF parameters `param..param+pieces.len()`.
    Pieces { param: usize, pieces: Vec<Piece> },
    /// An aggregate copied onto the outgoing stack (x86-64 MEMORY class):
    /// one `StructArgument(size)` parameter whose value is the address of
    /// the bytes (`size` is rounded up to 8).
    Stack { param: usize, size: u32 },
    /// An aggregate passed by reference to a caller-owned copy (AArch64
    /// composites over 16 bytes): one pointer parameter.
    ByRef { param: usize, size: u32 },
}

/// Where the C result comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetLoc {
    Void,
    /// One CLIF return value of type [`scalar_type`].
    Scalar(Scalar),
    /// An aggregate returned in registers, one CLIF return value per piece.
    Pieces(Vec<Piece>),
    /// An aggregate returned through a hidden pointer: CLIF parameter 0 has
    /// purpose `StructReturn`, there are no CLIF return values.
    Sret {
        size: u32,
    },
}

/// Location of the real target of an x86-64 variadic call, passed as an
/// extra trailing argument to the `%al` stub.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum StubSrc {
    /// In integer argument register number `n` (0 = rdi … 5 = r9).
    Gpr(u8),
    /// In the outgoing stack argument area at this byte offset.
    Stack(u32),
}

/// The `%al` stub a variadic x86-64 call must go through.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct StubKey {
    pub src: StubSrc,
    /// The value of `%al`: the number of xmm argument registers used.
    pub al: u8,
}

/// How a C signature maps onto a CLIF signature (see [`clif_signature`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgPlan {
    pub abi: Abi,
    /// One entry per C argument (`AbiSig::args`).
    pub args: Vec<ArgLoc>,
    pub ret: RetLoc,
    /// For an x86-64 variadic call: the stub to call instead of the target;
    /// the CLIF signature then has one more trailing `i64` parameter, the
    /// real target. `None` otherwise.
    pub stub: Option<StubKey>,
}

/// The CLIF type a scalar travels as (`ptr` is the pointer type).
pub fn scalar_type(s: Scalar, ptr: Type) -> Type {
    match s {
        Scalar::I8 | Scalar::U8 => types::I8,
        Scalar::I16 | Scalar::U16 => types::I16,
        Scalar::I32 | Scalar::U32 => types::I32,
        Scalar::I64 | Scalar::U64 => types::I64,
        Scalar::F32 => types::F32,
        Scalar::F64 => types::F64,
        Scalar::Ptr => ptr,
    }
}

fn is_signed(s: Scalar) -> bool {
    matches!(s, Scalar::I8 | Scalar::I16 | Scalar::I32 | Scalar::I64)
}

fn scalar_param(s: Scalar, ptr: Type) -> AbiParam {
    let p = AbiParam::new(scalar_type(s, ptr));
    match s {
        Scalar::I8 | Scalar::I16 => p.sext(),
        Scalar::U8 | Scalar::U16 => p.uext(),
        _ => p,
    }
}

fn round8(n: u32) -> u32 {
    n.div_ceil(8) * 8
}

/// SysV x86-64 classification of an aggregate: its register pieces, or
/// `None` for the MEMORY class.
fn classify_x64(size: u32, fields: &[(u32, Scalar)]) -> Option<Vec<Piece>> {
    if size == 0 || size > 16 {
        return None;
    }
    if fields.iter().any(|&(off, s)| off % s.size() != 0) {
        return None;
    }
    let mut pieces = Vec::new();
    for lo in (0..size).step_by(8) {
        let hi = (lo + 8).min(size);
        let mut any = false;
        let mut all_float = true;
        for &(off, s) in fields {
            if off >= lo && off < hi {
                any = true;
                all_float &= s.is_float();
            }
        }
        if !any {
            // NO_CLASS (padding only): not passed.
            continue;
        }
        let ty = if all_float { types::F64 } else { types::I64 };
        pieces.push(Piece {
            offset: lo,
            bytes: hi - lo,
            ty,
        });
    }
    Some(pieces)
}

/// AAPCS64 classification: register pieces (HFA members or up to two
/// doublewords), or `None` when passed by reference / in memory.
fn classify_a64(size: u32, fields: &[(u32, Scalar)]) -> Option<Vec<Piece>> {
    if size == 0 {
        return None;
    }
    if let Some(&(_, first)) = fields.first() {
        let n = fields.len() as u32;
        if first.is_float()
            && (1..=4).contains(&n)
            && fields.iter().all(|&(_, s)| s == first)
            && n * first.size() == size
        {
            let mut f: Vec<u32> = fields.iter().map(|&(o, _)| o).collect();
            f.sort_unstable();
            f.dedup();
            if f.len() as u32 == n {
                let ty = if first == Scalar::F32 {
                    types::F32
                } else {
                    types::F64
                };
                return Some(
                    f.into_iter()
                        .map(|offset| Piece {
                            offset,
                            bytes: first.size(),
                            ty,
                        })
                        .collect(),
                );
            }
        }
    }
    if size > 16 {
        return None;
    }
    Some(
        (0..size)
            .step_by(8)
            .map(|lo| Piece {
                offset: lo,
                bytes: (size - lo).min(8),
                ty: types::I64,
            })
            .collect(),
    )
}

/// Lower a C signature to a CLIF signature for `abi` and describe where
/// each argument and the result go.
///
/// The CLIF parameters are, in order: the hidden result pointer when
/// `plan.ret` is [`RetLoc::Sret`] (purpose `StructReturn`), then the
/// parameters of each argument as described by `plan.args`, then — for an
/// x86-64 variadic call — one `i64`, the real target for the `%al` stub
/// (`plan.stub`). The same signature describes a callee (used for
/// callbacks) except that callbacks may not be variadic.
pub fn clif_signature(sig: &AbiSig, abi: Abi, ptr: Type) -> Result<(Signature, ArgPlan), String> {
    let mut cs = Signature::new(abi.call_conv());
    let (ngpr, nvec) = (
        match abi {
            Abi::X64SysV => 6u32,
            Abi::Aarch64 => 8,
        },
        8u32,
    );
    let (mut gprs, mut vecs, mut stack) = (0u32, 0u32, 0u32);
    let ret = match &sig.ret {
        None => RetLoc::Void,
        Some(AbiType::Scalar(s)) => {
            cs.returns.push(scalar_param(*s, ptr));
            RetLoc::Scalar(*s)
        }
        Some(AbiType::Struct { size, fields, .. }) => {
            let pieces = match abi {
                Abi::X64SysV => classify_x64(*size, fields),
                Abi::Aarch64 => classify_a64(*size, fields),
            };
            match pieces {
                Some(p) => {
                    cs.returns.extend(p.iter().map(|pc| AbiParam::new(pc.ty)));
                    RetLoc::Pieces(p)
                }
                None => {
                    cs.params
                        .push(AbiParam::special(ptr, ArgumentPurpose::StructReturn));
                    if abi == Abi::X64SysV {
                        gprs += 1;
                    }
                    RetLoc::Sret { size: *size }
                }
            }
        }
    };
    let mut args = Vec::with_capacity(sig.args.len());
    for (i, a) in sig.args.iter().enumerate() {
        let param = cs.params.len();
        let variadic = i >= sig.nfixed;
        match a {
            AbiType::Scalar(s) => {
                if variadic && abi == Abi::Aarch64 && cfg!(target_vendor = "apple") {
                    return Err("NYI: variadic calls on Apple AArch64".into());
                }
                cs.params.push(scalar_param(*s, ptr));
                let (used, max) = if s.is_float() {
                    (&mut vecs, nvec)
                } else {
                    (&mut gprs, ngpr)
                };
                if *used < max {
                    *used += 1;
                } else {
                    stack += 8;
                }
                args.push(ArgLoc::Scalar { param, scalar: *s });
            }
            AbiType::Struct {
                size,
                align,
                fields,
            } => {
                let pieces = match abi {
                    Abi::X64SysV => classify_x64(*size, fields),
                    Abi::Aarch64 => classify_a64(*size, fields),
                };
                let Some(pieces) = pieces else {
                    match abi {
                        Abi::X64SysV => {
                            if *align > 8 {
                                return Err(
                                    "NYI: struct argument with alignment over 8 in memory".into()
                                );
                            }
                            let size = round8(*size);
                            cs.params.push(AbiParam::special(
                                ptr,
                                ArgumentPurpose::StructArgument(size),
                            ));
                            stack += size;
                            args.push(ArgLoc::Stack { param, size });
                        }
                        Abi::Aarch64 => {
                            cs.params.push(AbiParam::new(ptr));
                            if gprs < ngpr {
                                gprs += 1;
                            } else {
                                stack += 8;
                            }
                            args.push(ArgLoc::ByRef { param, size: *size });
                        }
                    }
                    continue;
                };
                let ni = pieces.iter().filter(|p| p.ty == types::I64).count() as u32;
                let nf = pieces.len() as u32 - ni;
                if gprs + ni <= ngpr && vecs + nf <= nvec {
                    gprs += ni;
                    vecs += nf;
                    cs.params
                        .extend(pieces.iter().map(|pc| AbiParam::new(pc.ty)));
                    args.push(ArgLoc::Pieces { param, pieces });
                } else {
                    match abi {
                        Abi::X64SysV => {
                            // Not enough registers for the whole struct: it
                            // goes on the stack, registers stay available.
                            let size = round8(*size);
                            cs.params.push(AbiParam::special(
                                ptr,
                                ArgumentPurpose::StructArgument(size),
                            ));
                            stack += size;
                            args.push(ArgLoc::Stack { param, size });
                        }
                        Abi::Aarch64 => {
                            return Err(
                                "NYI: AArch64 composite argument split between registers and stack"
                                    .into(),
                            )
                        }
                    }
                }
            }
        }
    }
    let stub = if sig.is_vararg() && abi == Abi::X64SysV {
        let src = if gprs < ngpr {
            StubSrc::Gpr(gprs as u8)
        } else {
            StubSrc::Stack(stack)
        };
        cs.params.push(AbiParam::new(types::I64));
        Some(StubKey {
            src,
            al: vecs as u8,
        })
    } else {
        None
    };
    Ok((
        cs,
        ArgPlan {
            abi,
            args,
            ret,
            stub,
        },
    ))
}

/// Machine code of the x86-64 `%al` stub for `key` (see the module doc).
pub(crate) fn stub_bytes(key: StubKey) -> Vec<u8> {
    let mut c = Vec::with_capacity(24);
    match key.src {
        StubSrc::Gpr(n) => {
            // mov r11, reg  (REX.W [+R] 89 /r, rm = r11)
            let reg: u8 = [7, 6, 2, 1, 8, 9][n as usize];
            c.push(0x49 | if reg >= 8 { 0x04 } else { 0 });
            c.push(0x89);
            c.push(0xC0 | ((reg & 7) << 3) | 3);
        }
        StubSrc::Stack(off) => {
            // mov r11, [rsp + disp32]  (REX.WR 8B /r, SIB base rsp)
            c.extend([0x4C, 0x8B, 0x9C, 0x24]);
            c.extend((8 + off).to_le_bytes());
        }
    }
    // mov eax, imm32
    c.push(0xB8);
    c.extend(u32::from(key.al).to_le_bytes());
    // jmp r11
    c.extend([0x41, 0xFF, 0xE3]);
    c
}

/// Bytes covered by register pieces stored whole (at least 16).
fn pieces_extent(pieces: &[Piece]) -> u32 {
    pieces
        .iter()
        .map(|p| p.offset + p.ty.bytes())
        .max()
        .unwrap_or(0)
        .max(16)
}

const MF: MemFlagsData = MemFlagsData::trusted();
const BC: MemFlagsData = MemFlagsData::new();

/// Load `n` (1..=8) bytes at `ptr + off` as the low bytes of an `i64`
/// without reading past them (little-endian).
fn load_bytes(b: &mut FunctionBuilder, ptr: Value, off: u32, n: u32) -> Value {
    if n >= 8 {
        return b.ins().load(types::I64, MF, ptr, off as i32);
    }
    let mut acc: Option<Value> = None;
    let mut pos = 0;
    for chunk in [4u32, 2, 1] {
        if n - pos >= chunk {
            let at = (off + pos) as i32;
            let v = match chunk {
                4 => b.ins().uload32(MF, ptr, at),
                2 => b.ins().uload16(types::I64, MF, ptr, at),
                _ => b.ins().uload8(types::I64, MF, ptr, at),
            };
            let v = if pos > 0 {
                b.ins().ishl_imm_u(v, i64::from(pos * 8))
            } else {
                v
            };
            acc = Some(match acc {
                Some(a) => b.ins().bor(a, v),
                None => v,
            });
            pos += chunk;
        }
    }
    acc.expect("load of at least one byte")
}

/// Copy `size` bytes from `src` into a new 8-byte-aligned stack slot
/// (rounded up to 8 bytes) and return the slot's address.
fn copy_to_slot(b: &mut FunctionBuilder, ptr: Type, src: Value, size: u32) -> Value {
    let slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        round8(size).max(8),
        3,
    ));
    for off in (0..size).step_by(8) {
        let v = load_bytes(b, src, off, (size - off).min(8));
        b.ins().stack_store(ptr, v, slot, off as i32);
    }
    b.ins().stack_addr(ptr, slot, 0)
}

/// Convert a 64-bit argument slot to the CLIF value of scalar `s`.
fn from_slot(b: &mut FunctionBuilder, s: Scalar, ptr: Type, v: Value) -> Value {
    match scalar_type(s, ptr) {
        types::I64 => v,
        types::F64 => b.ins().bitcast(types::F64, BC, v),
        types::F32 => {
            let w = b.ins().ireduce(types::I32, v);
            b.ins().bitcast(types::F32, BC, w)
        }
        t => b.ins().ireduce(t, v),
    }
}

/// Convert a scalar's CLIF value to its 64-bit argument slot (integers
/// zero/sign-extended, floats as their bits).
fn to_slot(b: &mut FunctionBuilder, s: Scalar, ptr: Type, v: Value) -> Value {
    match scalar_type(s, ptr) {
        types::I64 => v,
        types::F64 => b.ins().bitcast(types::I64, BC, v),
        types::F32 => {
            let w = b.ins().bitcast(types::I32, BC, v);
            b.ins().uextend(types::I64, w)
        }
        t if t.bits() < 64 && is_signed(s) => b.ins().sextend(types::I64, v),
        t if t.bits() < 64 => b.ins().uextend(types::I64, v),
        _ => v,
    }
}

/// Convert an `i64` holding a piece's bytes to the piece's CLIF type.
fn piece_from_i64(b: &mut FunctionBuilder, ty: Type, v: Value) -> Value {
    match ty {
        types::F64 => b.ins().bitcast(types::F64, BC, v),
        types::F32 => {
            let w = b.ins().ireduce(types::I32, v);
            b.ins().bitcast(types::F32, BC, w)
        }
        _ => v,
    }
}

/// Emit the call of `callee` with the already lowered CLIF `params`
/// (matching `cs` minus the stub's trailing target argument), routing it
/// through the `%al` stub at address `stub` when the plan needs one.
fn emit_call_raw(
    b: &mut FunctionBuilder,
    cs: &Signature,
    plan: &ArgPlan,
    callee: Value,
    mut params: Vec<Value>,
    stub: Option<usize>,
) -> Result<Vec<Value>, String> {
    let callee = match (plan.stub, stub) {
        (None, _) => callee,
        (Some(_), Some(addr)) => {
            params.push(callee);
            b.ins().iconst(types::I64, addr as i64)
        }
        (Some(_), None) => {
            return Err("variadic x86-64 call needs the %al stub (FfiCode::vararg_stub)".into())
        }
    };
    let sref = b.import_signature(cs.clone());
    let call = b.ins().call_indirect(sref, callee, &params);
    Ok(b.inst_results(call).to_vec())
}

/// Emit a C call of `target` for a scalar-only signature `sig` (for the
/// trace compiler).
///
/// - `args[i]` must have the CLIF type `scalar_type(sig.args[i], ptr)`
///   (`ptr` = `b.func.dfg`'s pointer type, e.g. `types::I64`); small
///   integers need no extension, the call extends them as the ABI wants.
/// - `target` is the function's address (pointer type).
/// - For an x86-64 variadic signature `stub` must be the address returned
///   by [`FfiCode::vararg_stub`] for `sig` (it sets `%al`); `None` is fine
///   otherwise.
/// - Returns the result value (of type `scalar_type(ret, ptr)`) or `None`
///   for `void`. Struct arguments or results are an error here (use a
///   thunk).
///
/// The emitted code is an ordinary `call_indirect`; a panic unwinding out
/// of the callee passes through the caller if the caller's unwind info is
/// registered (see [`PendingUnwind`]).
pub fn emit_scalar_call(
    b: &mut FunctionBuilder,
    abi: Abi,
    ptr: Type,
    sig: &AbiSig,
    target: Value,
    args: &[Value],
    stub: Option<usize>,
) -> Result<Option<Value>, String> {
    if sig.args.len() != args.len() {
        return Err("emit_scalar_call: argument count mismatch".into());
    }
    let (cs, plan) = clif_signature(sig, abi, ptr)?;
    if !plan.args.iter().all(|a| matches!(a, ArgLoc::Scalar { .. }))
        || !matches!(plan.ret, RetLoc::Void | RetLoc::Scalar(_))
    {
        return Err("emit_scalar_call: struct argument or result".into());
    }
    let r = emit_call_raw(b, &cs, &plan, target, args.to_vec(), stub)?;
    Ok(r.first().copied())
}

/// Build the thunk for a lowered signature into `func` (see the thunk
/// protocol in `lunatrace_ffi::abi`); `stub` is the `%al` stub address when
/// `plan.stub` is set.
pub fn build_thunk(
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    fc: TargetFrontendConfig,
    cs: &Signature,
    plan: &ArgPlan,
    stub: Option<usize>,
) {
    let ptr = fc.pointer_type();
    func.signature = Signature::new(plan.abi.call_conv());
    for _ in 0..3 {
        func.signature.params.push(AbiParam::new(ptr));
    }
    {
        let mut b = FunctionBuilder::new(func, fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let (target, argv, ret) = {
            let p = b.block_params(entry);
            (p[0], p[1], p[2])
        };
        let mut params = Vec::with_capacity(cs.params.len());
        if let RetLoc::Sret { .. } = plan.ret {
            params.push(ret);
        }
        for (i, loc) in plan.args.iter().enumerate() {
            let slot = b.ins().load(types::I64, MF, argv, (8 * i) as i32);
            match loc {
                ArgLoc::Scalar { scalar, .. } => {
                    let v = from_slot(&mut b, *scalar, ptr, slot);
                    params.push(v);
                }
                ArgLoc::Pieces { pieces, .. } => {
                    for pc in pieces {
                        let v = load_bytes(&mut b, slot, pc.offset, pc.bytes);
                        let v = piece_from_i64(&mut b, pc.ty, v);
                        params.push(v);
                    }
                }
                ArgLoc::Stack { size, .. } | ArgLoc::ByRef { size, .. } => {
                    let a = copy_to_slot(&mut b, ptr, slot, *size);
                    params.push(a);
                }
            }
        }
        let results =
            emit_call_raw(&mut b, cs, plan, target, params, stub).expect("stub address supplied");
        match &plan.ret {
            RetLoc::Void | RetLoc::Sret { .. } => {}
            RetLoc::Scalar(_) => {
                b.ins().store(MF, results[0], ret, 0);
            }
            RetLoc::Pieces(pieces) => {
                // `ret` has room for 16 bytes: store whole pieces.
                for (pc, &v) in pieces.iter().zip(results.iter()) {
                    b.ins().store(MF, v, ret, pc.offset as i32);
                }
            }
        }
        b.ins().return_(&[]);
        b.finalize(fc);
    }
}

/// Build a callback for a lowered (non-variadic) signature into `func`:
/// it calls the dispatch function at address `dispatch` with `ctx` (see the
/// callback protocol in `lunatrace_ffi::abi`).
pub fn build_callback(
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    fc: TargetFrontendConfig,
    sig: &AbiSig,
    (cs, plan): (Signature, &ArgPlan),
    dispatch: usize,
    ctx: usize,
) {
    let ptr = fc.pointer_type();
    func.signature = cs;
    {
        let mut b = FunctionBuilder::new(func, fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let ps = b.block_params(entry).to_vec();
        let nargs = sig.args.len() as u32;
        let argv = b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            (8 * nargs).max(8),
            3,
        ));
        for (i, loc) in plan.args.iter().enumerate() {
            let at = (8 * i) as i32;
            match loc {
                ArgLoc::Scalar { param, scalar } => {
                    let v = to_slot(&mut b, *scalar, ptr, ps[*param]);
                    b.ins().stack_store(ptr, v, argv, at);
                }
                ArgLoc::Pieces { param, pieces } => {
                    let s = b.create_sized_stack_slot(StackSlotData::new(
                        StackSlotKind::ExplicitSlot,
                        pieces_extent(pieces),
                        3,
                    ));
                    for (k, pc) in pieces.iter().enumerate() {
                        b.ins().stack_store(ptr, ps[param + k], s, pc.offset as i32);
                    }
                    let a = b.ins().stack_addr(ptr, s, 0);
                    b.ins().stack_store(ptr, a, argv, at);
                }
                ArgLoc::Stack { param, .. } | ArgLoc::ByRef { param, .. } => {
                    b.ins().stack_store(ptr, ps[*param], argv, at);
                }
            }
        }
        let retp = match plan.ret {
            // Room for max(size, 16) bytes: the caller's buffer.
            RetLoc::Sret { .. } => ps[0],
            _ => {
                let size = match &sig.ret {
                    Some(AbiType::Struct { size, .. }) => round8(*size).max(16),
                    _ => 16,
                };
                let s = b.create_sized_stack_slot(StackSlotData::new(
                    StackSlotKind::ExplicitSlot,
                    size,
                    4,
                ));
                b.ins().stack_addr(ptr, s, 0)
            }
        };
        let argp = b.ins().stack_addr(ptr, argv, 0);
        let mut dsig = Signature::new(plan.abi.call_conv());
        for _ in 0..3 {
            dsig.params.push(AbiParam::new(ptr));
        }
        let dref = b.import_signature(dsig);
        let callee = b.ins().iconst(ptr, dispatch as i64);
        let c = b.ins().iconst(ptr, ctx as i64);
        b.ins().call_indirect(dref, callee, &[c, argp, retp]);
        let mut rets = Vec::new();
        match &plan.ret {
            RetLoc::Void | RetLoc::Sret { .. } => {}
            RetLoc::Scalar(s) => {
                rets.push(b.ins().load(scalar_type(*s, ptr), MF, retp, 0));
            }
            RetLoc::Pieces(pieces) => {
                for pc in pieces {
                    let v = if pc.ty == types::F32 {
                        b.ins().load(types::F32, MF, retp, pc.offset as i32)
                    } else {
                        let v = b.ins().load(types::I64, MF, retp, pc.offset as i32);
                        piece_from_i64(&mut b, pc.ty, v)
                    };
                    rets.push(v);
                }
            }
        }
        b.ins().return_(&rets);
        b.finalize(fc);
    }
}

/// Unwind information of a just compiled function whose address is not
/// known yet (take it before `clear_context`, register it after
/// `finalize_definitions`).
pub struct PendingUnwind {
    info: cranelift_codegen::isa::unwind::systemv::UnwindInfo,
    cie: cranelift_codegen::gimli::write::CommonInformationEntry,
}

impl PendingUnwind {
    /// The System V unwind info of the function compiled in `ctx`, or
    /// `None` when the ISA produces none (flag `unwind_info` off, Windows).
    pub fn of(
        isa: &dyn TargetIsa,
        ctx: &cranelift_codegen::Context,
    ) -> Result<Option<PendingUnwind>, String> {
        use cranelift_codegen::isa::unwind::UnwindInfo;
        let Some(code) = ctx.compiled_code() else {
            return Err("PendingUnwind::of: function not compiled".into());
        };
        let info = code
            .create_unwind_info(isa)
            .map_err(|e| format!("unwind info: {:?}", e))?;
        match (info, isa.create_systemv_cie()) {
            (Some(UnwindInfo::SystemV(info)), Some(cie)) => Ok(Some(PendingUnwind { info, cie })),
            _ => Ok(None),
        }
    }

    /// Write the `.eh_frame` for the function placed at `addr` and register
    /// it with the unwinder.
    pub fn register(self, addr: *const u8) -> Result<EhFrameRegistration, String> {
        use cranelift_codegen::gimli::write::{Address, EhFrame, EndianVec, FrameTable};
        use cranelift_codegen::gimli::RunTimeEndian;
        let mut table = FrameTable::default();
        let cie = table.add_cie(self.cie);
        table.add_fde(cie, self.info.to_fde(Address::Constant(addr as u64)));
        let endian = if cfg!(target_endian = "little") {
            RunTimeEndian::Little
        } else {
            RunTimeEndian::Big
        };
        let mut eh = EhFrame(EndianVec::new(endian));
        table
            .write_eh_frame(&mut eh)
            .map_err(|e| format!("eh_frame: {}", e))?;
        let mut bytes = eh.0.take();
        // Zero-length terminator (libgcc walks until it).
        bytes.extend([0u8; 4]);
        let bytes = bytes.into_boxed_slice();
        // SAFETY: `bytes` is a well-formed .eh_frame (one CIE, one FDE,
        // terminator) describing code that stays mapped while the
        // registration lives; the box is kept alive until deregistration.
        unsafe { register_frames(&bytes) };
        Ok(EhFrameRegistration { bytes })
    }
}

extern "C" {
    fn __register_frame(begin: *const u8);
    fn __deregister_frame(begin: *const u8);
}

/// Register an `.eh_frame` section. libgcc takes the whole section; LLVM's
/// libunwind (macOS) takes one FDE at a time.
///
/// # Safety
///
/// `bytes` must be a valid `.eh_frame` describing mapped code, and must
/// stay alive and unchanged until it is deregistered.
unsafe fn register_frames(bytes: &[u8]) {
    if cfg!(target_os = "macos") {
        for_each_fde(bytes, |p| {
            // SAFETY: `p` points at an FDE inside `bytes` (see caller).
            unsafe { __register_frame(p) }
        });
    } else {
        // SAFETY: see the function's contract.
        unsafe { __register_frame(bytes.as_ptr()) };
    }
}

/// Calls `f` with the address of every FDE in `bytes` (CIEs skipped).
fn for_each_fde(bytes: &[u8], mut f: impl FnMut(*const u8)) {
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let len = u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if len == 0 {
            break;
        }
        let id = u32::from_ne_bytes(bytes[at + 4..at + 8].try_into().unwrap());
        if id != 0 {
            f(bytes[at..].as_ptr());
        }
        at += 4 + len;
    }
}

/// A registered `.eh_frame`; dropping it deregisters it (do that before the
/// code it describes is freed).
pub struct EhFrameRegistration {
    bytes: Box<[u8]>,
}

impl Drop for EhFrameRegistration {
    fn drop(&mut self) {
        if cfg!(target_os = "macos") {
            for_each_fde(&self.bytes, |p| {
                // SAFETY: `p` is an FDE registered by `register_frames`.
                unsafe { __deregister_frame(p) }
            });
        } else {
            // SAFETY: these exact bytes were registered by `register`.
            unsafe { __deregister_frame(self.bytes.as_ptr()) };
        }
    }
}

/// The code memory for FFI thunks, callbacks and `%al` stubs: one
/// `JITModule`, never freed.
pub struct FfiCode {
    module: JITModule,
    abi: Abi,
    ptr: Type,
    fctx: FunctionBuilderContext,
    thunks: HashMap<AbiSig, ThunkFn>,
    stubs: HashMap<StubKey, usize>,
    /// Unwind registrations of everything compiled here (kept for the
    /// lifetime of the process, like the code).
    frames: Vec<EhFrameRegistration>,
}

impl Drop for FfiCode {
    fn drop(&mut self) {
        // The code is never freed (thunks and callbacks may have escaped
        // into C), so neither is its unwind info.
        std::mem::forget(std::mem::take(&mut self.frames));
    }
}

impl FfiCode {
    /// Code memory for the host ISA (same settings as the trace modules,
    /// plus unwind info).
    pub fn new() -> Result<FfiCode, String> {
        let mut fb = settings::builder();
        let e = |e: settings::SetError| e.to_string();
        fb.set("opt_level", "speed").map_err(e)?;
        fb.set("use_colocated_libcalls", "false").map_err(e)?;
        fb.set("is_pic", "false").map_err(e)?;
        fb.set("unwind_info", "true").map_err(e)?;
        let verify = if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        };
        fb.set("enable_verifier", verify).map_err(e)?;
        let isa_b = cranelift_native::builder().map_err(|e| e.to_string())?;
        let isa = isa_b
            .finish(settings::Flags::new(fb))
            .map_err(|e| e.to_string())?;
        let abi = Abi::for_isa(&*isa)?;
        let ptr = isa.pointer_type();
        Ok(FfiCode {
            module: JITModule::new(JITBuilder::with_isa(isa, default_libcall_names())),
            abi,
            ptr,
            fctx: FunctionBuilderContext::new(),
            thunks: HashMap::new(),
            stubs: HashMap::new(),
            frames: Vec::new(),
        })
    }

    /// The ABI the code is generated for.
    pub fn abi(&self) -> Abi {
        self.abi
    }

    /// Compile the function in `ctx`, register its unwind info, return its
    /// address.
    fn finish(&mut self, ctx: &mut cranelift_codegen::Context) -> Result<*const u8, String> {
        let id = self
            .module
            .declare_anonymous_function(&ctx.func.signature)
            .map_err(|e| e.to_string())?;
        self.module
            .define_function(id, ctx)
            .map_err(|e| format!("{:?}", e))?;
        let unwind = PendingUnwind::of(self.module.isa(), ctx)?;
        self.module.clear_context(ctx);
        self.module
            .finalize_definitions()
            .map_err(|e| e.to_string())?;
        let code = self.module.get_finalized_function(id);
        if let Some(u) = unwind {
            self.frames.push(u.register(code)?);
        }
        Ok(code)
    }

    /// Address of the x86-64 `%al` stub for a variadic signature, or `None`
    /// when `sig` needs none (not variadic, or not x86-64). Pass it to
    /// [`emit_scalar_call`].
    pub fn vararg_stub(&mut self, sig: &AbiSig) -> Result<Option<usize>, String> {
        let (_, plan) = clif_signature(sig, self.abi, self.ptr)?;
        match plan.stub {
            None => Ok(None),
            Some(key) => self.stub(key).map(Some),
        }
    }

    fn stub(&mut self, key: StubKey) -> Result<usize, String> {
        if let Some(&a) = self.stubs.get(&key) {
            return Ok(a);
        }
        let sig = Signature::new(self.abi.call_conv());
        let id = self
            .module
            .declare_anonymous_function(&sig)
            .map_err(|e| e.to_string())?;
        self.module
            .define_function_bytes(id, 16, &stub_bytes(key), &[])
            .map_err(|e| e.to_string())?;
        self.module
            .finalize_definitions()
            .map_err(|e| e.to_string())?;
        let a = self.module.get_finalized_function(id) as usize;
        self.stubs.insert(key, a);
        Ok(a)
    }

    /// The call thunk for `sig` (cached): see `lunatrace_ffi::abi`.
    pub fn thunk(&mut self, sig: &AbiSig) -> Result<ThunkFn, String> {
        if let Some(&t) = self.thunks.get(sig) {
            return Ok(t);
        }
        let ptr = self.ptr;
        let (cs, plan) = clif_signature(sig, self.abi, ptr)?;
        let stub = match plan.stub {
            Some(k) => Some(self.stub(k)?),
            None => None,
        };
        let fc = self.module.isa().frontend_config();
        let mut ctx = self.module.make_context();
        build_thunk(&mut ctx.func, &mut self.fctx, fc, &cs, &plan, stub);
        let code = self.finish(&mut ctx)?;
        // SAFETY: the function was built with exactly the `ThunkFn`
        // signature (three pointers, no result, host C convention) and has
        // registered unwind info, so unwinding through it is allowed.
        let t = unsafe { std::mem::transmute::<*const u8, ThunkFn>(code) };
        self.thunks.insert(sig.clone(), t);
        Ok(t)
    }

    /// A new C function of signature `sig` that calls
    /// `dispatch(ctx, args, ret)` (see `lunatrace_ffi::abi`). Never freed.
    pub fn callback(
        &mut self,
        sig: &AbiSig,
        dispatch: DispatchFn,
        ctx: usize,
    ) -> Result<*const u8, String> {
        if sig.is_vararg() {
            return Err("NYI: variadic callback".into());
        }
        let (cs, plan) = clif_signature(sig, self.abi, self.ptr)?;
        let fc = self.module.isa().frontend_config();
        let mut cctx = self.module.make_context();
        build_callback(
            &mut cctx.func,
            &mut self.fctx,
            fc,
            sig,
            (cs, &plan),
            dispatch as usize,
            ctx,
        );
        self.finish(&mut cctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Scalar::*;

    fn st(size: u32, fields: &[(u32, Scalar)]) -> AbiType {
        AbiType::Struct {
            size,
            align: 8,
            fields: fields.to_vec(),
        }
    }

    fn sigs() -> Vec<AbiSig> {
        let s = AbiType::Scalar;
        let dd = st(16, &[(0, F64), (8, F64)]);
        let fff = st(12, &[(0, F32), (4, F32), (8, F32)]);
        let d4 = st(32, &[(0, F64), (8, F64), (16, F64), (24, F64)]);
        let l3 = st(24, &[(0, I64), (8, I64), (16, I64)]);
        let ci = st(8, &[(0, I8), (4, I32)]);
        vec![
            AbiSig {
                args: vec![s(I8), s(U16), s(F32), s(F64), s(Ptr)],
                ret: Some(s(I8)),
                nfixed: 5,
            },
            AbiSig {
                args: vec![dd.clone(), fff.clone(), l3.clone(), ci.clone()],
                ret: Some(d4.clone()),
                nfixed: 4,
            },
            AbiSig {
                args: vec![d4.clone(), s(F64), s(F64), s(F64), s(F64)],
                ret: Some(d4.clone()),
                nfixed: 5,
            },
            AbiSig {
                args: vec![fff.clone(), ci],
                ret: Some(fff),
                nfixed: 2,
            },
            AbiSig {
                args: vec![l3.clone()],
                ret: Some(l3),
                nfixed: 1,
            },
            AbiSig {
                args: vec![s(I64); 12],
                ret: Some(dd),
                nfixed: 12,
            },
        ]
    }

    fn compile_for(triple: &str) {
        let mut fb = settings::builder();
        fb.set("unwind_info", "true").unwrap();
        fb.set("enable_verifier", "true").unwrap();
        let isa = cranelift_codegen::isa::lookup_by_name(triple)
            .unwrap()
            .finish(settings::Flags::new(fb))
            .unwrap();
        let abi = Abi::for_isa(&*isa).unwrap();
        let fc = isa.frontend_config();
        let mut fctx = FunctionBuilderContext::new();
        for sig in sigs() {
            let (cs, plan) = clif_signature(&sig, abi, fc.pointer_type()).unwrap();
            let stub = plan.stub.map(|_| 0x1000usize);
            let mut f = Function::new();
            build_thunk(&mut f, &mut fctx, fc, &cs, &plan, stub);
            let mut ctx = cranelift_codegen::Context::for_function(f);
            ctx.compile(&*isa, &mut Default::default())
                .unwrap_or_else(|e| panic!("{} thunk {:?}: {:?}", triple, sig, e.inner));
            assert!(PendingUnwind::of(&*isa, &ctx).unwrap().is_some());
            let mut f = Function::new();
            build_callback(&mut f, &mut fctx, fc, &sig, (cs, &plan), 0x2000, 7);
            let mut ctx = cranelift_codegen::Context::for_function(f);
            ctx.compile(&*isa, &mut Default::default())
                .unwrap_or_else(|e| panic!("{} callback {:?}: {:?}", triple, sig, e.inner));
        }
    }

    #[test]
    fn thunks_and_callbacks_compile_for_x64_and_aarch64() {
        compile_for("x86_64-unknown-linux-gnu");
        compile_for("aarch64-unknown-linux-gnu");
    }

    #[test]
    fn x64_classification() {
        let (cs, plan) = clif_signature(
            &AbiSig {
                args: vec![
                    st(8, &[(0, F32), (4, I32)]),
                    st(12, &[(0, F32), (4, F32), (8, F32)]),
                ],
                ret: Some(st(16, &[(0, I64), (8, F64)])),
                nfixed: 2,
            },
            Abi::X64SysV,
            types::I64,
        )
        .unwrap();
        let tys: Vec<Type> = cs.params.iter().map(|p| p.value_type).collect();
        assert_eq!(tys, [types::I64, types::F64, types::F64]);
        let rets: Vec<Type> = cs.returns.iter().map(|p| p.value_type).collect();
        assert_eq!(rets, [types::I64, types::F64]);
        assert_eq!(plan.stub, None);
        // Unaligned (packed) fields and > 16 bytes: memory.
        assert_eq!(classify_x64(6, &[(0, I16), (2, I32)]), None);
        assert_eq!(classify_x64(24, &[(0, I64), (8, I64), (16, I64)]), None);
        // Variadic: the stub finds the target after the used registers.
        let s = AbiType::Scalar;
        let (_, plan) = clif_signature(
            &AbiSig {
                args: vec![s(Ptr), s(F64), s(I32)],
                ret: None,
                nfixed: 1,
            },
            Abi::X64SysV,
            types::I64,
        )
        .unwrap();
        assert_eq!(
            plan.stub,
            Some(StubKey {
                src: StubSrc::Gpr(2),
                al: 1
            })
        );
    }

    #[test]
    fn aarch64_classification() {
        let d4 = [(0, F64), (8, F64), (16, F64), (24, F64)];
        assert_eq!(classify_a64(32, &d4).map(|p| p.len()), Some(4));
        assert_eq!(classify_a64(24, &[(0, I64), (8, I64), (16, I64)]), None);
        let p = classify_a64(12, &[(0, F32), (4, I32), (8, F32)]).unwrap();
        assert_eq!(
            p.iter().map(|p| p.ty).collect::<Vec<_>>(),
            [types::I64, types::I64]
        );
    }

    extern "C" {
        fn snprintf(buf: *mut u8, n: usize, fmt: *const u8, ...) -> i32;
    }

    /// `emit_scalar_call` from a function in another module (as the trace
    /// compiler uses it): `f(buf, x, n) = snprintf(buf, 64, "%g|%d", x, n)`.
    #[test]
    fn emit_scalar_call_variadic_from_another_module() {
        let mut code = FfiCode::new().unwrap();
        let s = AbiType::Scalar;
        let sig = AbiSig {
            args: vec![s(Ptr), s(U64), s(Ptr), s(F64), s(I32)],
            ret: Some(s(I32)),
            nfixed: 3,
        };
        let stub = code.vararg_stub(&sig).unwrap();
        assert!(stub.is_some());
        let mut fb = settings::builder();
        fb.set("enable_verifier", "true").unwrap();
        let isa = cranelift_native::builder()
            .unwrap()
            .finish(settings::Flags::new(fb))
            .unwrap();
        let mut m = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
        let fc = m.isa().frontend_config();
        let ptr = fc.pointer_type();
        let mut ctx = m.make_context();
        let mut fctx = FunctionBuilderContext::new();
        ctx.func.signature.params = vec![
            AbiParam::new(ptr),
            AbiParam::new(types::F64),
            AbiParam::new(types::I32),
        ];
        ctx.func.signature.returns = vec![AbiParam::new(types::I32)];
        let fmt = b"%g|%d\0";
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let e = b.create_block();
            b.append_block_params_for_function_params(e);
            b.switch_to_block(e);
            b.seal_block(e);
            let p = b.block_params(e).to_vec();
            let n = b.ins().iconst(types::I64, 64);
            let f = b.ins().iconst(ptr, fmt.as_ptr() as i64);
            let t = b.ins().iconst(ptr, snprintf as *const () as i64);
            let r = emit_scalar_call(
                &mut b,
                code.abi(),
                ptr,
                &sig,
                t,
                &[p[0], n, f, p[1], p[2]],
                stub,
            )
            .unwrap()
            .unwrap();
            b.ins().return_(&[r]);
            b.finalize(fc);
        }
        let id = m.declare_anonymous_function(&ctx.func.signature).unwrap();
        m.define_function(id, &mut ctx).unwrap();
        let unwind = PendingUnwind::of(m.isa(), &ctx).unwrap();
        m.clear_context(&mut ctx);
        m.finalize_definitions().unwrap();
        let addr = m.get_finalized_function(id);
        let reg = unwind.map(|u| u.register(addr).unwrap());
        // SAFETY: built with exactly this signature.
        let f = unsafe {
            std::mem::transmute::<*const u8, unsafe extern "C" fn(*mut u8, f64, i32) -> i32>(addr)
        };
        let mut buf = [0u8; 64];
        // SAFETY: `buf` has the 64 bytes the call promises snprintf.
        let n = unsafe { f(buf.as_mut_ptr(), 2.5, -7) };
        assert_eq!(&buf[..n as usize], b"2.5|-7");
        drop(reg);
        // SAFETY: the function is not running and its unwind info is gone.
        unsafe { m.free_memory() };
    }
}
