//! Parser: a single-pass recursive-descent parser for Lua 5.1 plus
//! LuaJIT 2.1's `goto`/labels, emitting register bytecode directly through
//! the code generator in `parse/codegen.rs` (expression descriptors, jump
//! lists, registers and constants).

mod codegen;

use crate::bytecode::{self as bc, Op};
use crate::error::{LuaError, LuaResult};
use crate::lex::{Lexer, Tok};
use crate::object::Proto;
use crate::state::Vm;
use crate::value::Value;
use codegen::*;
use std::ptr::NonNull;

/// Compile a chunk to its main prototype; a syntax error is the full
/// message (`chunk:line: msg near 'tok'`), running out of memory an error
/// to raise (`CompileError::Raise`).
pub fn compile(vm: &mut Vm, src: &[u8], chunkname: &[u8]) -> Result<NonNull<Proto>, CompileError> {
    let lx = Lexer::new(src, crate::debuginfo::chunkid(chunkname));
    compile_from(vm, lx, None, chunkname)
}

/// The reader of a source that comes in pieces (`load` with a function):
/// the next piece (None: the source ends), or the value loading fails
/// with (`Err` inside), or an error to raise (a yield).
pub type Reader<'r> = dyn FnMut(&mut Vm) -> LuaResult<Result<Option<Vec<u8>>, Value>> + 'r;

/// Why a chunk did not compile.
#[derive(Debug)]
pub enum CompileError {
    /// A syntax error: the full message.
    Syntax(String),
    /// The reader failed with this value.
    Reader(Value),
    /// The reader raised an error that is not caught here.
    Raise(LuaError),
}

/// Compile a chunk whose source starts with `first` and continues with
/// what `reader` returns (unless `eof`), read only as the lexer needs it:
/// a syntax error stops the reading there, as in LuaJIT.
pub fn compile_reader(
    vm: &mut Vm,
    first: Vec<u8>,
    eof: bool,
    reader: &mut Reader<'_>,
    chunkname: &[u8],
) -> Result<NonNull<Proto>, CompileError> {
    let lx = Lexer::incremental(first, eof, crate::debuginfo::chunkid(chunkname));
    compile_from(vm, lx, Some(reader), chunkname)
}

fn compile_from<'a>(
    vm: &'a mut Vm,
    lx: Lexer,
    reader: Option<&'a mut Reader<'a>>,
    chunkname: &[u8],
) -> Result<NonNull<Proto>, CompileError> {
    let source = vm.heap.intern_value(chunkname);
    let mut p = Parser {
        lx,
        reader,
        failed: None,
        tok: Tok::Eof,
        ahead: None,
        lastline: 1,
        fs: Vec::new(),
        vm,
        source,
        depth: 0,
        tokens: 0,
    };
    match p.main() {
        Ok(main) => Ok(main),
        Err(msg) => Err(p.failed.take().unwrap_or(CompileError::Syntax(msg))),
    }
}

/// Upvalues over upvalues are immutable when the enclosing function's
/// are (`Proto::uvimm`): set from the main chunk down, once every
/// function's own locals are known.
fn set_immutable_upvalues(p: NonNull<Proto>) {
    let pr = crate::debuginfo::proto(p);
    let mine = pr.uvimm.get();
    for &c in &pr.protos {
        let cp = crate::debuginfo::proto(c);
        let mut bits = cp.uvimm.get();
        for (i, d) in cp.uvdesc.iter().enumerate() {
            if let (crate::object::UvDesc::Upval(j), true) = (d, i < 64) {
                if *j < 64 && mine & (1 << j) != 0 {
                    bits |= 1 << i;
                }
            }
        }
        cp.uvimm.set(bits);
        set_immutable_upvalues(c);
    }
}

/// Binary operators with their left and right priorities (5.1 table).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Concat,
    Ne,
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    fn prio(self) -> (u8, u8) {
        match self {
            BinOp::Add | BinOp::Sub => (6, 6),
            BinOp::Mul | BinOp::Div | BinOp::Mod => (7, 7),
            BinOp::Pow => (10, 9),
            BinOp::Concat => (5, 4),
            BinOp::Ne | BinOp::Eq | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => (3, 3),
            BinOp::And => (2, 2),
            BinOp::Or => (1, 1),
        }
    }
}

const UNARY_PRIO: u8 = 8;
const MAX_LEVELS: usize = 200;

pub struct Parser<'a> {
    lx: Lexer,
    /// Where more source comes from (None: all of it is in `lx`).
    reader: Option<&'a mut Reader<'a>>,
    /// The reader failed (the parse error that carried it out is empty).
    failed: Option<CompileError>,
    tok: Tok,
    ahead: Option<(Tok, Vec<u8>, u32)>,
    /// Line of the last token consumed (instructions get this line).
    lastline: u32,
    fs: Vec<FuncState>,
    vm: &'a mut Vm,
    source: crate::value::Value,
    depth: usize,
    /// Tokens read, for the periodic memory check (`check_memory`).
    tokens: u32,
}

type PResult<T> = Result<T, String>;

/// A token pending over this many bytes is not scanned again per piece:
/// the reader is called until what is buffered of it doubles (so a long
/// string read in many small pieces costs linear time).
const BIG_TOKEN: usize = 64 * 1024;

impl Parser<'_> {
    fn main(&mut self) -> PResult<NonNull<Proto>> {
        self.next()?;
        self.open_func(0);
        self.cur().is_vararg = true;
        self.block()?;
        self.check(&Tok::Eof)?;
        let (main, _) = self.close_func()?;
        set_immutable_upvalues(main);
        Ok(main)
    }

    // ---- tokens ----

    /// The next token from the lexer, reading more source when it needs
    /// it (also the byte after the token, as LuaJIT's lexer reads one
    /// ahead).
    fn lex(&mut self) -> PResult<Tok> {
        loop {
            if let Some(t) = self.lx.scan()? {
                if self.lx.hungry() {
                    self.refill()?;
                }
                return Ok(t);
            }
            self.refill()?;
        }
    }

    /// Feed the lexer the reader's next piece (more for a big pending
    /// token). Collections wait while the reader runs: the objects the
    /// parser made so far are not rooted.
    fn refill(&mut self) -> PResult<()> {
        let pending = self.lx.pending();
        let want = if pending > BIG_TOKEN { pending } else { 1 };
        let mut got = 0;
        while got < want {
            let Some(reader) = self.reader.as_mut() else {
                self.lx.feed(None);
                return Ok(());
            };
            self.vm.heap.defer += 1;
            let r = reader(self.vm);
            self.vm.heap.defer -= 1;
            match r {
                Ok(Ok(Some(piece))) => {
                    got += piece.len().max(1);
                    self.lx.feed(Some(&piece));
                }
                Ok(Ok(None)) => {
                    self.reader = None;
                    self.lx.feed(None);
                    return Ok(());
                }
                Ok(Err(v)) => {
                    self.failed = Some(CompileError::Reader(v));
                    return Err(String::new());
                }
                Err(e) => {
                    self.failed = Some(CompileError::Raise(e));
                    return Err(String::new());
                }
            }
        }
        Ok(())
    }

    /// Fail with "not enough memory" (raised by the loader, status
    /// `Memory`) when what the compilation holds outside the heap, plus
    /// `more`, could take the heap past its limit as it grows. (No collection can run
    /// while a chunk compiles: its prototypes are not rooted yet.)
    fn check_memory(&mut self, more: usize) -> PResult<()> {
        let held = self.fs.iter().map(FuncState::rust_bytes).sum::<usize>() + more;
        // (A vector that doubles holds three times its size meanwhile.)
        if self.vm.heap.would_exceed(held.saturating_mul(3)) {
            return Err(self.out_of_memory());
        }
        Ok(())
    }

    /// The parse error that carries "not enough memory" out.
    fn out_of_memory(&mut self) -> String {
        self.failed = Some(CompileError::Raise(self.vm.memory_error()));
        String::new()
    }

    fn next(&mut self) -> PResult<()> {
        self.tokens = self.tokens.wrapping_add(1);
        if self.tokens.is_multiple_of(4096) {
            self.check_memory(0)?;
        }
        self.lastline = self.lx.line;
        if let Some(fs) = self.fs.last_mut() {
            fs.line = self.lastline;
        }
        if let Some((t, text, _line)) = self.ahead.take() {
            self.tok = t;
            self.lx.tok_text = text;
            return Ok(());
        }
        self.tok = self.lex()?;
        Ok(())
    }

    fn lookahead(&mut self) -> PResult<&Tok> {
        if self.ahead.is_none() {
            let saved = std::mem::take(&mut self.lx.tok_text);
            let t = self.lex()?;
            let text = std::mem::replace(&mut self.lx.tok_text, saved);
            self.ahead = Some((t, text, self.lx.line));
        }
        Ok(&self.ahead.as_ref().unwrap().0)
    }

    fn err(&self, msg: &str) -> String {
        self.lx.error_near(msg, Some(&self.lx.tok_text.clone()))
    }

    fn err_expected(&self, what: &str) -> String {
        self.err(&format!("'{}' expected", what))
    }

    fn check(&self, t: &Tok) -> PResult<()> {
        if &self.tok == t {
            Ok(())
        } else {
            Err(self.err_expected(&t.describe()))
        }
    }

    fn check_next(&mut self, t: &Tok) -> PResult<()> {
        self.check(t)?;
        self.next()
    }

    fn test_next(&mut self, t: &Tok) -> PResult<bool> {
        if &self.tok == t {
            self.next()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// `what` expected to close `who` opened at `line`.
    fn check_match(&mut self, what: &Tok, who: &Tok, line: u32) -> PResult<()> {
        if &self.tok == what {
            return self.next();
        }
        if line == self.lx.line {
            Err(self.err_expected(&what.describe()))
        } else {
            Err(self.err(&format!(
                "'{}' expected (to close '{}' at line {})",
                what.describe(),
                who.describe(),
                line
            )))
        }
    }

    fn name(&mut self) -> PResult<Vec<u8>> {
        if let Tok::Name(n) = &self.tok {
            let n = n.clone();
            self.next()?;
            Ok(n)
        } else {
            Err(self.err_expected("<name>"))
        }
    }

    fn enter_level(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_LEVELS {
            return Err(self.lx.error_near("chunk has too many syntax levels", None));
        }
        Ok(())
    }

    // ---- function states ----

    fn cur(&mut self) -> &mut FuncState {
        self.fs.last_mut().unwrap()
    }

    fn open_func(&mut self, line: u32) {
        let mut fs = FuncState::new(line);
        fs.emit(bc::ad(Op::FUNCF, 0, 0), line);
        self.fs.push(fs);
        self.cur().enter_block(false);
    }

    /// Finish the innermost function: its prototype, and what its
    /// upvalues capture (`FuncState::uvsrc`, for the enclosing function's
    /// `finish`). Assignments it made to upvalues mark the captured
    /// variables of the enclosing function.
    fn close_func(&mut self) -> PResult<(NonNull<Proto>, Vec<Option<usize>>)> {
        let line = self.lastline;
        let fs = self.cur();
        fs.leave_block_final().map_err(|e| self.lx_error_at(e))?;
        let fs = self.cur();
        fs.ret(0, 0, line);
        let mut fs = self.fs.pop().unwrap();
        let uvsrc = std::mem::take(&mut fs.uvsrc);
        if let Some(parent) = self.fs.last_mut() {
            for (i, &w) in fs.uv_written.iter().enumerate() {
                match (w, uvsrc[i], fs.upval_desc(i)) {
                    (true, Some(v), _) => parent.rw[v] = true,
                    (true, None, crate::object::UvDesc::Upval(j)) => {
                        parent.uv_written[j as usize] = true
                    }
                    _ => {}
                }
            }
        }
        // (The main chunk ends on the line of its end of input, as in
        // LuaJIT's `debug.getinfo(main).lastlinedefined`.)
        let last = if self.fs.is_empty() {
            self.lx.line
        } else {
            line
        };
        let p = fs.finish(&mut self.vm.heap, self.source, last)?;
        Ok((p, uvsrc))
    }

    fn lx_error_at(&self, e: CodegenError) -> String {
        match e {
            CodegenError::At(line, msg) => format!("{}:{}: {}", self.lx.chunk(), line, msg),
            CodegenError::Near(msg) => self.err(&msg),
        }
    }

    fn cg<T>(&self, r: Result<T, CodegenError>) -> PResult<T> {
        r.map_err(|e| self.lx_error_at(e))
    }

    fn kstr(&mut self, s: &[u8]) -> u32 {
        let v = self.vm.heap.intern_value(s);
        self.cur().k_value(v)
    }

    // ---- variables ----

    /// Resolve a name: local, upvalue (captured through enclosing
    /// functions) or global.
    fn singlevar(&mut self, name: &[u8]) -> PResult<ExpDesc> {
        let nv = self.vm.heap.intern_value(name);
        let top = self.fs.len() - 1;
        match self.resolve(top, nv)? {
            Some(e) => Ok(e),
            None => {
                let k = self.kstr(name);
                Ok(ExpDesc::new(ExpKind::Global(k)))
            }
        }
    }

    fn resolve(&mut self, level: usize, name: crate::value::Value) -> PResult<Option<ExpDesc>> {
        if let Some(reg) = self.fs[level].find_local(name) {
            return Ok(Some(ExpDesc::new(ExpKind::Local(reg))));
        }
        if let Some(i) = self.fs[level].find_upval(name) {
            return Ok(Some(ExpDesc::new(ExpKind::Upval(i))));
        }
        if level == 0 {
            return Ok(None);
        }
        let desc = match self.resolve(level - 1, name)? {
            None => return Ok(None),
            Some(e) => match e.k {
                ExpKind::Local(reg) => {
                    self.fs[level - 1].mark_upval(reg);
                    (
                        crate::object::UvDesc::Local(reg as u8),
                        self.fs[level - 1].local_var(reg),
                    )
                }
                ExpKind::Upval(i) => (crate::object::UvDesc::Upval(i as u16), None),
                _ => unreachable!(),
            },
        };
        let (desc, src) = desc;
        let i = self.fs[level].add_upval(name, desc, src);
        if i >= MAX_UPVALS {
            let line = self.fs[level].linedefined;
            return Err(self.lx.error_near(
                &format!(
                    "function at line {} has more than {} upvalues",
                    line, MAX_UPVALS
                ),
                None,
            ));
        }
        Ok(Some(ExpDesc::new(ExpKind::Upval(i as u32))))
    }

    fn new_local(&mut self, name: &[u8]) -> PResult<()> {
        let v = self.vm.heap.intern_value(name);
        let fs = self.cur();
        fs.pending_vars.push(v);
        if fs.nactvar() + fs.pending_vars.len() > MAX_LOCALS {
            let what = if fs.linedefined == 0 {
                "main function".to_string()
            } else {
                format!("function at line {}", fs.linedefined)
            };
            return Err(self.lx.error_near(
                &format!("{} has more than {} local variables", what, MAX_LOCALS),
                None,
            ));
        }
        Ok(())
    }

    fn new_local_str(&mut self, name: &str) -> PResult<()> {
        self.new_local(name.as_bytes())
    }

    // ---- statements ----

    fn block_follow(&self) -> bool {
        matches!(
            self.tok,
            Tok::Else | Tok::Elseif | Tok::End | Tok::Until | Tok::Eof
        )
    }

    fn block(&mut self) -> PResult<()> {
        loop {
            if self.block_follow() {
                return Ok(());
            }
            if self.tok == Tok::Return {
                self.next()?;
                self.retstat()?;
                return Ok(());
            }
            self.statement()?;
        }
    }

    fn statement(&mut self) -> PResult<()> {
        let line = self.lx.line;
        self.enter_level()?;
        match self.tok.clone() {
            Tok::Char(b';') => self.next()?,
            Tok::If => self.ifstat(line)?,
            Tok::While => self.whilestat(line)?,
            Tok::Do => {
                self.next()?;
                self.scoped_block()?;
                self.check_match(&Tok::End, &Tok::Do, line)?;
            }
            Tok::For => self.forstat(line)?,
            Tok::Repeat => self.repeatstat(line)?,
            Tok::Function => self.funcstat(line)?,
            Tok::Local => {
                self.next()?;
                if self.test_next(&Tok::Function)? {
                    self.localfunc()?;
                } else {
                    self.localstat()?;
                }
            }
            Tok::DbColon => self.labelstat()?,
            Tok::Return => {
                self.next()?;
                self.retstat()?;
            }
            Tok::Break => {
                self.next()?;
                let l = self.lastline;
                let r = self.cur().break_jump(l);
                self.cg(r)?;
            }
            // `goto` is a name, except before a name other than `goto`.
            Tok::Name(ref n)
                if n.as_slice() == b"goto"
                    && matches!(self.lookahead()?, Tok::Name(m) if m.as_slice() != b"goto") =>
            {
                self.next()?;
                let n = self.name()?;
                let nv = self.vm.heap.intern_value(&n);
                // Like its jump, the goto is on the line of the label name.
                let l = self.lastline;
                let r = self.cur().goto_jump(nv, l);
                self.cg(r)?;
            }
            _ => self.exprstat()?,
        }
        let fs = self.cur();
        debug_assert!(fs.freereg >= fs.nactvar() as u32);
        fs.freereg = fs.nactvar() as u32;
        self.depth -= 1;
        Ok(())
    }

    /// A block with its own scope.
    fn scoped_block(&mut self) -> PResult<()> {
        self.cur().enter_block(false);
        self.block()?;
        let line = self.lastline;
        let r = self.cur().leave_block(line);
        self.cg(r)
    }

    /// `::name::`, and the labels right after it. A run of labels at the
    /// end of a block (before `end`, `else`, `elseif` or the end of the
    /// chunk; not `until`, whose condition still sees the block's locals)
    /// is outside the scope of the block's locals. As in LuaJIT, the
    /// labels are declared in order and bound to their gotos last first.
    fn labelstat(&mut self) -> PResult<()> {
        let mut run = Vec::new();
        while self.tok == Tok::DbColon {
            self.next()?;
            let name = self.name()?;
            let nv = self.vm.heap.intern_value(&name);
            // A duplicate is reported on the line of the closing `::`.
            let line = self.lx.line;
            let r = self.cur().declare_label(nv, line);
            run.push(self.cg(r)?);
            self.check_next(&Tok::DbColon)?;
        }
        let at_end = self.block_follow() && self.tok != Tok::Until;
        for &li in run.iter().rev() {
            let r = self.cur().resolve_label(li, at_end);
            self.cg(r)?;
        }
        Ok(())
    }

    fn test_then_block(&mut self, escapes: &mut usize) -> PResult<()> {
        self.next()?; // skip IF or ELSEIF
        let mut cond = self.expr()?;
        self.check_next(&Tok::Then)?;
        let fs = self.cur();
        fs.cond(&mut cond);
        let jf = cond.f;
        self.scoped_block()?;
        if matches!(self.tok, Tok::Else | Tok::Elseif) {
            let fs = self.cur();
            let j = fs.jump();
            fs.concat_jumps(escapes, j);
        }
        self.cur().patch_to_here(jf);
        Ok(())
    }

    fn ifstat(&mut self, line: u32) -> PResult<()> {
        let mut escapes = NO_JMP;
        self.test_then_block(&mut escapes)?;
        while self.tok == Tok::Elseif {
            self.test_then_block(&mut escapes)?;
        }
        if self.test_next(&Tok::Else)? {
            self.scoped_block()?;
        }
        self.check_match(&Tok::End, &Tok::If, line)?;
        self.cur().patch_to_here(escapes);
        Ok(())
    }

    fn whilestat(&mut self, line: u32) -> PResult<()> {
        self.next()?;
        let start = self.cur().pc();
        let mut cond = self.expr()?;
        self.check_next(&Tok::Do)?;
        let fs = self.cur();
        fs.cond(&mut cond);
        let exit = cond.f;
        fs.enter_block(true);
        let loop_pc = fs.emit_loop(0);
        self.scoped_block()?;
        self.check_match(&Tok::End, &Tok::While, line)?;
        let l = self.lastline;
        let fs = self.cur();
        let back = fs.jump();
        fs.patch_list(back, start);
        let r = fs.leave_block(l);
        self.cg(r)?;
        let fs = self.cur();
        fs.patch_to_here(exit);
        fs.fix_loop(loop_pc);
        Ok(())
    }

    fn repeatstat(&mut self, line: u32) -> PResult<()> {
        self.next()?;
        let fs = self.cur();
        let start = fs.pc();
        fs.enter_block(true); // loop block
        fs.enter_block(false); // scope block
        let loop_pc = fs.emit_loop(0);
        self.block()?;
        self.check_match(&Tok::Until, &Tok::Repeat, line)?;
        let mut cond = self.expr()?;
        let l = self.lastline;
        let fs = self.cur();
        let upval = fs.block_has_upval();
        fs.cond(&mut cond);
        if !upval {
            let r = fs.leave_block(l);
            self.cg(r)?;
            let fs = self.cur();
            fs.patch_list(cond.f, start);
        } else {
            // Close the body's upvalues on both the exit and the loop path.
            let base = fs.block_nactvar();
            let exit = fs.emit_uclo(base, l);
            let fs = self.cur();
            fs.patch_to_here(cond.f);
            let back = fs.emit_uclo(base, l);
            fs.patch_list(back, start);
            fs.patch_to_here(exit);
            let r = fs.leave_block_no_close(l);
            self.cg(r)?;
        }
        let fs = self.cur();
        let r = fs.leave_block(l);
        self.cg(r)?;
        self.cur().fix_loop(loop_pc);
        Ok(())
    }

    fn forstat(&mut self, line: u32) -> PResult<()> {
        self.next()?;
        self.cur().enter_block(true);
        let n1 = self.name()?;
        match self.tok {
            Tok::Char(b'=') => self.fornum(n1, line)?,
            Tok::Char(b',') | Tok::In => self.forlist(n1)?,
            _ => return Err(self.err("'=' or 'in' expected")),
        }
        self.check_match(&Tok::End, &Tok::For, line)?;
        let l = self.lastline;
        let r = self.cur().leave_block(l);
        self.cg(r)
    }

    fn exp1(&mut self) -> PResult<()> {
        let mut e = self.expr()?;
        self.cur().exp2nextreg(&mut e);
        Ok(())
    }

    fn fornum(&mut self, var: Vec<u8>, line: u32) -> PResult<()> {
        let base = self.cur().freereg;
        self.new_local_str("(for index)")?;
        self.new_local_str("(for limit)")?;
        self.new_local_str("(for step)")?;
        self.new_local(&var)?;
        self.check_next(&Tok::Char(b'='))?;
        self.exp1()?;
        self.check_next(&Tok::Char(b','))?;
        self.exp1()?;
        if self.test_next(&Tok::Char(b','))? {
            self.exp1()?;
        } else {
            let l = self.lastline;
            let fs = self.cur();
            let r = fs.freereg;
            fs.reserve(1);
            fs.emit(bc::ad(Op::KSHORT, r, 1), l);
        }
        self.check_next(&Tok::Do)?;
        let l = self.lastline;
        let fs = self.cur();
        fs.activate_vars(3);
        let fori = fs.emit(bc::ad(Op::FORI, base, NO_JMP_D), l);
        fs.enter_block(false);
        fs.activate_vars(1);
        fs.reserve(1);
        self.block()?;
        let l = self.lastline;
        let fs = self.cur();
        let r = fs.leave_block(l);
        self.cg(r)?;
        let fs = self.cur();
        let forl = fs.emit(bc::ad(Op::FORL, base, NO_JMP_D), line);
        fs.fix_jump(forl, fori + 1);
        fs.fix_jump(fori, forl + 1);
        Ok(())
    }

    fn forlist(&mut self, first: Vec<u8>) -> PResult<()> {
        let base = self.cur().freereg;
        self.new_local_str("(for generator)")?;
        self.new_local_str("(for state)")?;
        self.new_local_str("(for control)")?;
        self.new_local(&first)?;
        let mut nvars = 1;
        while self.test_next(&Tok::Char(b','))? {
            let n = self.name()?;
            self.new_local(&n)?;
            nvars += 1;
        }
        self.check_next(&Tok::In)?;
        let line = self.lastline;
        let (n, e) = self.explist()?;
        self.check_next(&Tok::Do)?;
        let fs = self.cur();
        fs.adjust_assign(3, n, e, line);
        fs.check_stack(3);
        fs.activate_vars(3);
        let j = fs.jump();
        let body = fs.pc();
        fs.enter_block(false);
        fs.activate_vars(nvars);
        fs.reserve(nvars as u32);
        self.block()?;
        let l = self.lastline;
        let fs = self.cur();
        let r = fs.leave_block(l);
        self.cg(r)?;
        let fs = self.cur();
        fs.patch_to_here(j);
        fs.emit(bc::abc(Op::ITERC, base + 3, nvars as u32 + 1, 3), line);
        let iterl = fs.emit(bc::ad(Op::ITERL, base + 3, NO_JMP_D), line);
        fs.fix_jump(iterl, body);
        Ok(())
    }

    fn funcname(&mut self) -> PResult<(ExpDesc, bool)> {
        let n = self.name()?;
        let mut v = self.singlevar(&n)?;
        let mut method = false;
        while self.tok == Tok::Char(b'.') {
            self.field(&mut v)?;
        }
        if self.tok == Tok::Char(b':') {
            method = true;
            self.field(&mut v)?;
        }
        Ok((v, method))
    }

    fn funcstat(&mut self, line: u32) -> PResult<()> {
        self.next()?;
        let (v, method) = self.funcname()?;
        let mut b = self.body(method, line)?;
        let l = self.lastline;
        self.cur().store_var(&v, &mut b, l);
        Ok(())
    }

    fn localfunc(&mut self) -> PResult<()> {
        let n = self.name()?;
        self.new_local(&n)?;
        let fs = self.cur();
        let reg = fs.freereg;
        fs.activate_vars(1);
        fs.reserve(1);
        let line = self.lastline;
        let mut b = self.body(false, line)?;
        let l = self.lastline;
        let fs = self.cur();
        fs.exp2reg(&mut b, reg, l);
        // The local becomes visible for debug info only after its value.
        fs.fix_last_var_startpc();
        Ok(())
    }

    fn localstat(&mut self) -> PResult<()> {
        let mut nvars = 0;
        loop {
            let n = self.name()?;
            self.new_local(&n)?;
            nvars += 1;
            if !self.test_next(&Tok::Char(b','))? {
                break;
            }
        }
        let line = self.lastline;
        let (nexps, e) = if self.test_next(&Tok::Char(b'='))? {
            self.explist()?
        } else {
            (0, ExpDesc::new(ExpKind::Void))
        };
        let fs = self.cur();
        fs.adjust_assign(nvars, nexps, e, line);
        fs.activate_vars(nvars);
        Ok(())
    }

    fn exprstat(&mut self) -> PResult<()> {
        let v = self.suffixedexp()?;
        if let ExpKind::Call(pc) = v.k {
            self.cur().set_call_results(pc, 0);
        } else {
            let mut lhs = vec![v];
            self.assignment(&mut lhs)?;
        }
        Ok(())
    }

    fn assignment(&mut self, lhs: &mut Vec<ExpDesc>) -> PResult<()> {
        let last = *lhs.last().unwrap();
        if !last.is_assignable() {
            return Err(self.err("syntax error"));
        }
        if self.test_next(&Tok::Char(b','))? {
            let mut v = self.suffixedexp()?;
            if !v.is_assignable() {
                return Err(self.err("syntax error"));
            }
            self.cur().check_conflict(lhs, &mut v);
            lhs.push(v);
            self.enter_level()?;
            self.assignment(lhs)?;
            self.depth -= 1;
            return Ok(());
        }
        self.check_next(&Tok::Char(b'='))?;
        let line = self.lastline;
        let (nexps, mut e) = self.explist()?;
        let nvars = lhs.len();
        let fs = self.cur();
        if nexps != nvars {
            fs.adjust_assign(nvars, nexps, e, line);
            if nexps > nvars {
                fs.freereg -= (nexps - nvars) as u32;
            }
        } else {
            fs.set_one_ret(&mut e);
            let v = lhs.pop().unwrap();
            fs.store_var(&v, &mut e, line);
        }
        // Remaining targets take their values from consecutive registers.
        let fs = self.cur();
        while let Some(v) = lhs.pop() {
            let mut e = ExpDesc::new(ExpKind::NonReloc(fs.freereg - 1));
            fs.store_var(&v, &mut e, line);
        }
        Ok(())
    }

    fn retstat(&mut self) -> PResult<()> {
        let line = self.lastline;
        if self.block_follow() || self.tok == Tok::Char(b';') {
            self.cur().ret(0, 0, line);
        } else {
            let (n, mut e) = self.explist()?;
            let fs = self.cur();
            if e.has_multret() {
                fs.set_multret(&mut e);
                if let (ExpKind::Call(pc), 1) = (e.k, n) {
                    fs.make_tailcall(pc);
                } else {
                    let first = fs.nactvar() as u32;
                    fs.emit(bc::ad(Op::RETM, first, (n - 1) as u32), line);
                }
            } else if n == 1 {
                let r = fs.exp2anyreg(&mut e, line);
                fs.ret(r, 1, line);
            } else {
                fs.exp2nextreg(&mut e);
                let first = fs.nactvar() as u32;
                fs.ret(first, n, line);
            }
        }
        self.test_next(&Tok::Char(b';'))?;
        if !self.block_follow() {
            return Err(self.err("'<eof>' expected"));
        }
        Ok(())
    }

    // ---- expressions ----

    fn explist(&mut self) -> PResult<(usize, ExpDesc)> {
        let mut n = 1;
        let mut e = self.expr()?;
        while self.test_next(&Tok::Char(b','))? {
            self.cur().exp2nextreg(&mut e);
            e = self.expr()?;
            n += 1;
        }
        Ok((n, e))
    }

    fn expr(&mut self) -> PResult<ExpDesc> {
        self.subexpr(0).map(|(e, _)| e)
    }

    fn unop(&self) -> Option<u8> {
        match self.tok {
            Tok::Not => Some(b'!'),
            Tok::Char(b'-') => Some(b'-'),
            Tok::Char(b'#') => Some(b'#'),
            _ => None,
        }
    }

    fn binop(&self) -> Option<BinOp> {
        Some(match self.tok {
            Tok::Char(b'+') => BinOp::Add,
            Tok::Char(b'-') => BinOp::Sub,
            Tok::Char(b'*') => BinOp::Mul,
            Tok::Char(b'/') => BinOp::Div,
            Tok::Char(b'%') => BinOp::Mod,
            Tok::Char(b'^') => BinOp::Pow,
            Tok::Concat => BinOp::Concat,
            Tok::Ne => BinOp::Ne,
            Tok::Eq => BinOp::Eq,
            Tok::Char(b'<') => BinOp::Lt,
            Tok::Le => BinOp::Le,
            Tok::Char(b'>') => BinOp::Gt,
            Tok::Ge => BinOp::Ge,
            Tok::And => BinOp::And,
            Tok::Or => BinOp::Or,
            _ => return None,
        })
    }

    fn subexpr(&mut self, limit: u8) -> PResult<(ExpDesc, Option<BinOp>)> {
        self.enter_level()?;
        let mut e = if let Some(u) = self.unop() {
            self.next()?;
            let line = self.lastline;
            let (mut e, _) = self.subexpr(UNARY_PRIO)?;
            self.cur().prefix(u, &mut e, line);
            e
        } else {
            self.simpleexp()?
        };
        let mut op = self.binop();
        while let Some(o) = op {
            if o.prio().0 <= limit {
                break;
            }
            self.next()?;
            let line = self.lastline;
            if o == BinOp::And
                && matches!(e.k, ExpKind::Nil | ExpKind::False)
                && e.t == NO_JMP
                && e.f == NO_JMP
            {
                // `nil and x` / `false and x` is the constant itself: the
                // right operand is compiled (for errors) but jumped over.
                let skip = self.cur().jump();
                let (mut e2, next) = self.subexpr(o.prio().1)?;
                let fs = self.cur();
                fs.exp2anyreg(&mut e2, line);
                fs.free_exp(&e2);
                fs.patch_to_here(skip);
                op = next;
                continue;
            }
            self.cur().infix(o, &mut e, line);
            let (mut e2, next) = self.subexpr(o.prio().1)?;
            let line = self.lastline;
            let r = self.cur().posfix(o, &mut e, &mut e2, line);
            self.cg(r)?;
            op = next;
        }
        self.depth -= 1;
        Ok((e, op))
    }

    fn simpleexp(&mut self) -> PResult<ExpDesc> {
        let e = match self.tok.clone() {
            Tok::Num(n) => ExpDesc::new(ExpKind::Num(n)),
            Tok::Int64(v, unsigned) => {
                let ct = if unsigned {
                    crate::object::CT_UINT64
                } else {
                    crate::object::CT_INT64
                };
                let c = self.vm.heap.new_cdata(ct, 8);
                // SAFETY: 8 fresh payload bytes.
                unsafe { (crate::object::Cdata::payload(c) as *mut u64).write(v) };
                let line = self.lx.line;
                let fs = self.cur();
                let k = fs.k_value(crate::Value::from_cdata(c));
                let pc = fs.emit(bc::ad(Op::KCDATA, 0, k), line);
                ExpDesc::new(ExpKind::Relocable(pc))
            }
            Tok::Imag(im) => {
                // A `complex` constant 0+im·i (LuaJIT's imaginary literal).
                let c = self.vm.heap.new_cdata(crate::object::CT_COMPLEX, 16);
                // SAFETY: 16 fresh payload bytes (two doubles).
                unsafe {
                    let p = crate::object::Cdata::payload(c) as *mut f64;
                    p.write(0.0);
                    p.add(1).write(im);
                }
                let line = self.lx.line;
                let fs = self.cur();
                let k = fs.k_value(crate::Value::from_cdata(c));
                let pc = fs.emit(bc::ad(Op::KCDATA, 0, k), line);
                ExpDesc::new(ExpKind::Relocable(pc))
            }
            Tok::Str(s) => ExpDesc::new(ExpKind::Str(KStr(self.vm.heap.intern_value(&s)))),
            Tok::Nil => ExpDesc::new(ExpKind::Nil),
            Tok::True => ExpDesc::new(ExpKind::True),
            Tok::False => ExpDesc::new(ExpKind::False),
            Tok::Dots => {
                let fs = self.cur();
                if !fs.is_vararg {
                    return Err(self.err("cannot use '...' outside a vararg function"));
                }
                let np = fs.numparams as u32;
                let pc = fs.emit(bc::abc(Op::VARG, 0, 2, np), 0);
                ExpDesc::new(ExpKind::Vararg(pc))
            }
            Tok::Char(b'{') => return self.constructor(),
            Tok::Function => {
                let line = self.lx.line;
                self.next()?;
                return self.body(false, line);
            }
            _ => return self.suffixedexp(),
        };
        self.next()?;
        Ok(e)
    }

    fn primaryexp(&mut self) -> PResult<ExpDesc> {
        match self.tok.clone() {
            Tok::Name(n) => {
                self.next()?;
                self.singlevar(&n)
            }
            Tok::Char(b'(') => {
                let line = self.lx.line;
                self.next()?;
                let mut e = self.expr()?;
                self.check_match(&Tok::Char(b')'), &Tok::Char(b'('), line)?;
                self.cur().discharge_vars(&mut e);
                // A parenthesised call or vararg yields one value.
                if matches!(e.k, ExpKind::Call(_) | ExpKind::Vararg(_)) {
                    self.cur().set_one_ret(&mut e);
                }
                Ok(e)
            }
            _ => Err(self.err("unexpected symbol")),
        }
    }

    fn suffixedexp(&mut self) -> PResult<ExpDesc> {
        let mut v = self.primaryexp()?;
        loop {
            match self.tok {
                Tok::Char(b'.') => self.field(&mut v)?,
                Tok::Char(b'[') => {
                    let line = self.lastline;
                    self.cur().exp2anyreg(&mut v, line);
                    self.next()?;
                    let mut k = self.expr()?;
                    self.cur().exp2val(&mut k);
                    self.check_next(&Tok::Char(b']'))?;
                    self.cur().indexed(&mut v, &mut k, line);
                }
                Tok::Char(b':') => {
                    self.next()?;
                    let n = self.name()?;
                    let k = self.kstr(&n);
                    let line = self.lastline;
                    self.cur().method_self(&mut v, k, line);
                    self.funcargs(&mut v, line)?;
                }
                Tok::Char(b'(') | Tok::Str(_) | Tok::Char(b'{') => {
                    let line = self.lastline;
                    self.cur().exp2nextreg(&mut v);
                    self.funcargs(&mut v, line)?;
                }
                _ => return Ok(v),
            }
        }
    }

    fn field(&mut self, v: &mut ExpDesc) -> PResult<()> {
        let line = self.lastline;
        self.cur().exp2anyreg(v, line);
        self.next()?; // skip '.' or ':'
        let n = self.name()?;
        let mut key = ExpDesc::new(ExpKind::Str(KStr(self.vm.heap.intern_value(&n))));
        self.cur().indexed(v, &mut key, line);
        Ok(())
    }

    /// Arguments of a call whose function is in register `f` (NonReloc).
    fn funcargs(&mut self, f: &mut ExpDesc, line: u32) -> PResult<()> {
        let args = match self.tok.clone() {
            Tok::Char(b'(') => {
                if line != self.lx.line {
                    return Err(self.err("ambiguous syntax (function call x new statement)"));
                }
                self.next()?;
                if self.tok == Tok::Char(b')') {
                    ExpDesc::new(ExpKind::Void)
                } else {
                    let (_, mut e) = self.explist()?;
                    if e.has_multret() {
                        self.cur().set_multret(&mut e);
                    }
                    e
                }
            }
            Tok::Char(b'{') => {
                let e = self.constructor()?;
                return self.finish_call(f, e, line);
            }
            Tok::Str(s) => {
                let sv = self.vm.heap.intern_value(&s);
                self.next()?;
                let e = ExpDesc::new(ExpKind::Str(KStr(sv)));
                return self.finish_call(f, e, line);
            }
            _ => return Err(self.err("function arguments expected")),
        };
        self.check_match(&Tok::Char(b')'), &Tok::Char(b'('), line)?;
        self.finish_call(f, args, line)
    }

    fn finish_call(&mut self, f: &mut ExpDesc, mut args: ExpDesc, line: u32) -> PResult<()> {
        let ExpKind::NonReloc(base) = f.k else {
            unreachable!("call base in a register")
        };
        let fs = self.cur();
        let pc = if args.has_multret() {
            let nfixed = fs.call_base_of(&args) - (base + 1);
            fs.emit(bc::abc(Op::CALLM, base, 2, nfixed), line)
        } else {
            if !matches!(args.k, ExpKind::Void) {
                fs.exp2nextreg(&mut args);
            }
            let nargs = fs.freereg - (base + 1);
            fs.emit(bc::abc(Op::CALL, base, 2, nargs + 1), line)
        };
        fs.freereg = base + 1;
        f.k = ExpKind::Call(pc);
        f.t = NO_JMP;
        f.f = NO_JMP;
        Ok(())
    }

    /// A table constructor. Constant items with constant keys go into a
    /// template table (the constructor becomes TDUP, as LuaJIT's: they
    /// take no instructions and no constants of their own), applied
    /// before the other items' stores whatever their order (so a constant
    /// and a computed value for one key give the computed one, as in
    /// LuaJIT).
    fn constructor(&mut self) -> PResult<ExpDesc> {
        let line = self.lx.line;
        let fs = self.cur();
        let pc = fs.emit(bc::ad(Op::TNEW, 0, 0), line);
        let t = fs.freereg;
        fs.reserve(1);
        let mut e = ExpDesc::new(ExpKind::NonReloc(t));
        fs.set_a(pc, t);
        self.next()?; // '{'
        let mut narr: u32 = 0;
        let mut nhash: u32 = 0;
        let mut pending: Option<ExpDesc> = None;
        // The template's entries, in source order (a later one for the
        // same key replaces an earlier one; nil removes).
        let mut tpl: Vec<(Value, Value)> = Vec::new();
        loop {
            if self.tok == Tok::Char(b'}') {
                break;
            }
            // Flush the previous positional item.
            if let Some(mut item) = pending.take() {
                let l = self.lastline;
                match item.const_value() {
                    Some(v) => tpl.push((Value::num(narr as f64), v)),
                    None => self.cur().store_array_item(t, narr, &mut item, l),
                }
            }
            match self.tok.clone() {
                Tok::Name(_) if self.lookahead()? == &Tok::Char(b'=') => {
                    let n = self.name()?;
                    let kv = self.vm.heap.intern_value(&n);
                    self.next()?; // '='
                    let mut v = self.expr()?;
                    let l = self.lastline;
                    match v.const_value() {
                        Some(cv) => tpl.push((kv, cv)),
                        None => {
                            let mut key = ExpDesc::new(ExpKind::Str(KStr(kv)));
                            self.cur().store_field(t, &mut key, &mut v, l);
                        }
                    }
                    nhash += 1;
                }
                Tok::Char(b'[') => {
                    self.next()?;
                    let mut key = self.expr()?;
                    let kc = const_key(&key);
                    if kc.is_none() {
                        self.cur().key_to_rk(&mut key);
                    }
                    self.check_next(&Tok::Char(b']'))?;
                    self.check_next(&Tok::Char(b'='))?;
                    let mut v = self.expr()?;
                    let l = self.lastline;
                    match (kc, v.const_value()) {
                        (Some(k), Some(cv)) => tpl.push((k, cv)),
                        _ => {
                            if kc.is_some() {
                                self.cur().key_to_rk(&mut key);
                            }
                            self.cur().store_field(t, &mut key, &mut v, l);
                        }
                    }
                    nhash += 1;
                }
                _ => {
                    let v = self.expr()?;
                    narr += 1;
                    pending = Some(v);
                }
            }
            if !self.test_next(&Tok::Char(b','))? && !self.test_next(&Tok::Char(b';'))? {
                break;
            }
            if tpl.len().is_multiple_of(4096) && !tpl.is_empty() {
                self.check_memory(tpl.capacity() * 16)?;
            }
        }
        self.check_match(&Tok::Char(b'}'), &Tok::Char(b'{'), line)?;
        let l = self.lastline;
        if let Some(mut item) = pending {
            let fs = self.cur();
            if item.has_multret() {
                fs.set_multret(&mut item);
                let kidx = fs.k_num(narr as f64);
                let base = fs.call_base_of(&item);
                fs.emit(bc::ad(Op::TSETM, base, kidx), l);
                // (The call's first value still counts for the array
                // part's size, as in LuaJIT: `{f(), g()}` holds two.)
            } else {
                match item.const_value() {
                    Some(v) => tpl.push((Value::num(narr as f64), v)),
                    None => fs.store_array_item(t, narr, &mut item, l),
                }
            }
        }
        let fs = self.fs.last_mut().unwrap();
        fs.freereg = t + 1;
        // Size hints: array part includes index 0 slot like LuaJIT's, and
        // is at least 3 slots when there are positional items (LuaJIT's
        // sizes, so that `{x, f()}`'s results fit without a resize).
        let asize = if narr > 0 {
            (narr + 1).clamp(3, 0x7ff)
        } else {
            0
        };
        if tpl.is_empty() {
            // (At least one bit: one hash field gets a presized part too.)
            let hbits = if nhash > 0 {
                (32 - (nhash - 1).leading_zeros()).clamp(1, 31)
            } else {
                0
            };
            fs.set_d(pc, asize | (hbits << 11));
        } else {
            let tp = self.vm.heap.new_table(narr as usize, nhash as usize);
            for (k, v) in tpl {
                let r = crate::table::set(&mut self.vm.heap, tp, k, v);
                if r == Err(crate::table::KeyError::Memory) {
                    return Err(self.out_of_memory());
                }
            }
            let fs = self.fs.last_mut().unwrap();
            let kt = fs.k_value(Value::from_table(tp));
            fs.code[pc] = bc::ad(Op::TDUP, t, kt);
        }
        e.t = NO_JMP;
        Ok(e)
    }

    fn body(&mut self, method: bool, line: u32) -> PResult<ExpDesc> {
        self.open_func(line);
        self.check_next(&Tok::Char(b'('))?;
        if method {
            self.new_local_str("self")?;
            self.cur().activate_vars(1);
            self.cur().reserve(1);
        }
        let mut np = 0;
        if self.tok != Tok::Char(b')') {
            loop {
                match self.tok.clone() {
                    Tok::Name(n) => {
                        self.next()?;
                        self.new_local(&n)?;
                        np += 1;
                    }
                    Tok::Dots => {
                        self.next()?;
                        self.cur().is_vararg = true;
                        break;
                    }
                    _ => return Err(self.err_expected("<name>")),
                }
                if !self.test_next(&Tok::Char(b','))? {
                    break;
                }
            }
        }
        let fs = self.cur();
        fs.activate_vars(np);
        fs.reserve(np as u32);
        fs.numparams = fs.nactvar() as u8;
        self.check_next(&Tok::Char(b')'))?;
        self.block()?;
        self.check_match(&Tok::End, &Tok::Function, line)?;
        let (child, uvsrc) = self.close_func()?;
        let fs = self.cur();
        let idx = fs.protos.len() as u32;
        fs.protos.push(child);
        fs.child_uvsrc.push(uvsrc);
        let pc = fs.emit(bc::ad(Op::FNEW, 0, idx), line);
        Ok(ExpDesc::new(ExpKind::Relocable(pc)))
    }
}

/// A constant key a template may hold: a string, or a number that is
/// not NaN (-0 as 0).
fn const_key(e: &ExpDesc) -> Option<Value> {
    match e.const_value()? {
        v if v.is_str() => Some(v),
        v => match v.as_num() {
            Some(n) if !n.is_nan() => Some(Value::num(if n == 0.0 { 0.0 } else { n })),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile_err(src: &str) -> String {
        let mut vm = Vm::new();
        match compile(&mut vm, src.as_bytes(), b"@t.lua") {
            Err(CompileError::Syntax(msg)) => msg,
            _ => panic!("expected a syntax error"),
        }
    }

    #[test]
    fn syntax_errors_like_luajit() {
        assert_eq!(
            compile_err("x = = 1"),
            "t.lua:1: unexpected symbol near '='"
        );
        assert_eq!(
            compile_err("local function end"),
            "t.lua:1: '<name>' expected near 'end'"
        );
        assert_eq!(
            compile_err("for i=1 do end"),
            "t.lua:1: ',' expected near 'do'"
        );
        assert_eq!(
            compile_err("if x then\n"),
            "t.lua:2: 'end' expected (to close 'if' at line 1) near '<eof>'"
        );
        assert_eq!(
            compile_err("a.b:c = 1"),
            "t.lua:1: function arguments expected near '='"
        );
        assert_eq!(compile_err("goto nope"), "t.lua:1: undefined label 'nope'");
        assert_eq!(compile_err("break"), "t.lua:1: no loop to break");
        assert_eq!(compile_err("::a:: ::a::"), "t.lua:1: duplicate label 'a'");
        assert_eq!(
            compile_err("goto f; local a; ::f:: print(a)"),
            "t.lua:1: <goto f> jumps into the scope of local 'a'"
        );
        assert_eq!(
            compile_err("function f() return ... end"),
            "t.lua:1: cannot use '...' outside a vararg function near '...'"
        );
    }

    /// A source read a byte at a time compiles as the whole does, and a
    /// syntax error stops the reading after the token it is near and one
    /// byte more.
    #[test]
    fn reads_pieces_as_needed() {
        let mut vm = Vm::new();
        let src = b"local a = [==[x]]y]==] .. 'q' -- c\r\nreturn a + = 1 never read";
        let mut at = 0;
        let mut reader = |_: &mut Vm| -> LuaResult<Result<Option<Vec<u8>>, Value>> {
            at += 1;
            Ok(Ok(src.get(at).map(|&b| vec![b])))
        };
        let r = compile_reader(&mut vm, vec![src[0]], false, &mut reader, b"=t");
        let Err(CompileError::Syntax(msg)) = r else {
            panic!("expected a syntax error")
        };
        assert_eq!(msg, "t:2: unexpected symbol near '='");
        let eq = src.iter().rposition(|&b| b == b'=').unwrap();
        assert_eq!(at, eq + 1);
    }

    #[test]
    fn compiles_and_verifies() {
        let mut vm = Vm::new();
        let src = "local t = {1, 2, x = 3, [4] = 5, f()} for i = 1, #t do t[i] = t[i] * 2 end \
                   for k, v in pairs(t) do print(k, v) end while x do x = x - 1 end \
                   repeat local y = 1 until y local function g(a, ...) return a, ... end \
                   return g(1, 2) and 3 or nil";
        let p = compile(&mut vm, src.as_bytes(), b"=t").unwrap();
        // SAFETY: live prototype.
        crate::bcdump::verify(unsafe { &*p.as_ptr() }).unwrap();
    }
}
