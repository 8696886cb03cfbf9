//! Binary chunks: `string.dump` writes a prototype tree, `load` reads one
//! back. The reader checks everything it reads (header, sizes, constant
//! kinds, every instruction's operands against the frame size and constant
//! and prototype counts, jump targets) so a foreign or corrupt chunk is an
//! error, never a crash: the interpreter indexes registers and constants
//! without bounds checks.

use crate::bytecode::{self as bc, Mode, Op};
use crate::gc::Heap;
use crate::object::*;
use crate::table;
use crate::value::Value;
use crate::Vm;
use std::ptr::NonNull;

/// Chunk signature: ESC, "LT", format version.
pub const SIGNATURE: &[u8] = b"\x1bLT\x01";

/// True if `src` starts like a binary chunk (ESC).
pub fn is_binary(src: &[u8]) -> bool {
    src.first() == Some(&0x1b)
}

// ---- writer ----

struct Writer<'a> {
    out: Vec<u8>,
    strip: bool,
    /// The original form of an instruction the JIT patched.
    orig: &'a dyn Fn(u32) -> u32,
}

impl Writer<'_> {
    fn uleb(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(b);
                break;
            }
            self.out.push(b | 0x80);
        }
    }
    fn bytes(&mut self, b: &[u8]) {
        self.uleb(b.len() as u64);
        self.out.extend_from_slice(b);
    }
    fn value(&mut self, v: Value) {
        if let Some(n) = v.as_num() {
            self.out.push(1);
            self.out.extend_from_slice(&n.to_bits().to_le_bytes());
        } else if v.is_str() {
            self.out.push(2);
            self.bytes(str_bytes(v));
        } else if v.is_nil() {
            self.out.push(3);
        } else if v.is_bool() {
            self.out.push(if v.truthy() { 5 } else { 4 });
        } else if let Some(t) = v.as_table_ptr() {
            // Template table: array part then hash entries of constants.
            self.out.push(6);
            let arr = table::array(t);
            self.uleb(arr.len() as u64);
            for &x in arr {
                self.value(x);
            }
            let hp = table::hash_part(t);
            let zero = table::zero(t);
            let live: Vec<(Value, Value)> = (!zero.is_nil())
                .then_some((Value::num(0.0), zero))
                .into_iter()
                .chain(hp.entries().iter().copied().filter(|e| !e.1.is_nil()))
                .collect();
            self.uleb(live.len() as u64);
            for (k, x) in live {
                self.value(k);
                self.value(x);
            }
        } else if let Some(c) = v.as_cdata_ptr() {
            // A 64-bit integer literal: its type id and bits; an imaginary
            // literal: its type id and the two doubles' bits.
            self.out.push(7);
            let ct = crate::object::Cdata::ctype(c);
            self.out.extend_from_slice(&ct.to_le_bytes());
            let words = if ct == crate::object::CT_COMPLEX {
                2
            } else {
                1
            };
            for i in 0..words {
                // SAFETY: literal cdata have 8 payload bytes per word.
                let bits = unsafe {
                    (crate::object::Cdata::payload(c) as *const u64)
                        .add(i)
                        .read()
                };
                self.out.extend_from_slice(&bits.to_le_bytes());
            }
        } else {
            self.out.push(3);
        }
    }
    fn proto(&mut self, p: &Proto) {
        self.out.push(p.numparams);
        self.out.push(p.is_vararg as u8);
        self.out.push(p.framesize);
        self.uleb(p.code.len() as u64);
        for &i in &p.code {
            self.out.extend_from_slice(&(self.orig)(i).to_le_bytes());
        }
        self.uleb(p.k.len() as u64);
        for &k in &p.k {
            self.value(k);
        }
        self.uleb(p.uvdesc.len() as u64);
        for d in &p.uvdesc {
            match *d {
                UvDesc::Local(r) => {
                    self.out.push(0);
                    self.uleb(r as u64);
                }
                UvDesc::Upval(i) => {
                    self.out.push(1);
                    self.uleb(i as u64);
                }
            }
        }
        self.uleb(p.protos.len() as u64);
        for &c in &p.protos {
            // SAFETY: child prototypes are live while the parent is.
            self.proto(unsafe { &*c.as_ptr() });
        }
        self.uleb(p.linedefined as u64);
        self.uleb(p.lastlinedefined as u64);
        if self.strip {
            self.out.push(0);
            return;
        }
        self.out.push(1);
        self.bytes(str_bytes(p.source));
        for &l in &p.lineinfo {
            self.uleb(l as u64);
        }
        self.uleb(p.locvars.len() as u64);
        for lv in &p.locvars {
            self.bytes(str_bytes(lv.name));
            self.uleb(lv.startpc as u64);
            self.uleb(lv.endpc as u64);
        }
        self.uleb(p.uvnames.len() as u64);
        for &n in &p.uvnames {
            self.bytes(str_bytes(n));
        }
    }
}

/// Serialise a prototype tree (`string.dump`; `strip` drops debug info),
/// with the instructions the JIT patched in their original form.
pub fn dump(vm: &Vm, p: NonNull<Proto>, strip: bool) -> Vec<u8> {
    dump_with(p, strip, &|i| unpatched(vm, i))
}

/// `dump` with instructions mapped through `orig`.
fn dump_with(p: NonNull<Proto>, strip: bool, orig: &dyn Fn(u32) -> u32) -> Vec<u8> {
    let mut w = Writer {
        out: SIGNATURE.to_vec(),
        strip,
        orig,
    };
    // SAFETY: live prototype.
    w.proto(unsafe { &*p.as_ptr() });
    w.out
}

/// The original form of instruction `i` (hot-counting loop and function
/// heads that the JIT blacklisted or patched to enter a trace).
fn unpatched(vm: &Vm, i: u32) -> u32 {
    let with = |o: Op| (i & !0xff) | o as u32;
    match Op::from_u8(bc::op(i)) {
        Some(Op::JFORI) => with(Op::FORI),
        Some(Op::IFORL) => with(Op::FORL),
        Some(Op::ILOOP) => with(Op::LOOP),
        Some(Op::IITERL) => with(Op::ITERL),
        Some(Op::IFUNCF) => with(Op::FUNCF),
        Some(Op::IFUNCV) => with(Op::FUNCV),
        Some(Op::JFORL | Op::JITERL | Op::JLOOP | Op::JFUNCF | Op::JRET) => {
            vm.trace_original(bc::d(i))
        }
        _ => i,
    }
}

// ---- reader ----

struct Reader<'a> {
    src: &'a [u8],
    pos: usize,
    heap: &'a mut Heap,
    chunkname: Value,
    depth: usize,
}

type R<T> = Result<T, &'static str>;

impl Reader<'_> {
    fn byte(&mut self) -> R<u8> {
        let b = *self.src.get(self.pos).ok_or("truncated")?;
        self.pos += 1;
        Ok(b)
    }
    fn uleb(&mut self) -> R<u64> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift >= 64 {
                return Err("bad number");
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }
    fn count(&mut self, max: usize) -> R<usize> {
        let n = self.uleb()? as usize;
        if n > max || n > self.src.len() - self.pos + 1 {
            return Err("bad size");
        }
        Ok(n)
    }
    fn bytes(&mut self) -> R<&[u8]> {
        let n = self.count(usize::MAX)?;
        if self.pos + n > self.src.len() {
            return Err("truncated");
        }
        let s = &self.src[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn value(&mut self, depth: usize) -> R<Value> {
        Ok(match self.byte()? {
            1 => {
                if self.pos + 8 > self.src.len() {
                    return Err("truncated");
                }
                let mut b = [0u8; 8];
                b.copy_from_slice(&self.src[self.pos..self.pos + 8]);
                self.pos += 8;
                Value::num(f64::from_bits(u64::from_le_bytes(b)))
            }
            2 => {
                let s = self.bytes()?.to_vec();
                self.heap.intern_value(&s)
            }
            3 => Value::NIL,
            4 => Value::FALSE,
            5 => Value::TRUE,
            6 if depth == 0 => {
                let na = self.count(1 << 24)?;
                let t = self.heap.new_table(na, 0);
                for i in 0..na {
                    let v = self.value(1)?;
                    table::forced(self.heap, |h| table::set_int(h, t, i as i64 + 1, v));
                }
                let nh = self.count(1 << 24)?;
                for _ in 0..nh {
                    let k = self.value(1)?;
                    let v = self.value(1)?;
                    table::set(self.heap, t, k, v).map_err(|_| "bad table key")?;
                }
                Value::from_table(t)
            }
            7 => {
                if self.pos + 4 > self.src.len() {
                    return Err("truncated");
                }
                let ct = u32::from_le_bytes(self.src[self.pos..self.pos + 4].try_into().unwrap());
                self.pos += 4;
                let words = match ct {
                    crate::object::CT_INT64 | crate::object::CT_UINT64 => 1,
                    crate::object::CT_COMPLEX => 2,
                    _ => return Err("bad constant"),
                };
                if self.pos + 8 * words > self.src.len() {
                    return Err("truncated");
                }
                let c = self.heap.new_cdata(ct, 8 * words);
                for i in 0..words {
                    let at = self.pos + 8 * i;
                    let bits = u64::from_le_bytes(self.src[at..at + 8].try_into().unwrap());
                    // SAFETY: 8 fresh payload bytes per word.
                    unsafe {
                        (crate::object::Cdata::payload(c) as *mut u64)
                            .add(i)
                            .write(bits)
                    };
                }
                self.pos += 8 * words;
                Value::from_cdata(c)
            }
            _ => return Err("bad constant"),
        })
    }

    fn proto(&mut self) -> R<NonNull<Proto>> {
        self.depth += 1;
        if self.depth > 200 {
            return Err("nesting too deep");
        }
        let numparams = self.byte()?;
        let is_vararg = self.byte()? != 0;
        let framesize = self.byte()?;
        let ncode = self.count(1 << 26)?;
        let mut code = Vec::with_capacity(ncode);
        for _ in 0..ncode {
            if self.pos + 4 > self.src.len() {
                return Err("truncated");
            }
            let mut b = [0u8; 4];
            b.copy_from_slice(&self.src[self.pos..self.pos + 4]);
            self.pos += 4;
            code.push(u32::from_le_bytes(b));
        }
        let nk = self.count(1 << 24)?;
        let mut k = Vec::with_capacity(nk);
        for _ in 0..nk {
            k.push(self.value(0)?);
        }
        let nuv = self.count(255)?;
        let mut uvdesc = Vec::with_capacity(nuv);
        for _ in 0..nuv {
            let kind = self.byte()?;
            let i = self.uleb()?;
            uvdesc.push(match kind {
                0 if i < 256 => UvDesc::Local(i as u8),
                1 if i < 65536 => UvDesc::Upval(i as u16),
                _ => return Err("bad upvalue"),
            });
        }
        let np = self.count(1 << 20)?;
        let mut protos = Vec::with_capacity(np);
        for _ in 0..np {
            protos.push(self.proto()?);
        }
        let linedefined = self.uleb()? as u32;
        let lastlinedefined = self.uleb()? as u32;
        let mut lineinfo = vec![0; code.len()];
        let mut locvars = Vec::new();
        let mut uvnames = Vec::new();
        let mut source = self.chunkname;
        if self.byte()? != 0 {
            let s = self.bytes()?.to_vec();
            source = self.heap.intern_value(&s);
            for l in lineinfo.iter_mut() {
                *l = self.uleb()? as u32;
            }
            let nl = self.count(1 << 20)?;
            for _ in 0..nl {
                let n = self.bytes()?.to_vec();
                let name = self.heap.intern_value(&n);
                let startpc = self.uleb()? as u32;
                let endpc = self.uleb()? as u32;
                locvars.push(LocVar {
                    name,
                    startpc,
                    endpc,
                });
            }
            let nn = self.count(255)?;
            for _ in 0..nn {
                let n = self.bytes()?.to_vec();
                uvnames.push(self.heap.intern_value(&n));
            }
        }
        let p = Proto {
            hdr: GcHeader::new(GcKind::Proto),
            code,
            k,
            protos,
            uvdesc,
            numparams,
            is_vararg,
            framesize,
            lineinfo,
            locvars,
            uvnames,
            source,
            linedefined,
            lastlinedefined,
            nojit: false,
            nclosures: 0,
            uvimm: std::cell::Cell::new(0),
        };
        verify(&p)?;
        self.depth -= 1;
        Ok(self.heap.new_proto(p))
    }
}

/// Check every instruction of `p` against its frame size, constants,
/// children and jump range; and the child prototypes' upvalue descriptors.
pub fn verify(p: &Proto) -> R<()> {
    let fs = p.framesize as u32;
    let nk = p.k.len() as u32;
    if p.code.is_empty() || p.numparams as u32 > fs {
        return Err("bad function header");
    }
    let first = bc::op(p.code[0]);
    if first != Op::FUNCF as u8 && first != Op::FUNCV as u8 {
        return Err("bad function header");
    }
    let n = p.code.len() as i64;
    for (pc, &ins) in p.code.iter().enumerate() {
        let o = Op::from_u8(bc::op(ins)).ok_or("bad opcode")?;
        if matches!(
            o,
            Op::JFORI | Op::JFORL | Op::JITERL | Op::JLOOP | Op::JFUNCF | Op::JFUNCV | Op::JRET
        ) {
            return Err("bad opcode");
        }
        let (ma, mb, mcd) = o.modes();
        let (a, b) = (bc::a(ins), bc::b(ins));
        let cd = if mb == Mode::None {
            bc::d(ins)
        } else {
            bc::c(ins)
        };
        let reg_ok = |r: u32| r < fs;
        let check = |m: Mode, v: u32| -> bool {
            match m {
                Mode::Dst | Mode::Var => reg_ok(v),
                Mode::Base | Mode::RBase => v <= fs,
                Mode::Str => v < nk && p.k[v as usize].is_str(),
                Mode::Num => v < nk && p.k[v as usize].is_num(),
                Mode::Cdata => v < nk && p.k[v as usize].is_cdata(),
                Mode::Tab => v < nk && p.k[v as usize].is_table(),
                Mode::Pri => v <= 2,
                Mode::Func => (v as usize) < p.protos.len(),
                Mode::Uv => (v as usize) < p.uvdesc.len(),
                Mode::Jump => {
                    let t = pc as i64 + 1 + v as i64 - bc::JUMP_BIAS as i64;
                    (0..n).contains(&t)
                }
                Mode::None | Mode::Lit | Mode::Lits => true,
            }
        };
        if !check(ma, a) || !check(mb, b) || !check(mcd, cd) {
            return Err("bad operand");
        }
        // Ops that read or write ranges of registers.
        let range_ok = match o {
            Op::KNIL => cd < fs && a <= cd,
            Op::CAT => b <= cd && cd < fs,
            Op::CALL => a + cd <= fs + 1 && a + b <= fs + 1,
            Op::CALLM => a + cd < fs + 1 && a + b <= fs + 1,
            Op::ITERC => a >= 3 && a + 3 <= fs && a + b <= fs + 1,
            Op::VARG => b == 0 || a + b <= fs + 1,
            Op::CALLT | Op::RET => a + cd <= fs + 1,
            Op::CALLMT | Op::RETM => a + cd <= fs,
            Op::RET1 => a < fs,
            Op::FORI | Op::FORL | Op::IFORL => a + 3 < fs,
            Op::ITERL | Op::IITERL => a >= 1 && a < fs,
            Op::TSETM => a >= 1,
            _ => true,
        };
        if !range_ok {
            return Err("bad operand");
        }
        // Comparisons and tests must be followed by a jump that is not the
        // last instruction (skipping it must stay inside the code).
        if (o as u8) <= Op::ISF as u8 {
            let next_is_jmp = p.code.get(pc + 1).map(|&j| bc::op(j)) == Some(Op::JMP as u8);
            if !next_is_jmp || pc + 2 >= p.code.len() {
                return Err("bad jump");
            }
        }
    }
    // Control never runs off the end.
    let last = Op::from_u8(bc::op(*p.code.last().unwrap())).ok_or("bad opcode")?;
    if !matches!(
        last,
        Op::RET0 | Op::RET1 | Op::RET | Op::RETM | Op::JMP | Op::CALLT | Op::CALLMT
    ) {
        return Err("bad function end");
    }
    for &c in &p.protos {
        // SAFETY: child prototypes are live.
        let cp = unsafe { &*c.as_ptr() };
        for d in &cp.uvdesc {
            match *d {
                UvDesc::Local(r) if (r as u32) < fs => {}
                UvDesc::Upval(i) if (i as usize) < p.uvdesc.len() => {}
                _ => return Err("bad upvalue"),
            }
        }
    }
    Ok(())
}

/// Read a binary chunk; errors are "<chunk>: bad binary format (...)".
pub fn undump(heap: &mut Heap, src: &[u8], chunkname: &[u8]) -> Result<NonNull<Proto>, String> {
    let name = crate::debuginfo::chunkid(chunkname);
    if !src.starts_with(SIGNATURE) {
        return Err(format!(
            "{}: bad binary format (not a Lunatrace chunk)",
            name
        ));
    }
    let cn = heap.intern_value(chunkname);
    let mut r = Reader {
        src,
        pos: SIGNATURE.len(),
        heap,
        chunkname: cn,
        depth: 0,
    };
    let p = r
        .proto()
        .map_err(|e| format!("{}: bad binary format ({})", name, e))?;
    if r.pos != src.len() {
        return Err(format!("{}: bad binary format (trailing bytes)", name));
    }
    // A dumped inner function keeps its upvalue descriptors; they are never
    // used for the loaded main function, which gets fresh nil upvalues from
    // `Vm::new_lua_closure` (as LuaJIT does).
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytecode::{abc, ad, ajump};

    fn sample(heap: &mut Heap) -> NonNull<Proto> {
        // local s = 0; for i = 1, k[0] do s = s + i end; return s
        let mut code = vec![
            ad(Op::FUNCF, 6, 0),
            ad(Op::KSHORT, 0, 0),
            ad(Op::KSHORT, 1, 1),
        ];
        code.push(ad(Op::KNUM, 2, 0));
        code.push(ad(Op::KSHORT, 3, 1));
        code.push(0);
        code.push(abc(Op::ADDVV, 0, 0, 4));
        code.push(ajump(Op::FORL, 1, 7, 6));
        code[5] = ajump(Op::FORI, 1, 5, 8);
        code.push(ad(Op::RET1, 0, 2));
        let src = heap.intern_value(b"=sample");
        let name = heap.intern_value(b"s");
        heap.new_proto(Proto {
            hdr: GcHeader::new(GcKind::Proto),
            lineinfo: vec![1; code.len()],
            code,
            k: vec![Value::num(10.0)],
            protos: vec![],
            uvdesc: vec![],
            numparams: 0,
            is_vararg: true,
            framesize: 6,
            locvars: vec![LocVar {
                name,
                startpc: 2,
                endpc: 9,
            }],
            uvnames: vec![],
            source: src,
            linedefined: 0,
            lastlinedefined: 0,
            nojit: false,
            nclosures: 0,
            uvimm: std::cell::Cell::new(0),
        })
    }

    #[test]
    fn round_trip_and_corruption() {
        let mut heap = Heap::new();
        let p = sample(&mut heap);
        let bytes = dump_with(p, false, &|i| i);
        let q = undump(&mut heap, &bytes, b"=x").expect("round trip");
        // SAFETY: live prototypes.
        let (pp, qq) = unsafe { (&*p.as_ptr(), &*q.as_ptr()) };
        assert_eq!(pp.code, qq.code);
        assert_eq!(qq.locvars.len(), 1);
        // Every truncation and every single-byte corruption is an error or
        // a verified prototype, never a crash.
        for n in 0..bytes.len() {
            assert!(undump(&mut heap, &bytes[..n], b"=x").is_err());
        }
        for i in SIGNATURE.len()..bytes.len() {
            for x in [0u8, 1, 0x7f, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] ^= x;
                let _ = undump(&mut heap, &b, b"=x");
            }
        }
        let bad = undump(&mut heap, b"\x1bLuaQ", b"=x").unwrap_err();
        assert!(bad.contains("bad binary format"), "{}", bad);
    }
}
