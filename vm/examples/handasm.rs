//! Hand-assembled bytecode smoke test of the interpreter loop (used before
//! the parser existed; kept as a tiny example of building a Proto by hand).
use lunatrace_vm::bytecode::{abc, ad, ajump, Op};
use lunatrace_vm::object::*;
use lunatrace_vm::{Value, Vm};

fn main() {
    let mut vm = Vm::new();
    lunatrace_vm::open_libs(&mut vm);
    // local s = 0; for i = 1, N do s = s + i end; return s
    let n = 100_000_000.0;
    let mut code = vec![ad(Op::FUNCF, 6, 0)];
    code.push(ad(Op::KSHORT, 0, 0)); // s = 0
    code.push(ad(Op::KSHORT, 1, 1)); // start
    code.push(ad(Op::KNUM, 2, 0)); // limit
    code.push(ad(Op::KSHORT, 3, 1)); // step
    let fori = code.len();
    code.push(0);
    let body = code.len();
    code.push(abc(Op::ADDVV, 0, 0, 4));
    let forl = code.len();
    code.push(ajump(Op::FORL, 1, forl, body));
    code[fori] = ajump(Op::FORI, 1, fori, forl + 1);
    code.push(ad(Op::RET1, 0, 2));
    let src = vm.intern(b"=hand");
    let p = Proto {
        hdr: GcHeader::new(GcKind::Proto),
        lineinfo: vec![1; code.len()],
        code,
        k: vec![Value::num(n)],
        protos: vec![],
        uvdesc: vec![],
        numparams: 0,
        is_vararg: true,
        framesize: 6,
        locvars: vec![],
        uvnames: vec![],
        source: src,
        linedefined: 0,
        lastlinedefined: 0,
        nojit: false,
        nclosures: 0,
        uvimm: std::cell::Cell::new(0),
    };
    let p = vm.heap.new_proto(p);
    let g = vm.globals;
    let f = vm.new_lua_closure(p, g);
    let t = std::time::Instant::now();
    let r = vm.call_values(f, &[]).unwrap();
    println!("{:?} in {:?}", r, t.elapsed());
}
