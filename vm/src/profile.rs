//! `jit.profile` (LuaJIT 2.1's sampling profiler API, our mechanism):
//! `start(mode, cb)`, `stop()`, `dumpstack([thread,] fmt, depth)`.
//!
//! A ticker thread adds one to `Profiler::ticks` every interval (`i<ms>`
//! in the mode, 10 ms by default). The VM takes the samples at its own
//! safe points, never in compiled code: when an interpreted loop's or
//! function's hot counter runs out (`interp_trace::hot_or_budget`, about
//! every `hotloop` back edges or calls of interpreted code) with vmstate
//! "I", and when a trace has exited to the interpreter with vmstate "N"
//! (the ticks counted while it ran). So a program that stays in one
//! compiled loop for long is sampled when it leaves it. The callback
//! `cb(thread, samples, vmstate)` runs there, on the profiled thread, no
//! second sample being taken while it runs; `dumpstack` of that thread
//! reads the frames below the callback, as they were at the sample.
//!
//! `dumpstack` formats: `f` function name (the caller's name for it, or
//! "chunk:line" where it was defined), `F` the same with "chunk:" before
//! the names of Lua functions, `l` "chunk:line" of the current line, `p`
//! keeps the chunk's full path (else its last component; a chunk loaded
//! from a string is `[string]`), `Z` drops the trailing separator; any
//! other character is copied as the separator after each level. `depth`
//! levels from the top (negative: that many, outermost first); the running
//! thread's stack starts with `dumpstack`'s own frame, as in LuaJIT.
//! Natives without a name show as `[builtin#N]` or `@0x...` (the C
//! function's address, `debuginfo::native_addr`), as in LuaJIT; below the
//! main thread's frames, the host's level when it gave one
//! (`Vm::host_cfunc`: the CLI's, as LuaJIT's `pmain`).

use crate::debuginfo;
use crate::error::LuaResult;
use crate::object::{str_bytes, Thread};
use crate::state::Vm;
use crate::value::Value;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

/// A native profiler callback (the C API's `luaJIT_profile_start`):
/// called with the sampled thread, the sample count and the vmstate
/// character.
pub type NativeCallback = Box<dyn FnMut(&mut Vm, NonNull<Thread>, u32, u8)>;

/// What a profiler calls for each sample.
pub enum Callback {
    /// A Lua function `cb(thread, samples, vmstate)` (`jit.profile.start`).
    Lua(Value),
    /// A native one (taken out of the profiler while it runs).
    Native(Option<NativeCallback>),
}

/// A running profiler (`Vm::profile`).
pub struct Profiler {
    ticks: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The callback (a Lua one is a GC root while profiling:
    /// `Vm::root_list`).
    pub cb: Callback,
    /// Tells profilers apart (a native callback that stops the profiler
    /// and starts another must not get the old callback put back).
    serial: u64,
    /// A callback is running.
    busy: bool,
    /// The sampled thread and its frame count at the sample, for
    /// `dumpstack` while the callback runs.
    sampled: Option<(NonNull<Thread>, usize)>,
}

impl Drop for Profiler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The module's functions: (name, native).
pub const FUNCS: &[(&str, crate::object::NativeFn)] = &[
    ("start", profile_start),
    ("stop", profile_stop),
    ("dumpstack", profile_dumpstack),
];

/// Samples counted since the last one taken, if a profiler runs and no
/// callback is running (cheap: one load).
#[inline]
pub fn due(vm: &Vm) -> bool {
    vm.profile
        .as_ref()
        .is_some_and(|p| !p.busy && p.ticks.load(Ordering::Relaxed) > 0)
}

/// Take the samples counted so far in the top frame (a Lua frame stopped
/// at instruction `pc`, or with its pc saved when `pc` is None): call the
/// callback with `vmstate` ("I" interpreted, "N" compiled code).
pub fn sample(vm: &mut Vm, pc: Option<usize>, vmstate: &[u8]) {
    let Some(p) = vm.profile.as_mut() else { return };
    if p.busy {
        return;
    }
    let n = p.ticks.swap(0, Ordering::Relaxed);
    if n == 0 {
        return;
    }
    let serial = p.serial;
    let cb = match &mut p.cb {
        Callback::Lua(v) => Callback::Lua(*v),
        Callback::Native(f) => Callback::Native(f.take()),
    };
    p.busy = true;
    let cur = vm.cur;
    let th = vm.th();
    let Some(&f) = th.frames.last() else { return };
    let fi = th.frames.len() - 1;
    if let Some(pc) = pc {
        th.frames[fi].pc = pc as u32 + 1;
    }
    // The stack top above the frame's registers while the callback runs.
    let fs = debuginfo::func_proto(th.stack[f.func as usize])
        .map_or(0, |p| debuginfo::proto(p).framesize as usize);
    let saved = th.top;
    th.top = saved.max(f.base as usize + fs);
    let nframes = th.frames.len();
    if let Some(p) = vm.profile.as_mut() {
        p.sampled = Some((cur, nframes));
    }
    match cb {
        Callback::Lua(cb) => call_lua(vm, cb, cur, n, vmstate),
        Callback::Native(Some(mut f)) => {
            f(vm, cur, n, vmstate.first().copied().unwrap_or(b'N'));
            // (Back in place, unless the callback stopped this profiler.)
            if let Some(p) = vm.profile.as_mut() {
                if p.serial == serial {
                    if let Callback::Native(slot @ None) = &mut p.cb {
                        *slot = Some(f);
                    }
                }
            }
        }
        Callback::Native(None) => {}
    }
    vm.th().top = saved;
    if let Some(p) = vm.profile.as_mut() {
        p.busy = false;
        p.sampled = None;
    }
}

/// Call a Lua profiler callback `cb(thread, samples, vmstate)`, reporting
/// its errors on stderr.
fn call_lua(vm: &mut Vm, cb: Value, cur: NonNull<Thread>, n: u32, vmstate: &[u8]) {
    let state = vm.intern(vmstate);
    if vm.ensure_stack(crate::state::MIN_STACK + 4).is_ok() {
        let base = vm.th().top;
        vm.push(cb);
        vm.push(Value::from_thread(cur));
        vm.push(Value::num(n as f64));
        vm.push(state);
        if let Err(e) = vm.pcall_at(base, 3, 0) {
            let msg = if e.value.is_str() {
                String::from_utf8_lossy(str_bytes(e.value)).into_owned()
            } else {
                "?".to_string()
            };
            eprintln!("profiler callback failed: {}", msg);
        }
    }
}

/// `jit.profile.start(mode, cb)`.
fn profile_start(vm: &mut Vm) -> LuaResult<usize> {
    let mode = vm.check_str(1)?;
    let cb = vm.check_func(2)?;
    let mode = str_bytes(mode).to_vec();
    if let Err(e) = start(vm, &mode, Callback::Lua(cb)) {
        return Err(vm.rt_error(e));
    }
    Ok(0)
}

/// Start profiling `vm` (a running profiler stops first). `mode`: LuaJIT's
/// mode string; `i<ms>` sets the interval (10 ms by default, at least 1),
/// `f` and `l` (function- or line-level samples) are accepted and make no
/// difference here (samples are taken at the VM's safe points).
pub fn start(vm: &mut Vm, mode: &[u8], cb: Callback) -> Result<(), &'static str> {
    static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut ms: u64 = 10;
    if let Some(i) = mode.iter().position(|&c| c == b'i') {
        let digits: Vec<u8> = mode[i + 1..]
            .iter()
            .copied()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if let Ok(n) = String::from_utf8_lossy(&digits).parse::<u64>() {
            ms = n.max(1);
        }
    }
    vm.profile = None;
    let ticks = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (t, s) = (ticks.clone(), stop.clone());
    let thread = std::thread::Builder::new()
        .name("lunatrace-profile".into())
        .spawn(move || {
            let d = std::time::Duration::from_millis(ms);
            while !s.load(Ordering::Relaxed) {
                std::thread::sleep(d);
                t.fetch_add(1, Ordering::Relaxed);
            }
        })
        .ok();
    if thread.is_none() {
        return Err("cannot start the profiler's timer thread");
    }
    vm.profile = Some(Box::new(Profiler {
        ticks,
        stop,
        thread,
        cb,
        serial: SERIAL.fetch_add(1, Ordering::Relaxed),
        busy: false,
        sampled: None,
    }));
    Ok(())
}

/// `jit.profile.stop()`.
fn profile_stop(vm: &mut Vm) -> LuaResult<usize> {
    vm.profile = None;
    Ok(0)
}

/// `jit.profile.dumpstack([thread,] fmt, depth)`.
fn profile_dumpstack(vm: &mut Vm) -> LuaResult<usize> {
    let mut a = 1;
    let mut th = vm.cur;
    if let Some(t) = vm.arg(1).as_thread_ptr() {
        th = t;
        a = 2;
    }
    let fmt = match vm.opt_str(a)? {
        Some(s) => str_bytes(s).to_vec(),
        None => b"f;".to_vec(),
    };
    let depth = vm.opt_int(a + 1, 1)?;
    let out = dumpstack(vm, th, &fmt, depth);
    let s = vm.intern(&out);
    vm.push(s);
    Ok(1)
}

/// The text of `dumpstack` for thread `th`: `depth` levels in format
/// `fmt` (the module's doc); the C API's `luaJIT_profile_dumpstack` too.
pub fn dumpstack(vm: &Vm, th: NonNull<Thread>, fmt: &[u8], depth: i64) -> Vec<u8> {
    // Frames of the sampled thread as they were at the sample (the
    // callback's own frames above them are not shown); for another
    // thread, all of them (for this one, without `dumpstack` itself).
    let nframes = match vm.profile.as_ref().and_then(|p| p.sampled) {
        Some((t, n)) if t == th => n,
        _ => usize::MAX,
    };
    // SAFETY: a live thread (the running one, or one passed as argument).
    let t = unsafe { &*th.as_ptr() };
    let top = t.frames.len().min(nframes);
    let mut items: Vec<String> = Vec::new();
    let want = depth.unsigned_abs() as usize;
    for i in (0..top).rev() {
        if items.len() >= want {
            break;
        }
        items.push(level_text(vm, t, i, fmt));
    }
    // (The host's level below the main thread's frames, as LuaJIT shows
    // its CLI's `pmain`: `Vm::host_cfunc`.)
    if items.len() < want && th == vm.main && vm.host_cfunc != 0 {
        items.push(format!("@0x{:08x}", vm.host_cfunc));
    }
    if depth < 0 {
        items.reverse();
    }
    let sep: Vec<u8> = fmt
        .iter()
        .copied()
        .filter(|c| !b"fFlpZ".contains(c))
        .collect();
    let mut out = Vec::new();
    for it in &items {
        out.extend_from_slice(it.as_bytes());
        out.extend_from_slice(&sep);
    }
    if fmt.contains(&b'Z') && !sep.is_empty() && out.ends_with(&sep) {
        out.truncate(out.len() - sep.len());
    }
    out
}

/// One level of `dumpstack`: frame `i` of `t` in format `fmt`. Names
/// are those the caller used (`f`; `F` puts "chunk:" before the names of
/// Lua functions); natives without one show as `[builtin#N]` or `@0x...`
/// (in `l` mode always). A chunk loaded from a string shows as `[string]`.
fn level_text(vm: &Vm, t: &Thread, i: usize, fmt: &[u8]) -> String {
    let f = t.frames[i];
    let func = t.stack[f.func as usize];
    let full = fmt.contains(&b'p');
    let line_mode = fmt.contains(&b'l');
    let Some(p) = debuginfo::func_proto(func) else {
        if !line_mode {
            if let Some((_, name)) = debuginfo::caller_name(vm, t, i) {
                return name;
            }
        }
        // SAFETY: a live function object.
        let native = func
            .as_func_ptr()
            .and_then(|fp| unsafe { (*fp.as_ptr()).native });
        return match native.and_then(crate::builtin_id::of) {
            Some(id) => format!("[builtin#{}]", id),
            None => match debuginfo::native_addr(func) {
                Some(a) => format!("@0x{:08x}", a),
                None => "[C]".to_string(),
            },
        };
    };
    let pr = debuginfo::proto(p);
    let src = str_bytes(pr.source);
    let chunk = if !matches!(src.first(), Some(b'@' | b'=')) {
        "[string]".to_string()
    } else {
        let chunk = debuginfo::chunkid(src);
        if full {
            chunk
        } else {
            chunk
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(&chunk)
                .to_string()
        }
    };
    if line_mode {
        let line = debuginfo::line_at(pr, debuginfo::frame_pc(&f));
        return format!("{}:{}", chunk, line);
    }
    match debuginfo::caller_name(vm, t, i) {
        Some((_, name)) if fmt.contains(&b'F') => format!("{}:{}", chunk, name),
        Some((_, name)) => name,
        None => format!("{}:{}", chunk, pr.linedefined),
    }
}
