//! `StdLib`: which standard libraries a new state opens (sandboxing), and
//! opening them.

use crate::vm::{self, Vm};
use std::ops::{BitOr, BitOrAssign};

/// A set of standard libraries (`Lua::new_with`).
///
/// ```
/// use lunatrace::{Lua, StdLib};
/// let lua = Lua::new_with(StdLib::BASE | StdLib::MATH);
/// assert!(lua.load("return string == nil and math.floor(2.5) == 2").eval::<bool>().unwrap());
/// assert!(StdLib::ALL.contains(StdLib::ALL_SAFE));
/// assert!(!StdLib::ALL_SAFE.contains(StdLib::DEBUG));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StdLib(u32);

impl StdLib {
    /// The base library (`print`, `pairs`, `pcall`, `load`, ...; note
    /// `dofile`/`loadfile` read files).
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::BASE);
    /// assert!(lua.load("return pcall ~= nil and string == nil").eval::<bool>().unwrap());
    /// ```
    pub const BASE: StdLib = StdLib(1);
    /// `coroutine`.
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::COROUTINE);
    /// assert!(lua.load("return coroutine.wrap ~= nil").eval::<bool>().unwrap());
    /// ```
    pub const COROUTINE: StdLib = StdLib(1 << 1);
    /// `table`.
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::TABLE);
    /// assert!(lua.load("return table.concat ~= nil").eval::<bool>().unwrap());
    /// ```
    pub const TABLE: StdLib = StdLib(1 << 2);
    /// `io` (files, processes).
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::BASE | StdLib::IO);
    /// assert!(lua.load("return io.write ~= nil and os == nil").eval::<bool>().unwrap());
    /// ```
    pub const IO: StdLib = StdLib(1 << 3);
    /// `os` (clock, environment, files, `exit`).
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::OS);
    /// assert!(lua.load("return os.clock ~= nil").eval::<bool>().unwrap());
    /// ```
    pub const OS: StdLib = StdLib(1 << 4);
    /// `string`.
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::STRING);
    /// assert!(lua.load("return ('x'):rep(2) == 'xx'").eval::<bool>().unwrap());
    /// ```
    pub const STRING: StdLib = StdLib(1 << 5);
    /// `math`.
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::MATH);
    /// assert!(lua.load("return math.max(1, 2) == 2").eval::<bool>().unwrap());
    /// ```
    pub const MATH: StdLib = StdLib(1 << 6);
    /// `require` and `package` (Lua modules only, unless `C_MODULES`).
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::BASE | StdLib::PACKAGE);
    /// assert!(lua.load("return require ~= nil and package.loaded ~= nil").eval::<bool>().unwrap());
    /// ```
    pub const PACKAGE: StdLib = StdLib(1 << 7);
    /// LuaJIT's `bit`.
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::BIT);
    /// assert!(lua.load("return bit.band(6, 3) == 2").eval::<bool>().unwrap());
    /// ```
    pub const BIT: StdLib = StdLib(1 << 8);
    /// LuaJIT's `string.buffer` (through `require`; needs `PACKAGE`).
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::BASE | StdLib::PACKAGE | StdLib::BUFFER);
    /// assert!(lua.load("return require('string.buffer').new() ~= nil").eval::<bool>().unwrap());
    /// ```
    pub const BUFFER: StdLib = StdLib(1 << 9);
    /// The `jit` module (the compiler itself is always installed).
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::JIT);
    /// assert!(lua.load("return jit.version ~= nil").eval::<bool>().unwrap());
    /// ```
    pub const JIT: StdLib = StdLib(1 << 10);
    /// `debug`: can break the sandbox and the interrupt hook.
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::DEBUG);
    /// assert!(lua.load("return debug.traceback ~= nil").eval::<bool>().unwrap());
    /// ```
    pub const DEBUG: StdLib = StdLib(1 << 11);
    /// `ffi`: Lua code may then read and write any memory.
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::BASE | StdLib::PACKAGE | StdLib::FFI);
    /// assert!(lua.load("return require('ffi').sizeof('int') == 4").eval::<bool>().unwrap());
    /// ```
    pub const FFI: StdLib = StdLib(1 << 12);
    /// C modules through `require`/`package.loadlib`: native code.
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::BASE | StdLib::PACKAGE | StdLib::C_MODULES);
    /// assert!(lua.load("return package.loadlib ~= nil").eval::<bool>().unwrap());
    /// assert!(!StdLib::ALL_SAFE.contains(StdLib::C_MODULES));
    /// ```
    pub const C_MODULES: StdLib = StdLib(1 << 13);
    /// Nothing at all.
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::NONE);
    /// assert!(lua.load("return nil == nil").eval::<bool>().unwrap());
    /// assert!(lua.globals().get::<_, Option<lunatrace::Function>>("print").unwrap().is_none());
    /// ```
    pub const NONE: StdLib = StdLib(0);
    /// Everything.
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::ALL);
    /// assert!(lua.load("return debug ~= nil and io ~= nil").eval::<bool>().unwrap());
    /// ```
    pub const ALL: StdLib = StdLib((1 << 14) - 1);
    /// Everything Lua code cannot use to break memory safety or the
    /// host's control: all but `DEBUG`, `FFI` and `C_MODULES` (mlua's
    /// default set). `io` and `os` are included: leave them out for a
    /// sandbox.
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::ALL_SAFE);
    /// assert!(lua.load("return debug == nil and io ~= nil").eval::<bool>().unwrap());
    /// ```
    pub const ALL_SAFE: StdLib =
        StdLib(Self::ALL.0 & !(Self::DEBUG.0 | Self::FFI.0 | Self::C_MODULES.0));

    /// Every library of `other` is in `self`.
    ///
    /// ```
    /// use lunatrace::StdLib;
    /// let libs = StdLib::STRING | StdLib::TABLE;
    /// assert!(libs.contains(StdLib::STRING));
    /// assert!(!libs.contains(StdLib::STRING | StdLib::IO));
    /// ```
    pub fn contains(self, other: StdLib) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for StdLib {
    type Output = StdLib;
    fn bitor(self, o: StdLib) -> StdLib {
        StdLib(self.0 | o.0)
    }
}

impl BitOrAssign for StdLib {
    fn bitor_assign(&mut self, o: StdLib) {
        self.0 |= o.0;
    }
}

/// A VM with the libraries of `libs` and the JIT compiler.
pub(crate) fn new_vm(libs: StdLib) -> Box<Vm> {
    let mut v = Vm::new();
    type Open = fn(&mut Vm);
    let opens: [(StdLib, Open); 11] = [
        (StdLib::BASE, vm::lib_base::open),
        (StdLib::PACKAGE, vm::lib_package::open),
        (StdLib::COROUTINE, vm::lib_coroutine::open),
        (StdLib::STRING, vm::lib_string::open),
        (StdLib::TABLE, vm::lib_table::open),
        (StdLib::MATH, vm::lib_math::open),
        (StdLib::IO, vm::lib_io::open),
        (StdLib::OS, vm::lib_os::open),
        (StdLib::BIT, vm::lib_bit::open),
        (StdLib::DEBUG, vm::lib_debug::open),
        (StdLib::BUFFER, vm::lib_buffer::open),
    ];
    for (lib, open) in opens {
        if libs.contains(lib) {
            open(&mut v);
        }
    }
    let _ = crate::install_jit_parts(
        &mut v,
        &[],
        &[],
        libs.contains(StdLib::JIT),
        libs.contains(StdLib::FFI),
    );
    if libs.contains(StdLib::C_MODULES) {
        crate::install_capi(&mut v);
    }
    v
}
