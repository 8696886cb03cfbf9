//! The FFI's per-VM state (kept in `Vm::ffi`): the C type table, open C
//! libraries, metatypes, callbacks, and the code maker that turns C
//! signatures into call thunks and callbacks (the Cranelift backend, or
//! none in an interpreter-only build).

use crate::abi::{AbiSig, DispatchFn, ThunkFn};
use crate::clib::CLib;
use crate::ctype::{CTypeId, CTypes};
use lunatrace_vm::{LuaError, Value, Vm};
use std::collections::HashMap;

/// Generates native code for C signatures (ARCHITECTURE.md: FFI and the sandwich).
pub trait CodeMaker {
    /// A thunk calling a C function of signature `sig` (see `abi`).
    fn thunk(&mut self, sig: &AbiSig) -> Result<ThunkFn, String>;
    /// A C function of signature `sig` that calls `dispatch(ctx, ...)`.
    fn callback(
        &mut self,
        sig: &AbiSig,
        dispatch: DispatchFn,
        ctx: usize,
    ) -> Result<*const u8, String>;
}

/// A Lua function made callable from C.
pub struct Callback {
    pub func: Value,
    /// The function type.
    pub ftype: CTypeId,
    /// The generated C entry point.
    pub code: *const u8,
    /// Freed with `cb:free()` (the code stays, calling it raises an error).
    pub freed: bool,
}

/// Everything the FFI keeps per VM.
pub struct FfiState {
    pub types: CTypes,
    /// `ffi.C` and the libraries of `ffi.load`, by the index stored in the
    /// namespace userdata.
    pub libs: Vec<CLib>,
    /// `ffi.metatype` tables by (unqualified) struct/union type id.
    pub metatypes: HashMap<CTypeId, Value, IdHash>,
    pub callbacks: Vec<Callback>,
    pub code: Option<Box<dyn CodeMaker>>,
    /// Thunks by signature.
    pub thunks: HashMap<AbiSig, ThunkFn>,
    /// The metatable of library namespaces (`ffi.C`, `ffi.load`).
    pub clib_meta: Value,
    /// The string "__new" (a metatype's constructor key), rooted.
    pub key_new: Value,
    /// Declared names of C functions by function type (for messages).
    pub fn_names: HashMap<CTypeId, String, IdHash>,
    /// The VM that owns this state (for callbacks).
    pub vm: *mut Vm,
    /// Call plans of fixed-arity function types.
    pub calls: HashMap<CTypeId, std::rc::Rc<crate::call::CallInfo>, IdHash>,
    /// `T &` by `T` (0: not made yet): references are made often (every
    /// aggregate element or member read).
    pub ref_cache: Vec<CTypeId>,
    /// Type ids of type strings parsed by `ffi.new`/`ffi.cast`/... (no
    /// `$` parameters; successes only: a later declaration cannot change
    /// what a parsed name means), so a loop's `ffi.cast("int", x)` does
    /// not parse again. Emptied when it reaches `PARSE_CACHE_MAX`.
    pub parse_cache: HashMap<Box<[u8]>, CTypeId>,
}

/// Entries of `FfiState::parse_cache` before it is emptied.
pub const PARSE_CACHE_MAX: usize = 1024;

/// A hasher for type ids (small integers, used as they are).
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = n as u64;
    }
}

/// `HashMap` state for tables keyed by type id.
pub type IdHash = std::hash::BuildHasherDefault<IdHasher>;

impl FfiState {
    /// The reference type `T &` of `ct`.
    pub fn ref_to(&mut self, ct: CTypeId) -> CTypeId {
        if let Some(&r) = self.ref_cache.get(ct as usize).filter(|&&r| r != 0) {
            return r;
        }
        let r = self.types.ptr_to(ct, 0, true);
        if self.ref_cache.len() <= ct as usize {
            self.ref_cache.resize(ct as usize + 1, 0);
        }
        self.ref_cache[ct as usize] = r;
        r
    }
}

/// The FFI state of `vm` (the `ffi` module is installed at VM creation).
pub fn st(vm: &mut Vm) -> &'static mut FfiState {
    let b = vm.ffi.as_mut().expect("ffi state installed");
    debug_assert!(b.is::<FfiState>());
    // (A cast, not `downcast_mut`: its type-id comparison was a tenth of
    // an FFI-heavy interpreted loop. `install` is the only writer of
    // `Vm::ffi`, always with an `FfiState`.)
    let p = &mut **b as *mut dyn std::any::Any as *mut FfiState;
    // SAFETY: the box holds an `FfiState` (above), owned by the VM for
    // the VM's whole life; callers use it only while they hold the VM,
    // one at a time.
    unsafe { &mut *p }
}

/// A plain error with a message (position added like other runtime errors).
pub fn err(vm: &mut Vm, msg: &str) -> LuaError {
    vm.rt_error(msg)
}
