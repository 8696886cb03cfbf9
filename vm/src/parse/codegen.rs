//! Code generator used by the parser: the function state under
//! construction (code, constants, registers, scopes, labels), expression
//! descriptors that delay code emission until the context is known, and
//! jump lists threaded through the D fields of pending JMP/UCLO
//! instructions (a test's jump list entries can later be patched to copy
//! the tested value: ISTC/ISFC, or not: IST/ISF).

use crate::bytecode::{self as bc, Op};
use crate::gc::Heap;
use crate::object::*;
use crate::value::Value;
use std::collections::HashMap;
use std::ptr::NonNull;

/// End of a jump list.
pub const NO_JMP: usize = usize::MAX;
/// D value of a jump that is the end of its list (offset -1).
pub const NO_JMP_D: u32 = (bc::JUMP_BIAS - 1) as u32;
/// Register placeholder for a test whose copy target is not known yet.
const NO_REG: u32 = 255;
pub const MAX_UPVALS: usize = 60;
pub const MAX_LOCALS: usize = 200;
/// Maximum frame size (registers).
const MAX_SLOTS: u32 = 250;

/// An error found by the code generator: at a line, or near the current token.
#[derive(Debug)]
pub enum CodegenError {
    At(u32, String),
    #[allow(dead_code)]
    Near(String),
}

/// Key of an indexed expression.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Key {
    Reg(u32),
    /// String constant (k index < 256).
    Str(u32),
    /// Integer 0..=255.
    Byte(u32),
}

/// An interned string constant of the source (compared by identity).
#[derive(Copy, Clone, Debug)]
pub struct KStr(pub Value);

impl PartialEq for KStr {
    fn eq(&self, o: &KStr) -> bool {
        self.0.bits() == o.0.bits()
    }
}

#[derive(Copy, Clone, Debug, PartialEq)]
pub enum ExpKind {
    Void,
    Nil,
    False,
    True,
    /// String constant (an interned string: its k index is made when
    /// an instruction needs it, so strings that only go into a table
    /// constructor's template take none).
    Str(KStr),
    Num(f64),
    Local(u32),
    Upval(u32),
    /// Global variable (k index of its name).
    Global(u32),
    Indexed {
        t: u32,
        key: Key,
    },
    /// A call instruction at this pc (result in its A register).
    Call(usize),
    /// A VARG instruction at this pc.
    Vararg(usize),
    /// Value in a fixed register.
    NonReloc(u32),
    /// Instruction at this pc whose A can still be chosen.
    Relocable(usize),
    /// Comparison: the JMP at this pc is taken when it is true.
    Jmp(usize),
}

#[derive(Copy, Clone, Debug)]
pub struct ExpDesc {
    pub k: ExpKind,
    /// Jumps taken when the expression is true.
    pub t: usize,
    /// Jumps taken when the expression is false.
    pub f: usize,
}

impl ExpDesc {
    pub fn new(k: ExpKind) -> ExpDesc {
        ExpDesc {
            k,
            t: NO_JMP,
            f: NO_JMP,
        }
    }
    pub fn has_jumps(&self) -> bool {
        self.t != NO_JMP || self.f != NO_JMP
    }
    pub fn has_multret(&self) -> bool {
        matches!(self.k, ExpKind::Call(_) | ExpKind::Vararg(_))
    }
    pub fn is_assignable(&self) -> bool {
        matches!(
            self.k,
            ExpKind::Local(_) | ExpKind::Upval(_) | ExpKind::Global(_) | ExpKind::Indexed { .. }
        )
    }
    fn is_const(&self) -> bool {
        self.const_value().is_some()
    }
    /// The value of a constant expression (nil, booleans, numbers,
    /// strings), or None.
    pub fn const_value(&self) -> Option<Value> {
        if self.has_jumps() {
            return None;
        }
        Some(match self.k {
            ExpKind::Nil => Value::NIL,
            ExpKind::False => Value::FALSE,
            ExpKind::True => Value::TRUE,
            ExpKind::Num(n) => Value::num(n),
            ExpKind::Str(s) => s.0,
            _ => return None,
        })
    }
    fn num(&self) -> Option<f64> {
        match self.k {
            ExpKind::Num(n) if !self.has_jumps() => Some(n),
            _ => None,
        }
    }
}

struct Block {
    nactvar: usize,
    is_loop: bool,
    upval: bool,
    breaks: usize,
    first_label: usize,
}

struct Label {
    name: Value,
    pc: usize,
    nactvar: usize,
    depth: usize,
}

struct Goto {
    name: Value,
    pc: usize,
    line: u32,
    nactvar: usize,
    depth: usize,
}

pub struct FuncState {
    pub code: Vec<u32>,
    pub lineinfo: Vec<u32>,
    k: Vec<Value>,
    kmap: HashMap<u64, u32>,
    pub protos: Vec<NonNull<Proto>>,
    upvals: Vec<(Value, UvDesc)>,
    /// Per upvalue: the enclosing function's local (its `locvars` index)
    /// it captures, or None for an upvalue of the enclosing function.
    pub uvsrc: Vec<Option<usize>>,
    /// Per upvalue: assigned in this function (or a nested one).
    pub uv_written: Vec<bool>,
    /// Per local (`locvars` index): assigned after its declaration.
    pub rw: Vec<bool>,
    /// Per child prototype (`protos` order): its upvalues' `uvsrc`.
    pub child_uvsrc: Vec<Vec<Option<usize>>>,
    pub numparams: u8,
    pub is_vararg: bool,
    framesize: u32,
    pub freereg: u32,
    pub linedefined: u32,
    /// Current source line for instructions emitted without one.
    pub line: u32,
    pub pending_vars: Vec<Value>,
    /// Indices into `locvars` of the active locals (register order).
    actvars: Vec<usize>,
    locvars: Vec<LocVar>,
    blocks: Vec<Block>,
    /// Jumps to the next instruction emitted.
    jpc: usize,
    labels: Vec<Label>,
    gotos: Vec<Goto>,
    error: Option<CodegenError>,
}

impl FuncState {
    /// Bytes of the growing parts (code, line numbers, constants), which
    /// the heap does not count while the chunk compiles.
    pub fn rust_bytes(&self) -> usize {
        self.code.capacity() * 4
            + self.lineinfo.capacity() * 4
            + self.k.capacity() * 8
            + self.kmap.capacity() * 16
    }

    pub fn new(line: u32) -> FuncState {
        FuncState {
            code: Vec::new(),
            lineinfo: Vec::new(),
            k: Vec::new(),
            kmap: HashMap::new(),
            protos: Vec::new(),
            upvals: Vec::new(),
            uvsrc: Vec::new(),
            uv_written: Vec::new(),
            rw: Vec::new(),
            child_uvsrc: Vec::new(),
            numparams: 0,
            is_vararg: false,
            framesize: 1,
            freereg: 0,
            linedefined: line,
            line: line.max(1),
            pending_vars: Vec::new(),
            actvars: Vec::new(),
            locvars: Vec::new(),
            blocks: Vec::new(),
            jpc: NO_JMP,
            labels: Vec::new(),
            gotos: Vec::new(),
            error: None,
        }
    }

    // ---- emission ----

    pub fn pc(&self) -> usize {
        self.code.len()
    }

    pub fn emit(&mut self, ins: u32, line: u32) -> usize {
        let pc = self.code.len();
        let jpc = std::mem::replace(&mut self.jpc, NO_JMP);
        self.patch_list_aux(jpc, pc, NO_REG, pc);
        self.code.push(ins);
        self.lineinfo.push(if line == 0 { self.line } else { line });
        pc
    }

    fn emit_here(&mut self, ins: u32) -> usize {
        let l = self.line;
        self.emit(ins, l)
    }

    pub fn set_a(&mut self, pc: usize, a: u32) {
        let i = self.code[pc];
        self.code[pc] = (i & !0xff00) | (a << 8);
    }
    fn set_b(&mut self, pc: usize, b: u32) {
        let i = self.code[pc];
        self.code[pc] = (i & 0x00ff_ffff) | (b << 24);
    }
    pub fn set_d(&mut self, pc: usize, d: u32) {
        let i = self.code[pc];
        self.code[pc] = (i & 0xffff) | (d << 16);
    }
    fn op_at(&self, pc: usize) -> u8 {
        bc::op(self.code[pc])
    }

    // ---- constants ----

    pub fn k_value(&mut self, v: Value) -> u32 {
        if let Some(&i) = self.kmap.get(&v.bits()) {
            return i;
        }
        let i = self.k.len() as u32;
        if i >= 65536 {
            self.error.get_or_insert(CodegenError::At(
                self.line,
                "constant table overflow".into(),
            ));
            return 0;
        }
        self.k.push(v);
        self.kmap.insert(v.bits(), i);
        i
    }

    pub fn k_num(&mut self, n: f64) -> u32 {
        self.k_value(Value::num(n))
    }

    // ---- registers ----

    pub fn check_stack(&mut self, n: u32) {
        let need = self.freereg + n;
        if need > self.framesize {
            if need > MAX_SLOTS {
                self.error.get_or_insert(CodegenError::At(
                    self.line,
                    "function or expression too complex".into(),
                ));
            }
            self.framesize = need;
        }
    }

    pub fn reserve(&mut self, n: u32) {
        self.check_stack(n);
        self.freereg += n;
    }

    fn free_reg(&mut self, r: u32) {
        if r >= self.nactvar() as u32 && r != NO_REG {
            debug_assert_eq!(r + 1, self.freereg, "registers freed out of order");
            self.freereg -= 1;
        }
    }

    pub fn free_exp(&mut self, e: &ExpDesc) {
        if let ExpKind::NonReloc(r) = e.k {
            self.free_reg(r);
        }
    }

    /// Free two expressions' registers, the higher one first.
    fn free_exps(&mut self, a: &ExpDesc, b: &ExpDesc) {
        let ra = if let ExpKind::NonReloc(r) = a.k {
            Some(r)
        } else {
            None
        };
        let rb = if let ExpKind::NonReloc(r) = b.k {
            Some(r)
        } else {
            None
        };
        match (ra, rb) {
            (Some(x), Some(y)) if x < y => {
                self.free_reg(y);
                self.free_reg(x);
            }
            (Some(x), Some(y)) => {
                self.free_reg(x);
                self.free_reg(y);
            }
            (Some(x), None) | (None, Some(x)) => self.free_reg(x),
            _ => {}
        }
    }

    // ---- variables and scopes ----

    pub fn nactvar(&self) -> usize {
        self.actvars.len()
    }

    pub fn activate_vars(&mut self, n: usize) {
        let pc = self.pc() as u32;
        for name in self.pending_vars.drain(..n).collect::<Vec<_>>() {
            self.actvars.push(self.locvars.len());
            self.rw.push(false);
            self.locvars.push(LocVar {
                name,
                startpc: pc,
                endpc: 0,
            });
        }
    }

    pub fn fix_last_var_startpc(&mut self) {
        let pc = self.pc() as u32;
        if let Some(&i) = self.actvars.last() {
            self.locvars[i].startpc = pc;
        }
    }

    fn remove_vars(&mut self, to: usize) {
        let pc = self.pc() as u32;
        while self.actvars.len() > to {
            let i = self.actvars.pop().unwrap();
            self.locvars[i].endpc = pc;
        }
    }

    pub fn find_local(&self, name: Value) -> Option<u32> {
        self.actvars
            .iter()
            .rposition(|&i| self.locvars[i].name.bits() == name.bits())
            .map(|r| r as u32)
    }

    pub fn find_upval(&self, name: Value) -> Option<u32> {
        self.upvals
            .iter()
            .position(|(n, _)| n.bits() == name.bits())
            .map(|i| i as u32)
    }

    /// Add an upvalue capturing `d` (`src`: the enclosing function's
    /// local, by `locvars` index, for `UvDesc::Local`).
    pub fn add_upval(&mut self, name: Value, d: UvDesc, src: Option<usize>) -> usize {
        self.upvals.push((name, d));
        self.uvsrc.push(src);
        self.uv_written.push(false);
        self.upvals.len() - 1
    }

    /// What upvalue `i` captures.
    pub fn upval_desc(&self, i: usize) -> UvDesc {
        self.upvals[i].1
    }

    /// The `locvars` index of the active local in register `reg`.
    pub fn local_var(&self, reg: u32) -> Option<usize> {
        self.actvars.get(reg as usize).copied()
    }

    /// A local in register `reg` was captured by a closure.
    pub fn mark_upval(&mut self, reg: u32) {
        if let Some(b) = self
            .blocks
            .iter_mut()
            .rev()
            .find(|b| b.nactvar <= reg as usize)
        {
            b.upval = true;
        }
    }

    pub fn enter_block(&mut self, is_loop: bool) {
        self.blocks.push(Block {
            nactvar: self.nactvar(),
            is_loop,
            upval: false,
            breaks: NO_JMP,
            first_label: self.labels.len(),
        });
    }

    pub fn block_has_upval(&self) -> bool {
        self.blocks.last().is_some_and(|b| b.upval)
    }

    pub fn block_nactvar(&self) -> u32 {
        self.blocks.last().map_or(0, |b| b.nactvar as u32)
    }

    pub fn leave_block(&mut self, line: u32) -> Result<(), CodegenError> {
        self.leave_block_impl(line, true)
    }

    pub fn leave_block_no_close(&mut self, line: u32) -> Result<(), CodegenError> {
        self.leave_block_impl(line, false)
    }

    fn leave_block_impl(&mut self, line: u32, close: bool) -> Result<(), CodegenError> {
        let bl = self.blocks.pop().expect("block");
        self.remove_vars(bl.nactvar);
        if bl.upval && close {
            let pc = self.emit(bc::ad(Op::UCLO, bl.nactvar as u32, NO_JMP_D), line);
            self.fix_jump(pc, pc + 1);
        }
        self.labels.truncate(bl.first_label);
        // Pending gotos of the block move out to the enclosing one (closing
        // the block's upvalues on the way); one whose label is visible
        // there, declared before, binds to it now: no nearer label of that
        // name can come any more.
        let depth = self.blocks.len();
        let mut i = 0;
        while i < self.gotos.len() {
            if self.gotos[i].depth > depth {
                let g = &mut self.gotos[i];
                g.depth = depth;
                if bl.upval && g.nactvar > bl.nactvar {
                    let pc = g.pc;
                    self.goto_uclo(pc, bl.nactvar);
                }
                let g = &mut self.gotos[i];
                g.nactvar = g.nactvar.min(bl.nactvar);
                let name = g.name;
                if let Some(li) = self.block_label(name) {
                    let g = self.gotos.remove(i);
                    self.patch_backward(g.pc, g.nactvar, li);
                    continue;
                }
            }
            i += 1;
        }
        self.freereg = self.nactvar() as u32;
        if bl.is_loop {
            self.patch_to_here(bl.breaks);
        }
        Ok(())
    }

    /// End of the function body: no goto may remain unresolved.
    pub fn leave_block_final(&mut self) -> Result<(), CodegenError> {
        let line = self.line;
        self.leave_block(line)?;
        if let Some(g) = self.gotos.first() {
            return Err(CodegenError::At(
                g.line,
                format!(
                    "undefined label '{}'",
                    String::from_utf8_lossy(str_bytes(g.name))
                ),
            ));
        }
        Ok(())
    }

    pub fn break_jump(&mut self, line: u32) -> Result<(), CodegenError> {
        let Some(li) = self.blocks.iter().rposition(|b| b.is_loop) else {
            return Err(CodegenError::At(line, "no loop to break".into()));
        };
        let upval = self.blocks[li..].iter().any(|b| b.upval);
        let pc = if upval {
            let base = self.blocks[li].nactvar as u32;
            self.emit(bc::ad(Op::UCLO, base, NO_JMP_D), line)
        } else {
            self.jump()
        };
        let mut l = self.blocks[li].breaks;
        self.concat_jumps(&mut l, pc);
        self.blocks[li].breaks = l;
        Ok(())
    }

    /// The label `name` of the innermost block, if it has one.
    fn block_label(&self, name: Value) -> Option<usize> {
        let first = self.blocks.last().map_or(0, |b| b.first_label);
        self.labels[first..]
            .iter()
            .position(|l| l.name.bits() == name.bits())
            .map(|i| first + i)
    }

    /// Bind the goto jump (list) at `pc`, made with `nactvar` locals
    /// active, to the label `li` declared before it in an enclosing block.
    fn patch_backward(&mut self, pc: usize, nactvar: usize, li: usize) {
        let (lpc, lnact, ldepth) = (
            self.labels[li].pc,
            self.labels[li].nactvar,
            self.labels[li].depth,
        );
        // Locals of the label's block declared after the label go out of
        // scope; inner blocks left on the way made the jump a UCLO already.
        let upval = self.blocks[ldepth - 1].upval && nactvar > lnact;
        if upval || self.op_at(pc) == Op::UCLO as u8 {
            self.goto_uclo(pc, lnact);
        }
        self.patch_list(pc, lpc);
    }

    /// Make the goto jump at `pc` close the upvalues from `base` on (the
    /// lowest base wins). The jumps chained to it (pending jumps to where
    /// the goto is, taken over by its JMP) now go to the UCLO, so they
    /// close them too.
    fn goto_uclo(&mut self, pc: usize, base: usize) {
        let ins = self.code[pc];
        if bc::op(ins) == Op::UCLO as u8 {
            self.set_a(pc, bc::a(ins).min(base as u32));
            return;
        }
        let rest = self.get_jump(pc);
        self.code[pc] = bc::ad(Op::UCLO, base as u32, NO_JMP_D);
        self.patch_list_aux(rest, pc, NO_REG, pc);
    }

    /// `goto name`. It binds to the label of that name in the innermost
    /// block around it that has one, before or after it: a label of the
    /// current block declared before is the one; any other stays pending
    /// until its label is declared or its block ends.
    pub fn goto_jump(&mut self, name: Value, line: u32) -> Result<(), CodegenError> {
        let nactvar = self.nactvar();
        let pc = self.jump();
        if let Some(li) = self.block_label(name) {
            self.patch_backward(pc, nactvar, li);
            return Ok(());
        }
        let depth = self.blocks.len();
        self.gotos.push(Goto {
            name,
            pc,
            line,
            nactvar,
            depth,
        });
        Ok(())
    }

    /// Declare the label `name` at the current pc (`line`: where a
    /// duplicate is reported). Returns its index for `resolve_label`.
    pub fn declare_label(&mut self, name: Value, line: u32) -> Result<usize, CodegenError> {
        if self.block_label(name).is_some() {
            return Err(CodegenError::At(
                line,
                format!(
                    "duplicate label '{}'",
                    String::from_utf8_lossy(str_bytes(name))
                ),
            ));
        }
        let nactvar = self.nactvar();
        let pc = self.pc();
        let depth = self.blocks.len();
        self.labels.push(Label {
            name,
            pc,
            nactvar,
            depth,
        });
        Ok(self.labels.len() - 1)
    }

    /// Bind the pending gotos of the current block to the label `li`,
    /// declared last (no code since). A label at the end of its block
    /// (`at_end`: only labels follow before the block's end) is outside
    /// the scope of the block's locals, so gotos may jump past them to it.
    pub fn resolve_label(&mut self, li: usize, at_end: bool) -> Result<(), CodegenError> {
        debug_assert_eq!(self.labels[li].pc, self.pc());
        if at_end {
            self.labels[li].nactvar = self.blocks.last().map_or(0, |b| b.nactvar);
        }
        let (name, nact, depth) = (
            self.labels[li].name,
            self.labels[li].nactvar,
            self.labels[li].depth,
        );
        let mut i = 0;
        while i < self.gotos.len() {
            let g = &self.gotos[i];
            if g.name.bits() == name.bits() && g.depth >= depth {
                if g.nactvar < nact {
                    let var = self.locvars[self.actvars[g.nactvar]].name;
                    return Err(CodegenError::At(
                        g.line,
                        format!(
                            "<goto {}> jumps into the scope of local '{}'",
                            String::from_utf8_lossy(str_bytes(name)),
                            String::from_utf8_lossy(str_bytes(var))
                        ),
                    ));
                }
                let g = self.gotos.remove(i);
                self.patch_to_here(g.pc);
            } else {
                i += 1;
            }
        }
        Ok(())
    }

    // ---- jumps ----

    fn get_jump(&self, pc: usize) -> usize {
        let off = bc::jump(self.code[pc]);
        if off == -1 {
            NO_JMP
        } else {
            (pc as i64 + 1 + off as i64) as usize
        }
    }

    pub fn fix_jump(&mut self, pc: usize, target: usize) {
        let off = target as i64 - (pc as i64 + 1);
        let d = off + bc::JUMP_BIAS as i64;
        if !(0..65536).contains(&d) {
            self.error.get_or_insert(CodegenError::At(
                self.line,
                "control structure too long".into(),
            ));
            return;
        }
        self.set_d(pc, d as u32);
    }

    pub fn concat_jumps(&mut self, l1: &mut usize, l2: usize) {
        if l2 == NO_JMP {
            return;
        }
        if *l1 == NO_JMP {
            *l1 = l2;
            return;
        }
        let mut list = *l1;
        loop {
            let next = self.get_jump(list);
            if next == NO_JMP {
                break;
            }
            list = next;
        }
        self.fix_jump(list, l2);
    }

    /// Emit an unconditional jump (also taking the jumps pending to here).
    pub fn jump(&mut self) -> usize {
        let jpc = std::mem::replace(&mut self.jpc, NO_JMP);
        let a = self.freereg;
        let mut j = self.emit_here(bc::ad(Op::JMP, a, NO_JMP_D));
        self.concat_jumps(&mut j, jpc);
        j
    }

    pub fn emit_uclo(&mut self, base: u32, line: u32) -> usize {
        self.emit(bc::ad(Op::UCLO, base, NO_JMP_D), line)
    }

    pub fn emit_loop(&mut self, line: u32) -> usize {
        let a = self.nactvar() as u32;
        self.emit(bc::ad(Op::LOOP, a, NO_JMP_D), line)
    }

    pub fn fix_loop(&mut self, pc: usize) {
        let here = self.pc();
        self.fix_jump(pc, here);
    }

    /// The jumps of `list` go to the next instruction emitted. They carry
    /// no value there (a test-and-copy becomes a plain test now): `jump`
    /// may hand the pending list on to a jump of an expression's true or
    /// false list, which must not mistake them for value jumps.
    pub fn patch_to_here(&mut self, list: usize) {
        self.remove_values(list);
        let mut j = self.jpc;
        self.concat_jumps(&mut j, list);
        self.jpc = j;
    }

    pub fn patch_list(&mut self, list: usize, target: usize) {
        if target == self.pc() {
            self.patch_to_here(list);
        } else {
            self.patch_list_aux(list, target, NO_REG, target);
        }
    }

    /// Instruction controlling the jump at `pc` (the test before it, if any).
    fn jump_control(&self, pc: usize) -> usize {
        if pc >= 1 && self.op_at(pc - 1) <= Op::ISF as u8 {
            pc - 1
        } else {
            pc
        }
    }

    /// Make a test-and-copy store into `reg`, or turn it into a plain test.
    fn patch_test_reg(&mut self, node: usize, reg: u32) -> bool {
        let c = self.jump_control(node);
        let op = self.op_at(c);
        if op != Op::ISTC as u8 && op != Op::ISFC as u8 {
            return false;
        }
        let ins = self.code[c];
        if reg != NO_REG && reg != bc::d(ins) {
            self.set_a(c, reg);
        } else {
            let nop = if op == Op::ISTC as u8 {
                Op::IST
            } else {
                Op::ISF
            };
            self.code[c] = bc::ad(nop, 0, bc::d(ins));
        }
        true
    }

    fn patch_list_aux(&mut self, mut list: usize, vtarget: usize, reg: u32, dtarget: usize) {
        while list != NO_JMP {
            let next = self.get_jump(list);
            if self.patch_test_reg(list, reg) {
                self.fix_jump(list, vtarget);
            } else {
                self.fix_jump(list, dtarget);
            }
            list = next;
        }
    }

    fn remove_values(&mut self, mut list: usize) {
        while list != NO_JMP {
            self.patch_test_reg(list, NO_REG);
            list = self.get_jump(list);
        }
    }

    fn need_value(&self, mut list: usize) -> bool {
        while list != NO_JMP {
            let c = self.jump_control(list);
            let op = self.op_at(c);
            if op != Op::ISTC as u8 && op != Op::ISFC as u8 {
                return true;
            }
            list = self.get_jump(list);
        }
        false
    }

    fn invert_jump(&mut self, pc: usize) {
        let c = self.jump_control(pc);
        let ins = self.code[c];
        let inv = match Op::from_u8(bc::op(ins)).unwrap() {
            Op::ISLT => Op::ISGE,
            Op::ISGE => Op::ISLT,
            Op::ISLE => Op::ISGT,
            Op::ISGT => Op::ISLE,
            Op::ISEQV => Op::ISNEV,
            Op::ISNEV => Op::ISEQV,
            Op::ISEQS => Op::ISNES,
            Op::ISNES => Op::ISEQS,
            Op::ISEQN => Op::ISNEN,
            Op::ISNEN => Op::ISEQN,
            Op::ISEQP => Op::ISNEP,
            Op::ISNEP => Op::ISEQP,
            Op::IST => Op::ISF,
            Op::ISF => Op::IST,
            Op::ISTC => Op::ISFC,
            Op::ISFC => Op::ISTC,
            o => o,
        };
        self.code[c] = bc::set_op(ins, inv);
    }

    // ---- expressions ----

    pub fn set_call_results(&mut self, pc: usize, n: i32) {
        self.set_b(pc, (n + 1) as u32);
    }

    /// A call or vararg yields exactly one value.
    pub fn set_one_ret(&mut self, e: &mut ExpDesc) {
        match e.k {
            ExpKind::Call(pc) => e.k = ExpKind::NonReloc(bc::a(self.code[pc])),
            ExpKind::Vararg(pc) => {
                self.set_b(pc, 2);
                e.k = ExpKind::Relocable(pc);
            }
            _ => {}
        }
    }

    /// A call or vararg yields `n` values (-1: all).
    fn set_returns(&mut self, e: &mut ExpDesc, n: i32) {
        match e.k {
            ExpKind::Call(pc) => self.set_b(pc, (n + 1) as u32),
            ExpKind::Vararg(pc) => {
                self.set_b(pc, (n + 1) as u32);
                let r = self.freereg;
                self.set_a(pc, r);
                self.reserve(1);
            }
            _ => {}
        }
    }

    pub fn set_multret(&mut self, e: &mut ExpDesc) {
        self.set_returns(e, -1);
    }

    /// Base register of a multi-value call or vararg.
    pub fn call_base_of(&self, e: &ExpDesc) -> u32 {
        match e.k {
            ExpKind::Call(pc) | ExpKind::Vararg(pc) => bc::a(self.code[pc]),
            _ => self.freereg,
        }
    }

    pub fn make_tailcall(&mut self, pc: usize) {
        let ins = self.code[pc];
        let (a, c) = (bc::a(ins), bc::c(ins));
        let op = if bc::op(ins) == Op::CALL as u8 {
            Op::CALLT
        } else {
            Op::CALLMT
        };
        self.code[pc] = bc::ad(op, a, c);
    }

    pub fn discharge_vars(&mut self, e: &mut ExpDesc) {
        match e.k {
            ExpKind::Local(r) => e.k = ExpKind::NonReloc(r),
            ExpKind::Upval(i) => e.k = ExpKind::Relocable(self.emit_here(bc::ad(Op::UGET, 0, i))),
            ExpKind::Global(k) => e.k = ExpKind::Relocable(self.emit_here(bc::ad(Op::GGET, 0, k))),
            ExpKind::Indexed { t, key } => {
                let ins = match key {
                    Key::Reg(r) => {
                        self.free_reg(r);
                        self.free_reg(t);
                        bc::abc(Op::TGETV, 0, t, r)
                    }
                    Key::Str(k) => {
                        self.free_reg(t);
                        bc::abc(Op::TGETS, 0, t, k)
                    }
                    Key::Byte(b) => {
                        self.free_reg(t);
                        bc::abc(Op::TGETB, 0, t, b)
                    }
                };
                e.k = ExpKind::Relocable(self.emit_here(ins));
            }
            ExpKind::Call(_) | ExpKind::Vararg(_) => self.set_one_ret(e),
            _ => {}
        }
    }

    fn load_num(&mut self, reg: u32, n: f64) {
        let i = n as i16;
        if i as f64 == n && !(n == 0.0 && n.is_sign_negative()) {
            self.emit_here(bc::ad(Op::KSHORT, reg, i as u16 as u32));
        } else {
            let k = self.k_num(n);
            self.emit_here(bc::ad(Op::KNUM, reg, k));
        }
    }

    fn discharge2reg(&mut self, e: &mut ExpDesc, reg: u32) {
        self.discharge_vars(e);
        match e.k {
            ExpKind::Nil => {
                self.emit_here(bc::ad(Op::KPRI, reg, 0));
            }
            ExpKind::False => {
                self.emit_here(bc::ad(Op::KPRI, reg, 1));
            }
            ExpKind::True => {
                self.emit_here(bc::ad(Op::KPRI, reg, 2));
            }
            ExpKind::Str(sv) => {
                let k = self.k_value(sv.0);
                self.emit_here(bc::ad(Op::KSTR, reg, k));
            }
            ExpKind::Num(n) => self.load_num(reg, n),
            ExpKind::Relocable(pc) => self.set_a(pc, reg),
            ExpKind::NonReloc(r) => {
                if r != reg {
                    self.emit_here(bc::ad(Op::MOV, reg, r));
                }
            }
            _ => return,
        }
        e.k = ExpKind::NonReloc(reg);
    }

    fn discharge2anyreg(&mut self, e: &mut ExpDesc) {
        if !matches!(e.k, ExpKind::NonReloc(_)) {
            let r = self.freereg;
            self.reserve(1);
            self.discharge2reg(e, r);
        }
    }

    pub fn exp2reg(&mut self, e: &mut ExpDesc, reg: u32, _line: u32) {
        self.discharge2reg(e, reg);
        if let ExpKind::Jmp(pc) = e.k {
            let mut t = e.t;
            self.concat_jumps(&mut t, pc);
            e.t = t;
        }
        if e.has_jumps() {
            let mut p_f = NO_JMP;
            let mut p_t = NO_JMP;
            if self.need_value(e.t) || self.need_value(e.f) {
                let fj = if matches!(e.k, ExpKind::Jmp(_)) {
                    NO_JMP
                } else {
                    self.jump()
                };
                p_f = self.emit_here(bc::ad(Op::KPRI, reg, 1));
                let skip = self.jump();
                p_t = self.emit_here(bc::ad(Op::KPRI, reg, 2));
                self.patch_to_here(fj);
                self.patch_to_here(skip);
            }
            let fin = self.pc();
            let (t, f) = (e.t, e.f);
            // Pending jumps to "here" are resolved by the next emission;
            // the value jumps go to `fin` as well.
            self.patch_list_aux(f, fin, reg, p_f);
            self.patch_list_aux(t, fin, reg, p_t);
        }
        e.t = NO_JMP;
        e.f = NO_JMP;
        e.k = ExpKind::NonReloc(reg);
    }

    pub fn exp2nextreg(&mut self, e: &mut ExpDesc) {
        self.discharge_vars(e);
        self.free_exp(e);
        let r = self.freereg;
        self.reserve(1);
        let l = self.line;
        self.exp2reg(e, r, l);
    }

    pub fn exp2anyreg(&mut self, e: &mut ExpDesc, line: u32) -> u32 {
        self.discharge_vars(e);
        if let ExpKind::NonReloc(r) = e.k {
            if !e.has_jumps() {
                return r;
            }
            if r >= self.nactvar() as u32 {
                self.exp2reg(e, r, line);
                return r;
            }
        }
        self.exp2nextreg(e);
        match e.k {
            ExpKind::NonReloc(r) => r,
            _ => unreachable!(),
        }
    }

    pub fn exp2val(&mut self, e: &mut ExpDesc) {
        if e.has_jumps() {
            let l = self.line;
            self.exp2anyreg(e, l);
        } else {
            self.discharge_vars(e);
        }
    }

    /// Keep constant keys as constants; anything else goes to a register now.
    pub fn key_to_rk(&mut self, k: &mut ExpDesc) {
        if self.key_const(k).is_none() {
            let l = self.line;
            self.exp2anyreg(k, l);
        }
    }

    fn key_const(&mut self, k: &ExpDesc) -> Option<Key> {
        if k.has_jumps() {
            return None;
        }
        match k.k {
            ExpKind::Str(sv) => {
                let i = self.k_value(sv.0);
                (i < 256).then_some(Key::Str(i))
            }
            ExpKind::Num(n)
                if (0.0..=255.0).contains(&n) && n.fract() == 0.0 && !n.is_sign_negative() =>
            {
                Some(Key::Byte(n as u32))
            }
            _ => None,
        }
    }

    /// `t[k]`: `t` is in a register already.
    pub fn indexed(&mut self, t: &mut ExpDesc, k: &mut ExpDesc, line: u32) {
        let ExpKind::NonReloc(tr) = t.k else {
            let r = self.exp2anyreg(t, line);
            return self.indexed_reg(t, r, k, line);
        };
        self.indexed_reg(t, tr, k, line)
    }

    fn indexed_reg(&mut self, t: &mut ExpDesc, tr: u32, k: &mut ExpDesc, line: u32) {
        let key = match self.key_const(k) {
            Some(key) => key,
            None => Key::Reg(self.exp2anyreg(k, line)),
        };
        t.k = ExpKind::Indexed { t: tr, key };
    }

    /// `obj:name` for a method call: obj to A+1, the method to A.
    pub fn method_self(&mut self, e: &mut ExpDesc, k: u32, line: u32) {
        let obj = self.exp2anyreg(e, line);
        self.free_exp(e);
        let func = self.freereg;
        self.reserve(2);
        if obj != func + 1 {
            self.emit(bc::ad(Op::MOV, func + 1, obj), line);
        }
        if k < 256 {
            self.emit(bc::abc(Op::TGETS, func, func + 1, k), line);
        } else {
            self.emit(bc::ad(Op::KSTR, func, k), line);
            self.emit(bc::abc(Op::TGETV, func, func + 1, func), line);
        }
        e.k = ExpKind::NonReloc(func);
    }

    /// A condition (`if`, `while`, `until`): fall through when true, the
    /// false list jumps away. Its value is never used, so `nil` is `false`.
    pub fn cond(&mut self, e: &mut ExpDesc) {
        self.discharge_vars(e);
        if e.k == ExpKind::Nil {
            e.k = ExpKind::False;
        }
        self.goiftrue(e);
    }

    /// Jump when the expression is false; fall through when true. Plain
    /// jumps of a false list stand for the value `false`, so a `nil` whose
    /// value may be needed (`(a or nil) and b`) is tested in a register.
    pub fn goiftrue(&mut self, e: &mut ExpDesc) {
        self.discharge_vars(e);
        let pc = match e.k {
            ExpKind::Str(_) | ExpKind::Num(_) | ExpKind::True => NO_JMP,
            ExpKind::False => self.jump(),
            ExpKind::Jmp(pc) => {
                self.invert_jump(pc);
                pc
            }
            _ => self.jump_on_cond(e, false),
        };
        let mut f = e.f;
        self.concat_jumps(&mut f, pc);
        e.f = f;
        self.patch_to_here(e.t);
        e.t = NO_JMP;
    }

    /// Jump when the expression is true; fall through when false.
    pub fn goiffalse(&mut self, e: &mut ExpDesc) {
        self.discharge_vars(e);
        let pc = match e.k {
            ExpKind::Nil | ExpKind::False => NO_JMP,
            // A true constant jumps with no value needed; other constants
            // are the value of the expression, so they go through a register.
            ExpKind::True => self.jump(),
            ExpKind::Jmp(pc) => pc,
            _ => self.jump_on_cond(e, true),
        };
        let mut t = e.t;
        self.concat_jumps(&mut t, pc);
        e.t = t;
        self.patch_to_here(e.f);
        e.f = NO_JMP;
    }

    fn jump_on_cond(&mut self, e: &mut ExpDesc, cond: bool) -> usize {
        if let ExpKind::Relocable(pc) = e.k {
            let ins = self.code[pc];
            if bc::op(ins) == Op::NOT as u8 && pc + 1 == self.pc() {
                // Drop the NOT and test its operand the other way round.
                self.code.pop();
                self.lineinfo.pop();
                let op = if cond { Op::ISF } else { Op::IST };
                self.emit_here(bc::ad(op, 0, bc::d(ins)));
                return self.jump();
            }
        }
        self.discharge2anyreg(e);
        self.free_exp(e);
        let ExpKind::NonReloc(r) = e.k else {
            unreachable!()
        };
        let op = if cond { Op::ISTC } else { Op::ISFC };
        self.emit_here(bc::ad(op, NO_REG, r));
        self.jump()
    }

    /// `-` of an imaginary literal just loaded (`-2i`) is folded as LuaJIT
    /// folds it: the constant's imaginary part changes sign (the real part
    /// stays +0), since complex arithmetic does not exist at run time.
    fn negate_complex_constant(&mut self, e: &ExpDesc) -> bool {
        let ExpKind::Relocable(pc) = e.k else {
            return false;
        };
        let ins = self.code[pc];
        if bc::op(ins) != Op::KCDATA as u8 || e.t != NO_JMP || e.f != NO_JMP {
            return false;
        }
        let Some(c) = self.k[bc::d(ins) as usize].as_cdata_ptr() else {
            return false;
        };
        if crate::object::Cdata::ctype(c) != crate::object::CT_COMPLEX {
            return false;
        }
        // SAFETY: a complex constant made by the parser: two doubles.
        unsafe {
            let im = (crate::object::Cdata::payload(c) as *mut f64).add(1);
            im.write(-im.read());
        }
        true
    }

    pub fn prefix(&mut self, op: u8, e: &mut ExpDesc, line: u32) {
        match op {
            b'-' => {
                if let Some(n) = e.num() {
                    e.k = ExpKind::Num(-n);
                    return;
                }
                if self.negate_complex_constant(e) {
                    return;
                }
                let r = self.exp2anyreg(e, line);
                self.free_exp(e);
                e.k = ExpKind::Relocable(self.emit(bc::ad(Op::UNM, 0, r), line));
            }
            b'#' => {
                let r = self.exp2anyreg(e, line);
                self.free_exp(e);
                e.k = ExpKind::Relocable(self.emit(bc::ad(Op::LEN, 0, r), line));
            }
            _ => self.code_not(e, line),
        }
    }

    fn code_not(&mut self, e: &mut ExpDesc, line: u32) {
        self.discharge_vars(e);
        match e.k {
            ExpKind::Nil | ExpKind::False => e.k = ExpKind::True,
            ExpKind::Str(_) | ExpKind::Num(_) | ExpKind::True => e.k = ExpKind::False,
            ExpKind::Jmp(pc) => self.invert_jump(pc),
            ExpKind::Relocable(_) | ExpKind::NonReloc(_) => {
                self.discharge2anyreg(e);
                self.free_exp(e);
                let ExpKind::NonReloc(r) = e.k else {
                    unreachable!()
                };
                e.k = ExpKind::Relocable(self.emit(bc::ad(Op::NOT, 0, r), line));
            }
            _ => {}
        }
        std::mem::swap(&mut e.t, &mut e.f);
        self.remove_values(e.f);
        self.remove_values(e.t);
    }

    pub fn infix(&mut self, op: super::BinOp, e: &mut ExpDesc, line: u32) {
        use super::BinOp::*;
        match op {
            And => self.goiftrue(e),
            Or => self.goiffalse(e),
            Concat => self.exp2nextreg(e),
            Add | Sub | Mul | Div | Mod | Pow => {
                if e.num().is_none() {
                    self.exp2anyreg(e, line);
                }
            }
            Eq | Ne => {
                if !e.is_const() {
                    self.exp2anyreg(e, line);
                }
            }
            Lt | Le | Gt | Ge => {
                self.exp2anyreg(e, line);
            }
        }
    }

    pub fn posfix(
        &mut self,
        op: super::BinOp,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
    ) -> Result<(), CodegenError> {
        use super::BinOp::*;
        match op {
            And => {
                self.discharge_vars(e2);
                let mut f = e2.f;
                self.concat_jumps(&mut f, e1.f);
                e2.f = f;
                *e1 = *e2;
            }
            Or => {
                self.discharge_vars(e2);
                let mut t = e2.t;
                self.concat_jumps(&mut t, e1.t);
                e2.t = t;
                *e1 = *e2;
            }
            Concat => {
                self.exp2val(e2);
                let ExpKind::NonReloc(r1) = e1.k else {
                    unreachable!()
                };
                if let ExpKind::Relocable(pc) = e2.k {
                    let ins = self.code[pc];
                    if bc::op(ins) == Op::CAT as u8 && bc::b(ins) == r1 + 1 {
                        self.free_exp(e1);
                        self.code[pc] = bc::abc(Op::CAT, 0, r1, bc::c(ins));
                        e1.k = ExpKind::Relocable(pc);
                        return Ok(());
                    }
                }
                self.exp2nextreg(e2);
                let ExpKind::NonReloc(r2) = e2.k else {
                    unreachable!()
                };
                self.free_exps(e1, e2);
                e1.k = ExpKind::Relocable(self.emit(bc::abc(Op::CAT, 0, r1, r2), line));
            }
            Add | Sub | Mul | Div | Mod | Pow => self.code_arith(op, e1, e2, line),
            Eq | Ne | Lt | Le | Gt | Ge => self.code_comp(op, e1, e2, line),
        }
        Ok(())
    }

    fn code_arith(&mut self, op: super::BinOp, e1: &mut ExpDesc, e2: &mut ExpDesc, line: u32) {
        use super::BinOp::*;
        if let (Some(a), Some(b)) = (e1.num(), e2.num()) {
            let r = match op {
                Add => a + b,
                Sub => a - b,
                Mul => a * b,
                Div => a / b,
                Mod => crate::interp::lua_mod(a, b),
                _ => a.powf(b),
            };
            if !r.is_nan() {
                e1.k = ExpKind::Num(r);
                return;
            }
        }
        let (vn, nv, vv) = match op {
            Add => (Op::ADDVN, Op::ADDNV, Op::ADDVV),
            Sub => (Op::SUBVN, Op::SUBNV, Op::SUBVV),
            Mul => (Op::MULVN, Op::MULNV, Op::MULVV),
            Div => (Op::DIVVN, Op::DIVNV, Op::DIVVV),
            Mod => (Op::MODVN, Op::MODNV, Op::MODVV),
            _ => (Op::POW, Op::POW, Op::POW),
        };
        let ins = if op != Pow
            && e2.num().is_some()
            && self.k_num_small(e2.num().unwrap()).is_some()
        {
            let k = self.k_num_small(e2.num().unwrap()).unwrap();
            let b = self.exp2anyreg(e1, line);
            self.free_exp(e1);
            bc::abc(vn, 0, b, k)
        } else if op != Pow && e1.num().is_some() && self.k_num_small(e1.num().unwrap()).is_some() {
            let k = self.k_num_small(e1.num().unwrap()).unwrap();
            let b = self.exp2anyreg(e2, line);
            self.free_exp(e2);
            bc::abc(nv, 0, b, k)
        } else {
            let c = self.exp2anyreg(e2, line);
            let b = self.exp2anyreg(e1, line);
            self.free_exps(e1, e2);
            bc::abc(vv, 0, b, c)
        };
        e1.k = ExpKind::Relocable(self.emit(ins, line));
        e1.t = NO_JMP;
        e1.f = NO_JMP;
    }

    /// k index of a number if it fits an 8-bit operand.
    fn k_num_small(&mut self, n: f64) -> Option<u32> {
        let k = self.k_num(n);
        if k < 256 {
            Some(k)
        } else {
            None
        }
    }

    fn code_comp(&mut self, op: super::BinOp, e1: &mut ExpDesc, e2: &mut ExpDesc, line: u32) {
        use super::BinOp::*;
        let ins = match op {
            Eq | Ne => {
                let eq = op == Eq;
                if e1.is_const() && !e2.is_const() {
                    std::mem::swap(e1, e2);
                }
                let a = self.exp2anyreg(e1, line);
                if e2.is_const() {
                    self.free_exp(e1);
                    match e2.k {
                        ExpKind::Str(sv) => {
                            let k = self.k_value(sv.0);
                            bc::ad(if eq { Op::ISEQS } else { Op::ISNES }, a, k)
                        }
                        ExpKind::Num(n) => {
                            let k = self.k_num(n);
                            bc::ad(if eq { Op::ISEQN } else { Op::ISNEN }, a, k)
                        }
                        ExpKind::Nil => bc::ad(if eq { Op::ISEQP } else { Op::ISNEP }, a, 0),
                        ExpKind::False => bc::ad(if eq { Op::ISEQP } else { Op::ISNEP }, a, 1),
                        _ => bc::ad(if eq { Op::ISEQP } else { Op::ISNEP }, a, 2),
                    }
                } else {
                    let d = self.exp2anyreg(e2, line);
                    self.free_exps(e1, e2);
                    bc::ad(if eq { Op::ISEQV } else { Op::ISNEV }, a, d)
                }
            }
            _ => {
                let a = self.exp2anyreg(e1, line);
                let d = self.exp2anyreg(e2, line);
                self.free_exps(e1, e2);
                match op {
                    Lt => bc::ad(Op::ISLT, a, d),
                    Le => bc::ad(Op::ISLE, a, d),
                    Gt => bc::ad(Op::ISLT, d, a),
                    _ => bc::ad(Op::ISLE, d, a),
                }
            }
        };
        self.emit(ins, line);
        let j = self.jump();
        *e1 = ExpDesc::new(ExpKind::Jmp(j));
    }

    // ---- stores ----

    pub fn store_var(&mut self, var: &ExpDesc, e: &mut ExpDesc, line: u32) {
        match var.k {
            ExpKind::Local(r) => {
                if let Some(v) = self.local_var(r) {
                    self.rw[v] = true;
                }
                self.free_exp(e);
                self.exp2reg(e, r, line);
                return;
            }
            ExpKind::Upval(i) => {
                self.uv_written[i as usize] = true;
                let ins = if !e.has_jumps() {
                    match e.k {
                        ExpKind::Str(sv) => Some(bc::ad(Op::USETS, i, self.k_value(sv.0))),
                        ExpKind::Num(n) => Some(bc::ad(Op::USETN, i, self.k_num(n))),
                        ExpKind::Nil => Some(bc::ad(Op::USETP, i, 0)),
                        ExpKind::False => Some(bc::ad(Op::USETP, i, 1)),
                        ExpKind::True => Some(bc::ad(Op::USETP, i, 2)),
                        _ => None,
                    }
                } else {
                    None
                };
                let ins = match ins {
                    Some(i) => i,
                    None => {
                        let r = self.exp2anyreg(e, line);
                        bc::ad(Op::USETV, i, r)
                    }
                };
                self.emit(ins, line);
            }
            ExpKind::Global(k) => {
                let r = self.exp2anyreg(e, line);
                self.emit(bc::ad(Op::GSET, r, k), line);
            }
            ExpKind::Indexed { t, key } => {
                let r = self.exp2anyreg(e, line);
                let ins = match key {
                    Key::Reg(kr) => bc::abc(Op::TSETV, r, t, kr),
                    Key::Str(k) => bc::abc(Op::TSETS, r, t, k),
                    Key::Byte(b) => bc::abc(Op::TSETB, r, t, b),
                };
                self.emit(ins, line);
            }
            _ => unreachable!("store to a non-variable"),
        }
        self.free_exp(e);
    }

    /// In `a, b.c = ...`, a later local target used as a table or key of an
    /// earlier indexed target must be read through a copy.
    pub fn check_conflict(&mut self, lhs: &mut [ExpDesc], v: &mut ExpDesc) {
        let ExpKind::Local(reg) = v.k else { return };
        let extra = self.freereg;
        let mut conflict = false;
        for l in lhs.iter_mut() {
            if let ExpKind::Indexed { t, key } = &mut l.k {
                if *t == reg {
                    conflict = true;
                    *t = extra;
                }
                if *key == Key::Reg(reg) {
                    conflict = true;
                    *key = Key::Reg(extra);
                }
            }
        }
        if conflict {
            let l = self.line;
            self.emit(bc::ad(Op::MOV, extra, reg), l);
            self.reserve(1);
        }
    }

    pub fn adjust_assign(&mut self, nvars: usize, nexps: usize, mut e: ExpDesc, line: u32) {
        let mut extra = nvars as i32 - nexps as i32;
        if e.has_multret() {
            extra += 1;
            if extra < 0 {
                extra = 0;
            }
            self.set_returns(&mut e, extra);
            if extra > 1 {
                self.reserve(extra as u32 - 1);
            }
        } else {
            if !matches!(e.k, ExpKind::Void) {
                self.exp2nextreg(&mut e);
            }
            if extra > 0 {
                let r = self.freereg;
                self.reserve(extra as u32);
                if extra == 1 {
                    self.emit(bc::ad(Op::KPRI, r, 0), line);
                } else {
                    self.emit(bc::ad(Op::KNIL, r, r + extra as u32 - 1), line);
                }
            }
        }
    }

    /// Array item `idx` (1-based) of a table constructor.
    pub fn store_array_item(&mut self, t: u32, idx: u32, item: &mut ExpDesc, line: u32) {
        let r = self.exp2anyreg(item, line);
        if idx <= 255 {
            self.emit(bc::abc(Op::TSETB, r, t, idx), line);
        } else {
            let kr = self.freereg;
            self.reserve(1);
            self.load_num(kr, idx as f64);
            self.emit(bc::abc(Op::TSETV, r, t, kr), line);
            self.free_reg(kr);
        }
        self.free_exp(item);
    }

    /// `[key] = v` or `name = v` in a table constructor.
    pub fn store_field(&mut self, t: u32, key: &mut ExpDesc, v: &mut ExpDesc, line: u32) {
        let k = match self.key_const(key) {
            Some(k) => k,
            None => Key::Reg(self.exp2anyreg(key, line)),
        };
        let r = self.exp2anyreg(v, line);
        let ins = match k {
            Key::Reg(kr) => bc::abc(Op::TSETV, r, t, kr),
            Key::Str(s) => bc::abc(Op::TSETS, r, t, s),
            Key::Byte(b) => bc::abc(Op::TSETB, r, t, b),
        };
        self.emit(ins, line);
        self.free_exps(key, v);
    }

    pub fn ret(&mut self, first: u32, n: usize, line: u32) {
        let ins = match n {
            0 => bc::ad(Op::RET0, first, 1),
            1 => bc::ad(Op::RET1, first, 2),
            _ => bc::ad(Op::RET, first, n as u32 + 1),
        };
        self.emit(ins, line);
    }

    /// Build the prototype.
    pub fn finish(
        mut self,
        heap: &mut Heap,
        source: Value,
        lastline: u32,
    ) -> Result<NonNull<Proto>, String> {
        if let Some(e) = self.error.take() {
            let chunk = crate::debuginfo::chunkid(str_bytes(source));
            return Err(match e {
                CodegenError::At(l, m) => format!("{}:{}: {}", chunk, l, m),
                CodegenError::Near(m) => format!("{}: {}", chunk, m),
            });
        }
        let op = if self.is_vararg { Op::FUNCV } else { Op::FUNCF };
        self.framesize = self.framesize.max(self.freereg).max(1);
        self.code[0] = bc::ad(op, self.framesize, 0);
        self.lineinfo[0] = self.linedefined;
        // The children's upvalues over this function's locals: immutable
        // unless assigned after the declaration (here or in any nested
        // function); those over this function's upvalues follow them
        // (`set_immutable_upvalues`, from the main chunk down).
        for (c, srcs) in self.protos.iter().zip(&self.child_uvsrc) {
            let mut bits = 0u64;
            for (i, src) in srcs.iter().enumerate() {
                if src.is_some_and(|v| !self.rw[v]) && i < 64 {
                    bits |= 1 << i;
                }
            }
            crate::debuginfo::proto(*c).uvimm.set(bits);
        }
        let (uvnames, uvdesc): (Vec<Value>, Vec<UvDesc>) = self.upvals.into_iter().unzip();
        let p = Proto {
            hdr: GcHeader::new(GcKind::Proto),
            code: self.code,
            k: self.k,
            protos: self.protos,
            uvdesc,
            numparams: self.numparams,
            is_vararg: self.is_vararg,
            framesize: self.framesize as u8,
            lineinfo: self.lineinfo,
            locvars: self.locvars,
            uvnames,
            source,
            linedefined: self.linedefined,
            lastlinedefined: lastline,
            nojit: false,
            nclosures: 0,
            uvimm: std::cell::Cell::new(0),
        };
        Ok(heap.new_proto(p))
    }
}
