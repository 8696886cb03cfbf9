//! The Lua 5.1 C API (`extern "C"`) over the Lunatrace VM. Filled in by the
//! C API issue.
