//! `liblunatrace.so` and `liblunatrace.a`: the C API of `lunatrace-capi`
//! packaged as C libraries (this crate's lib target is named `lunatrace`,
//! so the artifacts are `target/<profile>/liblunatrace.{so,a}`). A
//! constructor plugs the JIT (from the `lunatrace` facade) into every state
//! created through the C API.

pub use lunatrace_capi::*;

/// Installs the JIT hooks when the library is loaded.
extern "C" fn init() {
    lunatrace::install_capi_hooks();
}

#[used]
#[unsafe(link_section = ".init_array")]
static INIT: extern "C" fn() = init;
