//! `LuaString`: a handle to a Lua string — its bytes exactly as Lua has
//! them (`as_bytes`), or checked UTF-8 (`to_str`).

use super::error::{Error, Result};
use super::value::LuaRef;
use crate::vm::object::str_bytes;
use std::fmt;

/// A Lua string (any bytes).
///
/// ```
/// use lunatrace::{Lua, LuaString};
/// let lua = Lua::new();
/// let s: LuaString = lua.load("('ab'):rep(2)").eval().unwrap();
/// assert_eq!(s.to_str().unwrap(), "abab");
/// assert_eq!(s, "abab");
/// ```
#[derive(Clone)]
pub struct LuaString(pub(crate) LuaRef);

impl LuaString {
    /// The bytes, unchanged.
    ///
    /// ```
    /// use lunatrace::{Lua, LuaString};
    /// let lua = Lua::new();
    /// let s: LuaString = lua.load(r#"return "a\0\255""#).eval().unwrap();
    /// assert_eq!(s.as_bytes(), b"a\0\xff");
    /// assert!(s.to_str().is_err());
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        // The string is anchored by this handle, and the state's memory
        // lives as long as any handle does.
        str_bytes(self.0.raw())
    }

    /// The string as UTF-8; an error if it is not valid UTF-8.
    ///
    /// ```
    /// use lunatrace::{Lua, LuaString};
    /// let lua = Lua::new();
    /// let s: LuaString = lua.load("'h\\195\\169'").eval().unwrap();
    /// assert_eq!(s.to_str().unwrap(), "h\u{e9}");
    /// ```
    pub fn to_str(&self) -> Result<&str> {
        std::str::from_utf8(self.as_bytes())
            .map_err(|e| Error::from_conv("string", "&str", Some(format!("invalid UTF-8: {}", e))))
    }

    /// The string with invalid UTF-8 replaced by U+FFFD.
    ///
    /// ```
    /// use lunatrace::{Lua, LuaString};
    /// let lua = Lua::new();
    /// let s: LuaString = lua.load("'a\\255'").eval().unwrap();
    /// assert_eq!(s.to_string_lossy(), "a\u{fffd}");
    /// ```
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }
}

impl fmt::Debug for LuaString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string_lossy())
    }
}

impl fmt::Display for LuaString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_string_lossy())
    }
}

impl PartialEq for LuaString {
    fn eq(&self, o: &LuaString) -> bool {
        self.as_bytes() == o.as_bytes()
    }
}

impl PartialEq<str> for LuaString {
    fn eq(&self, o: &str) -> bool {
        self.as_bytes() == o.as_bytes()
    }
}

impl PartialEq<&str> for LuaString {
    fn eq(&self, o: &&str) -> bool {
        self.as_bytes() == o.as_bytes()
    }
}

impl PartialEq<[u8]> for LuaString {
    fn eq(&self, o: &[u8]) -> bool {
        self.as_bytes() == o
    }
}
