//! Values kept for the host: registry values (`RegistryKey`, and values
//! under a name in the Lua registry) and app data (any Rust value per
//! type, reachable from every callback through its `&Lua`).

use super::conv::{FromLua, IntoLua};
use super::error::{Error, Result};
use super::state::Lua;
use super::value::Value;
use std::any::{Any, TypeId};
use std::cell::{Ref, RefMut};
use std::rc::Rc;

/// A value kept alive in the registry until the key is dropped or
/// removed (`Lua::create_registry_value`).
///
/// ```
/// use lunatrace::Lua;
/// let lua = Lua::new();
/// let key = lua.create_registry_value("kept").unwrap();
/// assert_eq!(lua.registry_value::<String>(&key).unwrap(), "kept");
/// ```
pub struct RegistryKey {
    value: Value,
    inner: Rc<super::inner::Inner>,
}

impl std::fmt::Debug for RegistryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RegistryKey({:?})", self.value)
    }
}

impl Lua {
    /// Keep `v` for later (`registry_value`), whatever it is.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let key = lua.create_registry_value("kept").unwrap();
    /// assert_eq!(lua.registry_value::<String>(&key).unwrap(), "kept");
    /// ```
    pub fn create_registry_value<T: IntoLua>(&self, v: T) -> Result<RegistryKey> {
        Ok(RegistryKey {
            value: v.into_lua(self)?,
            inner: self.inner.clone(),
        })
    }

    /// The value under `key`, converted.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let t = lua.create_table_from([("n", 1)]).unwrap();
    /// let key = lua.create_registry_value(t).unwrap();
    /// let t: lunatrace::Table = lua.registry_value(&key).unwrap();
    /// assert_eq!(t.get::<_, i32>("n").unwrap(), 1);
    /// ```
    pub fn registry_value<T: FromLua>(&self, key: &RegistryKey) -> Result<T> {
        if !Rc::ptr_eq(&key.inner, &self.inner) {
            return Err(Error::MismatchedState);
        }
        T::from_lua(key.value.clone(), self)
    }

    /// Release `key`'s value now (dropping the key does too).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let key = lua.create_registry_value(1).unwrap();
    /// lua.remove_registry_value(key).unwrap();
    /// ```
    pub fn remove_registry_value(&self, key: RegistryKey) -> Result<()> {
        if !Rc::ptr_eq(&key.inner, &self.inner) {
            return Err(Error::MismatchedState);
        }
        drop(key);
        Ok(())
    }

    /// `registry[name] = v` (the Lua registry, shared with C modules).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// lua.set_named_registry_value("myapp.config", "debug").unwrap();
    /// assert_eq!(lua.named_registry_value::<String>("myapp.config").unwrap(), "debug");
    /// ```
    pub fn set_named_registry_value<T: IntoLua>(&self, name: &str, v: T) -> Result<()> {
        let v = v.into_lua(self)?.to_raw(&self.inner)?;
        self.vm(|inner, vm| {
            let k = vm.intern(name.as_bytes());
            vm.raw_set(vm.registry, k, v)
                .map_err(|e| inner.lua_error(vm, e))
        })?
    }

    /// `registry[name]`, converted.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// assert_eq!(lua.named_registry_value::<Option<i32>>("unset").unwrap(), None);
    /// ```
    pub fn named_registry_value<T: FromLua>(&self, name: &str) -> Result<T> {
        let v = self.vm(|inner, vm| {
            let k = vm.intern(name.as_bytes());
            let v = crate::vm::table::get(vm.registry, k);
            Value::from_raw(inner, vm, v)
        })?;
        T::from_lua(v, self)
    }

    /// Store `data` as this state's value of type `T` (replacing and
    /// returning an earlier one).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// struct Config { verbose: bool }
    /// let lua = Lua::new();
    /// lua.set_app_data(Config { verbose: true });
    /// let f = lua.create_function(|lua, ()| {
    ///     Ok(lua.app_data_ref::<Config>().map_or(false, |c| c.verbose))
    /// }).unwrap();
    /// assert!(f.call::<bool>(()).unwrap());
    /// ```
    ///
    /// # Panics
    ///
    /// While app data is borrowed (`app_data_ref`/`app_data_mut` guards
    /// alive), as a `RefCell` would; `try_set_app_data` does not.
    pub fn set_app_data<T: 'static>(&self, data: T) -> Option<T> {
        match self.try_set_app_data(data) {
            Ok(old) => old,
            Err(_) => panic!("set_app_data: app data is borrowed"),
        }
    }

    /// `set_app_data`, giving `data` back while app data is borrowed.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// assert_eq!(lua.try_set_app_data(1u8), Ok(None));
    /// assert_eq!(lua.try_set_app_data(2u8), Ok(Some(1)));
    /// ```
    pub fn try_set_app_data<T: 'static>(&self, data: T) -> std::result::Result<Option<T>, T> {
        let Ok(mut m) = self.inner.app_data.try_borrow_mut() else {
            return Err(data);
        };
        Ok(m.insert(TypeId::of::<T>(), Box::new(data))
            .and_then(|old| old.downcast::<T>().ok().map(|b| *b)))
    }

    /// This state's value of type `T`, borrowed (None if there is none,
    /// or it is borrowed mutably).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// lua.set_app_data(String::from("config"));
    /// assert_eq!(&*lua.app_data_ref::<String>().unwrap(), "config");
    /// assert!(lua.app_data_ref::<u32>().is_none());
    /// ```
    pub fn app_data_ref<T: 'static>(&self) -> Option<Ref<'_, T>> {
        let b = self.inner.app_data.try_borrow().ok()?;
        Ref::filter_map(b, |m| {
            m.get(&TypeId::of::<T>())
                .and_then(|d| d.downcast_ref::<T>())
        })
        .ok()
    }

    /// This state's value of type `T`, borrowed mutably (None if there is
    /// none, or app data is borrowed).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// lua.set_app_data(vec![1]);
    /// lua.app_data_mut::<Vec<i32>>().unwrap().push(2);
    /// assert_eq!(*lua.app_data_ref::<Vec<i32>>().unwrap(), [1, 2]);
    /// ```
    pub fn app_data_mut<T: 'static>(&self) -> Option<RefMut<'_, T>> {
        let b = self.inner.app_data.try_borrow_mut().ok()?;
        RefMut::filter_map(b, |m| {
            m.get_mut(&TypeId::of::<T>())
                .and_then(|d| d.downcast_mut::<T>())
        })
        .ok()
    }

    /// Remove and return this state's value of type `T`.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// lua.set_app_data(5i64);
    /// assert_eq!(lua.remove_app_data::<i64>(), Some(5));
    /// assert_eq!(lua.remove_app_data::<i64>(), None);
    /// ```
    pub fn remove_app_data<T: 'static>(&self) -> Option<T> {
        let d: Box<dyn Any> = self
            .inner
            .app_data
            .try_borrow_mut()
            .ok()?
            .remove(&TypeId::of::<T>())?;
        d.downcast::<T>().ok().map(|b| *b)
    }
}
