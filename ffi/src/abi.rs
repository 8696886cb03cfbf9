//! The ABI-level description of a C function signature: what a thunk or a
//! compiled call needs to place arguments and fetch results, without the C
//! type table. Built from a function `CType` by `ctype`; consumed by the
//! backend (`backend-cranelift/src/ffi_thunk.rs`).
//!
//! Thunk protocol (calls from the interpreter): a thunk for signature `S` is
//! `unsafe extern "C-unwind" fn(target: *const u8, args: *const u64, ret: *mut u8)`.
//! `args[i]` holds argument `i`: integers zero/sign-extended to 64 bits,
//! `F32` as its bits in the low 32 bits, `F64` as its bits, `Ptr` as the
//! address; a `Struct` argument's slot holds a pointer to its bytes. The
//! result is stored at `ret` in its natural width (a struct: its bytes);
//! `ret` has room for `max(size, 16)` bytes.
//!
//! Callback protocol (C calling Lua): a callback for `S` is a C function of
//! signature `S` that stores its arguments into a `u64` array as above and
//! calls `dispatch(ctx, args, ret)`, then returns the value found at `ret`.

/// A scalar C value as the ABI sees it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    Ptr,
}

impl Scalar {
    pub fn size(self) -> u32 {
        match self {
            Scalar::I8 | Scalar::U8 => 1,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::I64 | Scalar::U64 | Scalar::F64 | Scalar::Ptr => 8,
        }
    }
    pub fn is_float(self) -> bool {
        matches!(self, Scalar::F32 | Scalar::F64)
    }
}

/// An argument or result type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AbiType {
    Scalar(Scalar),
    /// A struct or union passed by value: its size, alignment and every
    /// scalar leaf with its byte offset (nested aggregates and arrays
    /// flattened; union members overlap).
    Struct {
        size: u32,
        align: u32,
        fields: Vec<(u32, Scalar)>,
    },
}

/// A C function signature. Arguments past `nfixed` are the variadic ones of
/// one call, already promoted by the caller (`float` to `double`, small
/// integers to `int`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AbiSig {
    pub args: Vec<AbiType>,
    /// `None` for `void`.
    pub ret: Option<AbiType>,
    pub nfixed: usize,
}

impl AbiSig {
    pub fn is_vararg(&self) -> bool {
        self.args.len() > self.nfixed
    }
}

/// Signature of a generated call thunk.
pub type ThunkFn = unsafe extern "C-unwind" fn(target: *const u8, args: *const u64, ret: *mut u8);

/// Signature of the function a callback calls to run Lua.
pub type DispatchFn = unsafe extern "C-unwind" fn(ctx: usize, args: *const u64, ret: *mut u8);
