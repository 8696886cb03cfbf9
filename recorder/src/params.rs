//! The JIT's parameters and optimisation flags (`-O`, `jit.opt.start`), one
//! table each: name, default, whether anything reads it yet, and meaning;
//! the `-O` parser (`apply_opt`) and the hot-counter arming.
//! The structs, their parsers, `jit.status()`'s flag list and the `-O`
//! part of `lunatrace -h` are generated from the tables.

use crate::Jit;
use lunatrace_vm::Vm;

/// One row of a table, for help texts and `jit.*`.
pub struct OptInfo {
    pub name: &'static str,
    /// Default value (flags: the lowest `-O` level that turns it on).
    pub default: u32,
    /// Something reads it; false: accepted for LuaJIT compatibility only.
    pub in_effect: bool,
    pub doc: &'static str,
}

macro_rules! params {
    ($( $field:ident $name:literal = $default:literal, $effect:literal, $doc:literal; )*) => {
        /// JIT parameters (`-Oname=value`), LuaJIT's names and defaults
        /// plus Lunatrace's own; see `Params::TABLE`.
        #[derive(Clone, Debug)]
        pub struct Params { $( #[doc = $doc] pub $field: u32, )* }

        impl Default for Params {
            fn default() -> Params {
                Params { $( $field: $default, )* }
            }
        }

        impl Params {
            pub const TABLE: &'static [OptInfo] = &[ $( OptInfo {
                name: $name, default: $default, in_effect: $effect, doc: $doc,
            }, )* ];

            /// Set `name=value`; false if the name is unknown.
            pub fn set(&mut self, name: &str, v: u32) -> bool {
                match name {
                    $( $name => self.$field = v, )*
                    _ => return false,
                }
                true
            }

            /// The value of `name`.
            pub fn get(&self, name: &str) -> Option<u32> {
                match name {
                    $( $name => Some(self.$field), )*
                    _ => None,
                }
            }
        }
    };
}

params! {
    maxtrace "maxtrace" = 1000, true, "most traces (then recordings abort until a flush)";
    maxrecord "maxrecord" = 4000, true, "most recorded instructions per trace";
    maxirconst "maxirconst" = 500, true, "most IR constants per trace";
    maxside "maxside" = 100, true, "most side traces per root trace";
    maxsnap "maxsnap" = 500, true, "most snapshots per trace";
    hotloop "hotloop" = 56, true, "iterations before a loop is recorded";
    hotexit "hotexit" = 10, true, "exits taken before a side trace is recorded";
    tryside "tryside" = 4, true, "side trace attempts per exit";
    instunroll "instunroll" = 4, false, "unroll limit for unstable loops";
    loopunroll "loopunroll" = 15, true, "iterations of inner loops a side trace unrolls before it aborts";
    callunroll "callunroll" = 3, true, "frames of one function other recursive calls may inline (then \"call unroll limit reached\")";
    minstitch "minstitch" = 0, true, "fewest IR instructions a trace has before it may end at a stitched native call (shorter ones abort: \"trace too short\")";
    minswitch "minswitch" = 12, true, "fewest instructions a trace records before it may end at a coroutine switch (shorter ones abort: \"coroutine switch in a short trace\")";
    recunroll "recunroll" = 2, true, "recursive calls a function-entry trace inlines before it links to itself (up-recursion)";
    sizemcode "sizemcode" = 256, true, "machine code area size (KB): a longer trace aborts (\"machine code too long\"); 4x LuaJIT's default, as Cranelift's code is about 4x longer";
    maxmcode "maxmcode" = 8192, true, "machine code limit (KB): reaching it flushes every trace (\"failed to allocate mcode memory\"); 4x LuaJIT's default, as sizemcode";
    budget "budget" = 25, true, "compile time allowed, percent of the run so far, before hot loops and exits wait (0: none; setting hotloop or hotexit turns it off)";
    async_ "async" = 1, true, "compile on a background thread (0 with chosen hotloop/hotexit, -jv, -jdump or -jisa unless given)";
}

macro_rules! flags {
    ($( $field:ident $name:literal = $level:literal, $effect:literal, $doc:literal; )*) => {
        /// Optimisation flags (`-O+fold`, `jit.opt.start("-cse")`); see
        /// `Flags::TABLE`.
        #[derive(Clone, Debug)]
        pub struct Flags { $( #[doc = $doc] pub $field: bool, )* }

        impl Flags {
            pub const TABLE: &'static [OptInfo] = &[ $( OptInfo {
                name: $name, default: $level, in_effect: $effect, doc: $doc,
            }, )* ];

            /// Flags of optimisation level 0..3 (`-O3` is the default).
            pub fn level(n: u32) -> Flags {
                Flags { $( $field: n >= $level, )* }
            }

            /// Set a flag by name; false if unknown.
            pub fn set(&mut self, name: &str, on: bool) -> bool {
                match name {
                    $( $name => self.$field = on, )*
                    _ => return false,
                }
                true
            }

            /// Names of the flags that are on (for `jit.status()`).
            pub fn names(&self) -> Vec<&'static str> {
                let mut v = Vec::new();
                $( if self.$field { v.push($name); } )*
                v
            }
        }
    };
}

flags! {
    fold "fold" = 1, true, "constant folding and algebraic simplification";
    cse "cse" = 1, true, "common-subexpression elimination";
    dce "dce" = 1, true, "dead-code elimination";
    narrow "narrow" = 2, true, "integer narrowing of for-loop counters";
    loop_ "loop" = 2, true, "loop peeling with invariant hoisting";
    fwd "fwd" = 3, true, "load forwarding from tables made in the trace (their fields stay in registers)";
    dse "dse" = 3, true, "dead-store elimination (a table, upvalue or C store overwritten with no exit or read in between)";
    abc "abc" = 3, true, "array bounds check elimination (covered checks; a for loop's index checked once against its limit)";
    carry "carry" = 3, true, "array values carried across loop iterations: a load of the slot the previous iteration stored or loaded becomes that value, in a register";
    sink "sink" = 3, true, "allocation sinking (closures made and called in a trace)";
    fuse "fuse" = 3, false, "operand fusion";
    recursion "recursion" = 3, true, "recursion traces: hot entries of recursive functions start traces that push frames and link to themselves (up-recursion, tail-recursion)";
    downrec "downrec" = 3, true, "down-recursion: returns below a trace's frame pop real frames, guarded by the caller's closure and pc (RETG); a return that keeps returning into frames of one function starts a trace that links to itself";
    region "region" = 3, true, "regions: a recursion trace (function entry or return) is compiled again with the traces it continues in through direct links, as one function whose links are jumps";
    loopregion "loopregion" = 3, true, "loop regions: a loop's root trace is compiled again with the side traces of its body's exits as one function, where those that change no invariant continue in the loop body (carried values in registers) instead of at the trace's start (needs region)";
    midentry "midentry" = 4, true, "loop regions' mid-entry: side traces of the pre-roll's exits of a loop's root continue in its body after the invariants are computed again (needs loopregion; not in -O3, so off unless +midentry: measured slower on bytehash and richards)";
    rootcopy "rootcopy" = 3, true, "loop regions' root copies: the outer loop's side trace that re-enters a short inner loop continues in a copy of its root taking the slots it wrote unchecked (needs loopregion)";
    rerecord "rerecord" = 3, true, "a loop's root trace that never ran its loop to the end and whose first iteration fails on most of its entries (recorded on a path the loop rarely takes) is recorded again, up to 3 times, instead of growing a side trace every iteration would run after the failed prefix";
    sideloop "sideloop" = 3, true, "side loops: a side trace of an exit back to its loop's start (a guard of the first iteration before any store failed) records the loop on that path and closes a loop of its own there (LuaJIT's extra loop), instead of handing every such iteration to the interpreter";
    stitch "stitch" = 3, true, "trace stitching: a trace ends at a call of a native it cannot compile, which the driver makes; the trace recorded after the call continues";
}

/// Set the interpreter's hot threshold to `hotloop` and re-arm every hot
/// counter with it (at start-up, and when `jit.opt.start` sets it, as
/// LuaJIT does).
pub fn arm_hot_counters(vm: &mut Vm, hotloop: u32) {
    vm.hotloop = hotloop.clamp(1, u16::MAX as u32) as u16;
    vm.hotcount = [vm.hotloop; lunatrace_vm::state::HOTCOUNT_SIZE];
}

/// Parse one `-O` argument (`3`, `+fold`, `-cse`, `hotloop=10`, comma
/// separated) into the JIT. Returns an error message for unknown items.
pub fn apply_opt(jit: &mut Jit, arg: &str) -> Result<(), String> {
    for item in arg.split(',').filter(|s| !s.is_empty()) {
        if let Ok(n) = item.parse::<u32>() {
            jit.flags = Flags::level(n.min(3));
        } else if let Some(f) = item.strip_prefix('+') {
            if !jit.flags.set(f, true) {
                return Err(format!("unknown or malformed optimization flag '{}'", item));
            }
        } else if let Some(f) = item.strip_prefix('-') {
            if !jit.flags.set(f, false) {
                return Err(format!("unknown or malformed optimization flag '{}'", item));
            }
        } else if let Some(p) = item.strip_prefix("sandwich=") {
            jit.sandwich = lunatrace_vm::jitrt::Sandwich::parse(p)
                .ok_or_else(|| format!("unknown or malformed optimization flag '{}'", item))?;
        } else if let Some((k, v)) = item.split_once('=') {
            match v.parse::<u32>() {
                Ok(n) if jit.params.set(k, n) => {
                    // Chosen thresholds are kept: no compile budget then
                    // (unless one is set too, after them).
                    if k == "hotloop" || k == "hotexit" {
                        jit.params.budget = 0;
                        if !jit.async_set {
                            jit.params.async_ = 0;
                        }
                    }
                    if k == "async" {
                        jit.async_set = true;
                    }
                }
                _ => return Err(format!("unknown or malformed optimization flag '{}'", item)),
            }
        } else if !jit.flags.set(item, true) {
            return Err(format!("unknown or malformed optimization flag '{}'", item));
        }
    }
    Ok(())
}

/// The `-O` part of `lunatrace -h`, from the tables.
pub fn help() -> String {
    let list = |t: &[OptInfo], on: bool| -> String {
        let names: Vec<String> = t
            .iter()
            .filter(|o| o.in_effect == on)
            .map(|o| o.name.to_string())
            .collect();
        wrap(&names.join(" "), 20, 76)
    };
    let mut s = String::from(
        "-O options, comma separated: a level 0..3, +flag, -flag, flag, param=value.\n",
    );
    s += &format!("  Flags in effect:  {}\n", list(Flags::TABLE, true));
    s += &format!("  Reserved flags:   {}\n", list(Flags::TABLE, false));
    s += &format!(
        "  Params in effect: {}\n",
        list(Params::TABLE, true) + ", sandwich=panic|error|exit"
    );
    s += &format!("  Reserved params:  {}\n", list(Params::TABLE, false));
    s += "  (reserved: accepted, no effect yet)\n";
    for o in Params::TABLE.iter().filter(|o| o.in_effect) {
        s += &format!(
            "  {:<11} {:<6} {}\n",
            o.name,
            o.default,
            wrap(o.doc, 21, 76)
        );
    }
    s
}

/// `text` wrapped at `width` columns, continuation lines indented by
/// `indent`.
fn wrap(text: &str, indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut col = indent;
    for w in text.split(' ') {
        if col + w.len() + 1 > width && col > indent {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
        } else if col > indent {
            out.push(' ');
            col += 1;
        }
        out.push_str(w);
        col += w.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_structs_agree() {
        let p = Params::default();
        for o in Params::TABLE {
            assert_eq!(p.get(o.name), Some(o.default), "{}", o.name);
            let mut q = p.clone();
            assert!(q.set(o.name, 7));
            assert_eq!(q.get(o.name), Some(7));
        }
        assert!(!Params::default().set("nosuch", 1));
        for n in 0..=3 {
            let f = Flags::level(n);
            let on: Vec<&str> = Flags::TABLE
                .iter()
                .filter(|o| o.default <= n)
                .map(|o| o.name)
                .collect();
            assert_eq!(f.names(), on);
        }
        let mut f = Flags::level(0);
        assert!(f.set("loop", true) && f.loop_);
        assert!(!f.set("nosuch", true));
    }

    #[test]
    fn help_lists_every_option() {
        let h = help();
        for o in Params::TABLE.iter().chain(Flags::TABLE) {
            assert!(h.contains(o.name), "{} missing:\n{}", o.name, h);
        }
    }
}
