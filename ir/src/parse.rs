//! A textual front end for IR tests: reads the format `dump::dump` prints
//! back into a `Trace`, so a test can state its input and its expected
//! optimised output as text.
//!
//! One item per line; blank lines and lines starting with `--` (comments,
//! the `---- TRACE` headers of `-jdump`) are skipped. Columns are
//! whitespace-separated, so alignment does not matter.
//!
//! - Instruction: `NNNN [>|}]TYP OPNAME operands`, e.g.
//!   `0003 >num UNBOX 0002` or `0007 num ADD 0005 [+1]`. `NNNN` is a name,
//!   not a position: later operands that say `0003` mean whatever the
//!   instruction named `0003` became once emitted (folding and CSE may
//!   turn it into another instruction or a constant, so the output
//!   numbering can differ). Names must be unique and defined before use.
//!   `>` marks a guard and must be present exactly on the ops whose table
//!   entry has the guard flag; `}` marks an allocation (or a store or key check that sank
//!   with a table, guard or not) as sunk
//!   (`Trace::sunk`). `TYP` is a name `Ty::name` prints (`num`, `int`,
//!   `val`, `tab`, ...); a void result has no type (`0004 > LT 0001 0002`,
//!   `0009 ASTORE 0008 0006`). Operands follow the op's operand kinds:
//!   refs (`0003`; a constant in brackets; `----`, no reference, only as
//!   a second operand such as TSETMETA's "no metatable") and
//!   literals (`#4`, `#-1`); operands of kind `none` are not written.
//! - Constants: `[+2]`, `[-0.5]`, `[+inf]`, `[NaN]` numbers (any f64 Rust
//!   parses; `[2]` is `[+2]`); `[+1i]`, `[-3i]` ints; `[val 0x7ff8...]` a
//!   boxed value by its bits; `[TYP 0xADDR]` an object pointer of a type
//!   (`[ptr 0x0]`, `[tab 0x1000]`, `[str 0x2000]`: strings are pointer
//!   constants like any object, there is no string syntax).
//! - Snapshot: `.... SNAP #n [ 1=0003 4=[+1i] ] pc N`, optionally followed
//!   by `(down D, -S)` (frames returned from, base shift). `#n` is
//!   optional and ignored (the numbering is the trace's). It becomes the
//!   pending state that the next guard emitted commits (`Trace::snapshot`),
//!   so the dump prints it right before that guard, and two guards after
//!   one SNAP share it. Inlined frames and MULTRES counts are not printed
//!   by the dump and cannot be written. A guard needs a SNAP line before
//!   it.
//! - `.... SEEN 0011=100 0005=50`: int values instructions had while
//!   recording (`Trace::seen`, read by `abc`; the dump does not print
//!   them).
//! - `NNNN LOOP`: commits the pending snapshot and closes the loop
//!   (`Trace::loop_at`); a second LOOP (as in a peeled dump) marks the
//!   trace peeled. It needs a SNAP line before it, like a guard.
//!
//! Every instruction goes through `Trace::emit`, so FOLD and CSE run when
//! the trace has them on. NOPs are not printed by the dump, so parsing a
//! dump with NOPs renumbers the instructions; without NOPs (and with
//! folding and CSE off) `dump(parse(dump(t)))` is `dump(t)`. A negative
//! NaN constant prints as `NaN` and reads back positive.
//!
//! Errors are `Err("line N: ...")`, never panics.

use crate::ops::{Arg, Op, Ty};
use crate::trace::{Const, Ref, SnapEntry, Trace};
use std::collections::HashMap;

/// Parse `text` into a new trace with folding and CSE as given.
pub fn parse(text: &str, fold: bool, cse: bool) -> Result<Trace, String> {
    let mut t = Trace::new(fold, cse);
    parse_into(&mut t, text)?;
    Ok(t)
}

/// Parse `text`, appending to `t` (emitted with `t`'s options).
pub fn parse_into(t: &mut Trace, text: &str) -> Result<(), String> {
    let mut p = Parser {
        t,
        names: HashMap::new(),
        seen_snap: false,
    };
    for (i, line) in text.lines().enumerate() {
        p.line(line).map_err(|e| format!("line {}: {}", i + 1, e))?;
    }
    p.t.sunk.sort_unstable();
    p.t.sunk.dedup();
    Ok(())
}

struct Parser<'a> {
    t: &'a mut Trace,
    /// Input names to the references they were emitted as.
    names: HashMap<u32, Ref>,
    /// A SNAP line was read (guards need one).
    seen_snap: bool,
}

/// Split into whitespace-separated tokens; a `[` opens a group (nested
/// groups allowed) inside which whitespace does not split.
fn tokens(s: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut start = None;
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '[' => {
                start.get_or_insert(i);
                depth += 1;
            }
            ']' => {
                if depth == 0 {
                    return Err(format!("unbalanced `]` in `{}`", s.trim()));
                }
                depth -= 1;
            }
            c if c.is_whitespace() && depth == 0 => {
                if let Some(b) = start.take() {
                    out.push(&s[b..i]);
                }
            }
            _ => {
                start.get_or_insert(i);
            }
        }
    }
    if depth != 0 {
        return Err(format!("unclosed `[` in `{}`", s.trim()));
    }
    if let Some(b) = start {
        out.push(&s[b..]);
    }
    Ok(out)
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn name_of(s: &str) -> Result<u32, String> {
    s.parse()
        .map_err(|_| format!("bad instruction number `{}`", s))
}

fn hex(s: &str) -> Result<u64, String> {
    let h = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("expected 0x... , found `{}`", s))?;
    u64::from_str_radix(h, 16).map_err(|_| format!("bad hex number `{}`", s))
}

/// A bracketed constant, without its brackets.
fn constant(s: &str) -> Result<Const, String> {
    let s = s.trim();
    let words: Vec<&str> = s.split_whitespace().collect();
    match words.as_slice() {
        ["val", bits] => Ok(Const::Val(hex(bits)?)),
        [ty, addr] => match Ty::from_name(ty) {
            Some(ty) => Ok(Const::Ptr(hex(addr)?, ty)),
            None => Err(format!("unknown constant type `{}`", ty)),
        },
        [n] if n.ends_with('i') => n[..n.len() - 1]
            .parse()
            .map(Const::Int)
            .map_err(|_| format!("bad int constant `[{}]`", s)),
        [n] => n
            .parse()
            .map(Const::Num)
            .map_err(|_| format!("bad number constant `[{}]`", s)),
        _ => Err(format!("bad constant `[{}]`", s)),
    }
}

impl Parser<'_> {
    fn line(&mut self, line: &str) -> Result<(), String> {
        let s = line.trim();
        if s.is_empty() || s.starts_with("--") {
            return Ok(());
        }
        let toks = tokens(s)?;
        if toks[0] == "...." {
            self.snap(&toks[1..])
        } else if is_name(toks[0]) {
            self.ins(&toks)
        } else {
            Err(format!(
                "expected an instruction (`0001 ...`) or a snapshot (`.... SNAP ...`), found `{}`",
                toks[0]
            ))
        }
    }

    /// A reference operand.
    fn operand(&mut self, tok: &str) -> Result<Ref, String> {
        if tok == "----" {
            return Ok(Ref::NONE);
        }
        if let Some(inner) = tok.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            let c = constant(inner)?;
            return Ok(self.t.konst(c));
        }
        if is_name(tok) {
            let n = name_of(tok)?;
            return self
                .names
                .get(&n)
                .copied()
                .ok_or_else(|| format!("{} is not defined (yet)", tok));
        }
        Err(format!("expected a reference, found `{}`", tok))
    }

    fn snap(&mut self, toks: &[&str]) -> Result<(), String> {
        let mut it = toks.iter().copied().peekable();
        if it.peek() == Some(&"SEEN") {
            return self.seen(&toks[1..]);
        }
        if it.next() != Some("SNAP") {
            return Err("expected SNAP or SEEN after `....`".into());
        }
        if it.peek().is_some_and(|x| x.starts_with('#')) {
            it.next();
        }
        let group = it
            .next()
            .and_then(|g| g.strip_prefix('[').and_then(|g| g.strip_suffix(']')))
            .ok_or("expected the snapshot's slots in brackets: [ 1=0003 ... ]")?;
        let mut map = Vec::new();
        for e in tokens(group)? {
            let (slot, r) = e
                .split_once('=')
                .ok_or_else(|| format!("expected slot=ref, found `{}`", e))?;
            let slot: u32 = slot
                .parse()
                .map_err(|_| format!("bad slot number `{}`", slot))?;
            if map.iter().any(|x: &SnapEntry| x.slot == slot) {
                return Err(format!("slot {} twice in the snapshot", slot));
            }
            let r = self.operand(r)?;
            if r == Ref::NONE {
                return Err(format!("slot {} holds no value (`----`)", slot));
            }
            map.push(SnapEntry { slot, r });
        }
        if it.next() != Some("pc") {
            return Err("expected `pc N` after the slots".into());
        }
        let pc = it.next().ok_or("expected the pc after `pc`")?;
        let pc: u32 = pc.parse().map_err(|_| format!("bad pc `{}`", pc))?;
        let rest: Vec<&str> = it.collect();
        let (retdepth, shift) = match rest.as_slice() {
            [] => (0, 0),
            ["(down", d, s] => {
                let d = d.strip_suffix(',').and_then(|d| d.parse().ok());
                let s = s
                    .strip_prefix('-')
                    .and_then(|s| s.strip_suffix(')'))
                    .and_then(|s| s.parse().ok());
                match (d, s) {
                    (Some(d), Some(s)) => (d, s),
                    _ => return Err("expected `(down D, -S)` after the pc".into()),
                }
            }
            _ => return Err(format!("unexpected `{}` after the pc", rest.join(" "))),
        };
        self.t.retdepth = retdepth;
        self.t.shift = shift;
        self.t.snapshot(pc, map, vec![]);
        self.seen_snap = true;
        Ok(())
    }

    /// `.... SEEN 0011=100 ...`: values seen while recording.
    fn seen(&mut self, toks: &[&str]) -> Result<(), String> {
        for e in toks {
            let (r, v) = e
                .split_once('=')
                .ok_or_else(|| format!("expected ref=value, found `{}`", e))?;
            let r = self.operand(r)?;
            let v: i32 = v.parse().map_err(|_| format!("bad value `{}`", v))?;
            self.t.note_seen(r, v);
        }
        Ok(())
    }

    fn ins(&mut self, toks: &[&str]) -> Result<(), String> {
        let name = name_of(toks[0])?;
        if self.names.contains_key(&name) {
            return Err(format!("{} is defined twice", toks[0]));
        }
        let mut rest = toks[1..].iter().copied();
        let first = rest.next().ok_or("expected an op after the number")?;
        let (marker, first) = match first.chars().next() {
            Some(m @ ('>' | '}')) => (Some(m), &first[1..]),
            _ => (None, first),
        };
        // `>num ADD`, `num ADD`, `> LT`, `>LT`, `LT`.
        let (ty, opname) = if first.is_empty() {
            (
                Ty::Void,
                rest.next().ok_or("expected an op after the marker")?,
            )
        } else if let Some(ty) = Ty::from_name(first) {
            (ty, rest.next().ok_or("expected an op after the type")?)
        } else {
            (Ty::Void, first)
        };
        let op = Op::from_name(opname).ok_or_else(|| {
            if opname.chars().all(|c| c.is_ascii_uppercase()) {
                format!("unknown op `{}`", opname)
            } else {
                format!("unknown type or op `{}`", opname)
            }
        })?;
        let guard = op.flags().guard();
        // (A sunk store or key check shows `}` even when it is a guard.)
        if marker != Some('}') && (marker == Some('>')) != guard {
            return Err(if guard {
                format!("{} is a guard: write `>` before its type", op.name())
            } else {
                format!("{} is not a guard: no `>`", op.name())
            });
        }
        let (ka, kb) = op.args();
        let mut args = [Ref::NONE; 2];
        for (i, (k, slot)) in [ka, kb].into_iter().zip(args.iter_mut()).enumerate() {
            *slot = match k {
                Arg::None => Ref::NONE,
                Arg::Lit => {
                    let tok = rest
                        .next()
                        .ok_or_else(|| format!("{} expects a literal `#N`", op.name()))?;
                    let n = tok
                        .strip_prefix('#')
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| format!("expected a literal `#N`, found `{}`", tok))?;
                    Ref(n)
                }
                Arg::Ref => {
                    let tok = rest
                        .next()
                        .ok_or_else(|| format!("{} expects a reference", op.name()))?;
                    let r = self.operand(tok)?;
                    // (Only a second operand may be absent: TSETMETA's.)
                    if i == 0 && r == Ref::NONE {
                        return Err(format!("{} needs a first operand, not `----`", op.name()));
                    }
                    r
                }
            };
        }
        if let Some(extra) = rest.next() {
            return Err(format!("unexpected operand `{}` for {}", extra, op.name()));
        }
        let r = if op == Op::LOOP {
            if ty != Ty::Void {
                return Err("LOOP has no type".into());
            }
            if !self.seen_snap {
                return Err("LOOP needs a SNAP line before it".into());
            }
            let s = self.t.commit_snapshot();
            let r = self.t.push(Op::LOOP, Ty::Void, args[0].0, args[1].0);
            self.t.ins[r.idx()].snap = s;
            if self.t.loop_at.is_none() {
                self.t.loop_at = Some(r.idx());
            } else {
                self.t.peeled = true;
            }
            r
        } else {
            if guard && !self.seen_snap {
                return Err(format!("guard {} needs a SNAP line before it", op.name()));
            }
            self.t.emit(op, ty, args[0], args[1])
        };
        if marker == Some('}') {
            if !r.is_ins() {
                return Err(format!("sunk {} was folded away", op.name()));
            }
            self.t.sunk.push(r.idx());
        }
        self.names.insert(name, r);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_and_op_name_reads_back() {
        for &ty in &Ty::ALL[1..] {
            assert_eq!(Ty::from_name(ty.name()), Some(ty));
        }
        for &op in crate::ops::OP_ALL {
            assert_eq!(Op::from_name(op.name()), Some(op));
        }
    }

    #[test]
    fn tokens_keep_bracket_groups() {
        assert_eq!(
            tokens(" a [ 1=[ptr 0x0] 2=0003 ]  pc 4").unwrap(),
            vec!["a", "[ 1=[ptr 0x0] 2=0003 ]", "pc", "4"]
        );
        assert!(tokens("[a").is_err());
        assert!(tokens("a]").is_err());
    }

    #[test]
    fn constants() {
        assert_eq!(constant("+2"), Ok(Const::Num(2.0)));
        assert_eq!(constant("-3i"), Ok(Const::Int(-3)));
        assert_eq!(constant("tab 0x10"), Ok(Const::Ptr(16, Ty::Tab)));
        assert_eq!(constant("val 0x1"), Ok(Const::Val(1)));
        assert!(constant("+2x").is_err());
        assert!(constant("foo 0x1").is_err());
    }
}
