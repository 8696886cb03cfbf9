//! Errors of the embedding API: `Error` (what went wrong, with the Lua
//! traceback where there is one), the `Result` alias, and the
//! `ExternalError`/`ExternalResult` helpers that turn any
//! `std::error::Error` into an `Error` so `?` works in callbacks.

use std::fmt;
use std::sync::Arc;

/// `Result` with this crate's `Error`.
///
/// ```
/// fn double(lua: &lunatrace::Lua, code: &str) -> lunatrace::Result<i64> {
///     Ok(lua.load(code).eval::<i64>()? * 2)
/// }
/// assert_eq!(double(&lunatrace::Lua::new(), "21").unwrap(), 42);
/// ```
pub type Result<T> = std::result::Result<T, Error>;

/// An error from Lua, from a conversion, or from Rust code called by Lua.
///
/// ```
/// use lunatrace::{Error, Lua};
/// let lua = Lua::new();
/// assert!(matches!(lua.load("x = ").exec(), Err(Error::SyntaxError { incomplete_input: true, .. })));
/// assert!(matches!(lua.load("error('e')").exec(), Err(Error::RuntimeError(_))));
/// assert!(matches!(lua.load("'x'").eval::<i32>(), Err(Error::FromLuaConversionError { .. })));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// A Lua runtime error: its message (with position) and, when raised
    /// by code the API ran, the traceback after a newline.
    RuntimeError(String),
    /// The chunk did not compile. `incomplete_input` is true when more
    /// input could complete it (the message ends at `<eof>`), as a REPL
    /// wants to know.
    SyntaxError {
        /// The compiler's message, with the chunk name and line.
        message: String,
        /// The chunk ended too early (more input could fix it).
        incomplete_input: bool,
    },
    /// Lua ran out of memory (or past `Lua::set_memory_limit`).
    MemoryError(String),
    /// A Rust callback returned an error (`cause`); `traceback` is where
    /// Lua was when it reached the API's caller.
    CallbackError {
        /// The Lua stack where the error reached the API's caller.
        traceback: String,
        /// What the callback returned.
        cause: Arc<Error>,
    },
    /// A Lua value could not become the Rust type `to`.
    FromLuaConversionError {
        /// The Lua type.
        from: &'static str,
        /// The Rust type.
        to: &'static str,
        /// What was wrong, when more than the types.
        message: Option<String>,
    },
    /// A Rust value could not become the Lua type `to`.
    ToLuaConversionError {
        /// The Rust type.
        from: &'static str,
        /// The Lua type.
        to: &'static str,
        /// What was wrong, when more than the types.
        message: Option<String>,
    },
    /// Argument `pos` (1-based; a method's `self` is 1) of a Rust
    /// function did not convert.
    BadArgument {
        /// The argument's position.
        pos: usize,
        /// Why it did not convert.
        cause: Arc<Error>,
    },
    /// A userdata is borrowed mutably (a shared borrow was asked).
    UserDataBorrowError,
    /// A userdata is borrowed (a mutable borrow was asked).
    UserDataBorrowMutError,
    /// The userdata holds another Rust type (or is not a Rust userdata).
    UserDataTypeMismatch,
    /// The userdata's value was taken (`AnyUserData::take`) or finalised.
    UserDataDestructed,
    /// A `FnMut` callback was called again while it runs.
    RecursiveMutCallback,
    /// A function made by a `Scope` (or a method of a scoped userdata)
    /// was called after its scope ended.
    CallbackDestructed,
    /// The `Lua` state was dropped (the handle outlived it), or a handle
    /// of another state was passed.
    StateClosed,
    /// A handle of another `Lua` state was used with this one.
    MismatchedState,
    /// A Rust panic inside a callback (its message): it became a Lua error
    /// instead of unwinding through the interpreter.
    CallbackPanic(String),
    /// A Rust value could not be serialized to Lua (`LuaSerdeExt`).
    SerializeError(String),
    /// A Lua value could not be deserialized (`LuaSerdeExt`).
    DeserializeError(String),
    /// Any other error (`ExternalError::into_lua_err`).
    ExternalError(Arc<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// A `RuntimeError` with `message`.
    ///
    /// ```
    /// use lunatrace::{Error, Lua};
    /// let lua = Lua::new();
    /// let f = lua.create_function(|_, ()| Err::<(), _>(Error::runtime("no way"))).unwrap();
    /// lua.globals().set("f", f).unwrap();
    /// let msg: String = lua.load("return tostring(select(2, pcall(f)))").eval().unwrap();
    /// assert!(msg.contains("no way"));
    /// ```
    pub fn runtime<S: fmt::Display>(message: S) -> Error {
        Error::RuntimeError(message.to_string())
    }

    /// Wrap any error (as `ExternalError::into_lua_err`).
    ///
    /// ```
    /// use lunatrace::Error;
    /// let e = Error::external(std::io::Error::new(std::io::ErrorKind::Other, "disk"));
    /// assert_eq!(e.to_string(), "disk");
    /// ```
    pub fn external<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> Error {
        Error::ExternalError(Arc::from(e.into()))
    }

    /// `BadArgument` at `pos` (an error that already is one is kept).
    pub(crate) fn bad_argument(pos: usize, e: Error) -> Error {
        match e {
            e @ Error::BadArgument { .. } => e,
            e => Error::BadArgument {
                pos,
                cause: Arc::new(e),
            },
        }
    }

    pub(crate) fn from_conv(from: &'static str, to: &'static str, msg: Option<String>) -> Error {
        Error::FromLuaConversionError {
            from,
            to,
            message: msg,
        }
    }

    pub(crate) fn to_conv(from: &'static str, to: &'static str, msg: Option<String>) -> Error {
        Error::ToLuaConversionError {
            from,
            to,
            message: msg,
        }
    }

    /// The innermost cause (through `CallbackError`s).
    ///
    /// ```
    /// use lunatrace::{Error, Lua};
    /// let lua = Lua::new();
    /// let f = lua.create_function(|_, ()| Err::<(), _>(Error::UserDataTypeMismatch)).unwrap();
    /// lua.globals().set("f", f).unwrap();
    /// let e = lua.load("f()").exec().unwrap_err();
    /// assert!(matches!(e, Error::CallbackError { .. }));
    /// assert!(matches!(e.root_cause(), Error::UserDataTypeMismatch));
    /// ```
    pub fn root_cause(&self) -> &Error {
        match self {
            Error::CallbackError { cause, .. } => cause.root_cause(),
            e => e,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::RuntimeError(m) => write!(f, "runtime error: {}", m),
            Error::SyntaxError { message, .. } => write!(f, "syntax error: {}", message),
            Error::MemoryError(m) => write!(f, "memory error: {}", m),
            Error::CallbackError { traceback, cause } => {
                write!(f, "{}", cause)?;
                if !traceback.is_empty() {
                    write!(f, "\n{}", traceback)?;
                }
                Ok(())
            }
            Error::FromLuaConversionError { from, to, message } => {
                write!(f, "error converting Lua {} to {}", from, to)?;
                match message {
                    Some(m) => write!(f, " ({})", m),
                    None => Ok(()),
                }
            }
            Error::ToLuaConversionError { from, to, message } => {
                write!(f, "error converting {} to Lua {}", from, to)?;
                match message {
                    Some(m) => write!(f, " ({})", m),
                    None => Ok(()),
                }
            }
            Error::BadArgument { pos, cause } => write!(f, "bad argument #{}: {}", pos, cause),
            Error::UserDataBorrowError => write!(f, "error borrowing userdata"),
            Error::UserDataBorrowMutError => write!(f, "error mutably borrowing userdata"),
            Error::UserDataTypeMismatch => write!(f, "userdata is not expected type"),
            Error::UserDataDestructed => write!(f, "userdata has been destructed"),
            Error::RecursiveMutCallback => write!(f, "mutable callback called recursively"),
            Error::CallbackDestructed => {
                write!(
                    f,
                    "callback called when it is no longer valid (its scope ended)"
                )
            }
            Error::StateClosed => write!(f, "the Lua state is closed"),
            Error::MismatchedState => write!(f, "value belongs to another Lua state"),
            Error::CallbackPanic(m) => write!(f, "panic in a Rust callback: {}", m),
            Error::SerializeError(m) => write!(f, "serialize error: {}", m),
            Error::DeserializeError(m) => write!(f, "deserialize error: {}", m),
            Error::ExternalError(e) => write!(f, "{}", e),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::CallbackError { cause, .. } => Some(cause.as_ref()),
            Error::BadArgument { cause, .. } => Some(cause.as_ref()),
            Error::ExternalError(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

/// Turn an error into an `Error` (`ExternalError`).
///
/// ```
/// use lunatrace::{ExternalError, Lua};
/// let lua = Lua::new();
/// let parse = lua.create_function(|_, s: String| s.parse::<i32>().map_err(|e| e.into_lua_err())).unwrap();
/// assert_eq!(parse.call::<i32>("12").unwrap(), 12);
/// assert!(parse.call::<i32>("x").is_err());
/// ```
pub trait ExternalError {
    /// Wrap `self` as `Error::ExternalError`.
    fn into_lua_err(self) -> Error;
}

impl<E: Into<Box<dyn std::error::Error + Send + Sync>>> ExternalError for E {
    fn into_lua_err(self) -> Error {
        Error::external(self)
    }
}

/// `Result::into_lua_err`: map the error with `ExternalError`.
///
/// ```
/// use lunatrace::{ExternalResult, Lua};
/// let lua = Lua::new();
/// let parse = lua.create_function(|_, s: String| s.parse::<f64>().into_lua_err()).unwrap();
/// assert_eq!(parse.call::<f64>("1.5").unwrap(), 1.5);
/// ```
pub trait ExternalResult<T> {
    /// Map the error with `ExternalError::into_lua_err`.
    fn into_lua_err(self) -> Result<T>;
}

impl<T, E: ExternalError> ExternalResult<T> for std::result::Result<T, E> {
    fn into_lua_err(self) -> Result<T> {
        self.map_err(|e| e.into_lua_err())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::external(e)
    }
}
