//! `Chunk`: Lua source (or bytecode) on its way to running — its name and
//! environment, then `exec`, `eval`, `call` or `into_function`.

use super::error::{Error, Result};
use super::function::Function;
use super::multi::{FromLuaMulti, IntoLuaMulti};
use super::state::Lua;
use super::table::Table;
use super::value::LuaRef;

/// A chunk made by `Lua::load`.
///
/// ```
/// use lunatrace::Lua;
/// let lua = Lua::new();
/// let chunk = lua.load("local a, b = ... return a .. b").set_name("concat");
/// let s: String = chunk.call(("x", "y")).unwrap();
/// assert_eq!(s, "xy");
/// ```
pub struct Chunk<'a> {
    lua: &'a Lua,
    source: Vec<u8>,
    name: Option<String>,
    env: Option<Table>,
}

impl<'a> Chunk<'a> {
    pub(crate) fn new(lua: &'a Lua, source: Vec<u8>) -> Chunk<'a> {
        Chunk {
            lua,
            source,
            name: None,
            env: None,
        }
    }

    /// The chunk's name in messages and tracebacks (`=name` is shown as
    /// is, `@file` as a file; other names get `=` in front).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let e = lua.load("error('boom')").set_name("init").exec().unwrap_err();
    /// assert!(e.to_string().contains("init:1: boom"), "{}", e);
    /// ```
    pub fn set_name(mut self, name: impl Into<String>) -> Chunk<'a> {
        let n: String = name.into();
        self.name = Some(if n.starts_with('=') || n.starts_with('@') {
            n
        } else {
            format!("={}", n)
        });
        self
    }

    /// Run the chunk with `env` as its globals (its function environment).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let env = lua.create_table().unwrap();
    /// env.set("x", 1).unwrap();
    /// lua.load("y = x + 1").set_environment(env.clone()).exec().unwrap();
    /// assert_eq!(env.get::<_, i64>("y").unwrap(), 2);
    /// assert!(lua.globals().get::<_, Option<i64>>("y").unwrap().is_none());
    /// ```
    pub fn set_environment(mut self, env: Table) -> Chunk<'a> {
        self.env = Some(env);
        self
    }

    fn compile(&self, source: &[u8]) -> Result<Function> {
        let name = match &self.name {
            Some(n) => n.clone(),
            None => String::from_utf8_lossy(&self.source).into_owned(),
        };
        let env = self.env.as_ref().map(|t| t.0.raw());
        if let Some(t) = &self.env {
            if !std::rc::Rc::ptr_eq(t.0.inner(), &self.lua.inner) {
                return Err(Error::MismatchedState);
            }
        }
        self.lua.vm(|inner, vm| {
            let f = vm.load(source, &name).map_err(|e| inner.lua_error(vm, e))?;
            if let Some(t) = env.and_then(|e| e.as_table_ptr()) {
                vm.set_fenv(f, t);
            }
            Ok(Function(LuaRef::new(inner, vm, f)))
        })?
    }

    /// Compile the chunk into a function.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let f = lua.load("return 6 * 7").into_function().unwrap();
    /// assert_eq!(f.call::<i32>(()).unwrap(), 42);
    /// ```
    pub fn into_function(self) -> Result<Function> {
        self.compile(&self.source)
    }

    /// Run the chunk.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// lua.load("x = 1").exec().unwrap();
    /// assert_eq!(lua.globals().get::<_, i32>("x").unwrap(), 1);
    /// ```
    pub fn exec(self) -> Result<()> {
        self.call(())
    }

    /// Run the chunk with arguments (its `...`); its results.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let s: i32 = lua.load("local a, b = ... return a + b").call((2, 3)).unwrap();
    /// assert_eq!(s, 5);
    /// ```
    pub fn call<R: FromLuaMulti>(self, args: impl IntoLuaMulti) -> Result<R> {
        self.into_function()?.call(args)
    }

    /// Evaluate the chunk as an expression (`return <chunk>`) if it is
    /// one, else run it as statements; its results.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// assert_eq!(lua.load("1 + 2").eval::<i64>().unwrap(), 3);
    /// assert_eq!(lua.load("local x = 2 return x * x").eval::<i64>().unwrap(), 4);
    /// ```
    pub fn eval<R: FromLuaMulti>(self) -> Result<R> {
        let mut expr = b"return ".to_vec();
        expr.extend_from_slice(&self.source);
        let f = match self.compile(&expr) {
            Ok(f) => f,
            Err(Error::SyntaxError { .. }) => self.compile(&self.source)?,
            Err(e) => return Err(e),
        };
        f.call(())
    }
}
