//! Runtime helpers that compiled traces call for the FFI.

use crate::cdata::make_ref;
use lunatrace_vm::Vm;

/// A reference cdata (`T &`, `T` = C type `ct`) to `addr`, boxed: how an
/// exit materialises a virtual reference of a trace. Allocates, never
/// collects.
///
/// # Safety
/// `vm` is the running VM with the FFI installed.
pub unsafe extern "C" fn jit_cdata_ref(vm: *mut Vm, ct: u32, addr: usize) -> u64 {
    // SAFETY: the caller passes the running VM.
    let vm = unsafe { &mut *vm };
    make_ref(vm, ct, addr as *mut u8).bits()
}
