//! Lowering of table ops: array bounds checks and slots, hash slots,
//! loads and stores, metatables, new tables, appends and lengths.

use super::*;

impl Lower<'_, '_> {
    /// `t[k]` for string `k` (a pointer), raw. A constant key whose bit
    /// is clear in the table's key signature is absent: nil without a
    /// search (`HashPart::sig`); otherwise the helper searches.
    fn hget_str(&mut self, t: CVal, k: CVal, kref: Ref) -> CVal {
        let bit = match self.t.get_const(kref) {
            Some(Const::Ptr(p, Ty::Str)) => self.t.str_sigs.iter().find(|s| s.0 == p),
            _ => None,
        };
        let Some(&(_, bit)) = bit else {
            return self.call(Helper::HGetS, &[t, k]).unwrap();
        };
        let sig = self.load(types::I64, t, TABLE_HASH_OFS + HASH_SIG_OFS);
        let has = self.b.ins().band_imm_u(sig, bit as i64);
        let (slow, done) = (self.b.create_block(), self.b.create_block());
        self.b.append_block_param(done, types::I64);
        let nil = self.b.ins().iconst(types::I64, NIL_BITS as i64);
        self.b.ins().brif(has, slow, &[], done, &[nil.into()]);
        self.b.switch_to_block(slow);
        let v = self.call(Helper::HGetS, &[t, k]).unwrap();
        self.b.ins().jump(done, &[v.into()]);
        self.b.switch_to_block(done);
        self.b.block_params(done)[0]
    }

    /// The largest entry index that `HREFK`s of table `t` ask for from
    /// the current one (index `idx`) on, up to the next instruction that
    /// may resize a table (a store other than a slot store, a C call, the
    /// loop label: where `hparts` forgets the table). The first lookup
    /// checks the entry count once for all of them: failing, it exits
    /// before the others, which is as good as exiting at theirs.
    fn hrefk_reach(&self, t: i32, idx: i64) -> i64 {
        let mut reach = idx;
        for x in &self.t.ins[self.cur + 1..] {
            match x.op {
                Op::LOOP | Op::CALLC => break,
                Op::HREFK if x.a == t => {
                    let k = self
                        .t
                        .ins_of(Ref(x.b))
                        .and_then(|c| self.t.get_const(Ref(c.b)));
                    if let Some(Const::Int(k)) = k {
                        reach = reach.max(k as i64);
                    }
                }
                Op::HSTORE | Op::ASTORE => {}
                op if op.flags().store() => break,
                _ => {}
            }
        }
        reach
    }

    /// Table ops: bounds checks, array and hash slots, loads and stores,
    /// metatables, new tables, appends and lengths.
    pub(super) fn lower_table(&mut self, ins: &Ins) -> Result<Option<CVal>, String> {
        let a = Ref(ins.a);
        let bb = Ref(ins.b);
        Ok(match ins.op {
            Op::ABC => {
                let (k, n) = (self.v(a)?, self.v(bb)?);
                let k1 = self.b.ins().iadd_imm_s(k, -1);
                let ok = self.b.ins().icmp(IntCC::UnsignedLessThan, k1, n);
                self.guard(ok, ins.snap);
                None
            }
            Op::ABCZ => {
                let (k, n) = (self.v(a)?, self.v(bb)?);
                let ok = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, k, n);
                self.guard(ok, ins.snap);
                None
            }
            Op::TALEN => {
                let p = self.v(a)?;
                Some(self.load(types::I32, p, TABLE_ALEN_OFS))
            }
            Op::TARR => {
                let p = self.v(a)?;
                Some(self.load(types::I64, p, TABLE_ARR_OFS))
            }
            Op::TSETMETA => {
                let (t, m) = (self.v(a)?, self.v(bb)?);
                self.b
                    .ins()
                    .store(Lower::flags(), m, t, TABLE_META_OFS as i32);
                None
            }
            Op::TMETA => {
                let p = self.v(a)?;
                Some(self.load(types::I64, p, TABLE_META_OFS))
            }
            Op::UMETA => {
                let p = self.v(a)?;
                Some(self.load(types::I64, p, lunatrace_vm::object::UDATA_META_OFS))
            }
            Op::NOMM => {
                // No metatable: inline; a metatable: ask the helper.
                let p = self.v(a)?;
                let m = self.load(types::I64, p, TABLE_META_OFS);
                let (slow, cont) = (self.b.create_block(), self.b.create_block());
                self.b.set_cold_block(slow);
                self.b.ins().brif(m, slow, &[], cont, &[]);
                self.b.switch_to_block(slow);
                let ctx = self.ctx;
                let mm = self.b.ins().iconst(types::I32, ins.b as i64);
                let has = self.call(Helper::MetaHas, &[ctx, m, mm]).unwrap();
                let ok = self.b.ins().icmp_imm_u(IntCC::Equal, has, 0);
                let exit = self.exit_block(ins.snap);
                self.b.ins().brif(ok, cont, &[], exit, &[]);
                self.b.switch_to_block(cont);
                None
            }
            Op::AREF => {
                // arr + 8k - 8, which x86 addresses as one operand. The key
                // passed its bounds check (0 <= k): zero-extending it is
                // free after a 32-bit operation.
                let (arr, k) = (self.v(a)?, self.v(bb)?);
                let k64 = self.b.ins().uextend(types::I64, k);
                let off = self.b.ins().ishl_imm_u(k64, 3);
                let at = self.b.ins().iadd(arr, off);
                Some(self.b.ins().iadd_imm_s(at, -8))
            }
            Op::ALOAD => {
                let p = self.v(a)?;
                self.boxed_load(self.cur, p, 0)
            }
            Op::ASTORE => {
                let (p, v) = (self.v(a)?, self.v(bb)?);
                let v = self.store_form(v);
                self.b.ins().store(Lower::flags(), v, p, 0);
                None
            }
            Op::HREFK => {
                let t = self.v(a)?;
                let carg = *self.t.ins_of(bb).ok_or("HREFK without CARG")?;
                let key = self.v(Ref(carg.a))?;
                let idx = match self.t.get_const(Ref(carg.b)) {
                    Some(Const::Int(i)) => i as i64,
                    _ => return Err("HREFK index".into()),
                };
                let ep = match self.hparts.iter().position(|h| h.0 == ins.a) {
                    Some(k) => {
                        let (_, len, checked, ep) = self.hparts[k];
                        if idx > checked {
                            let ok = self
                                .b
                                .ins()
                                .icmp_imm_u(IntCC::UnsignedGreaterThan, len, idx);
                            self.guard(ok, ins.snap);
                            self.hparts[k].2 = idx;
                        }
                        ep
                    }
                    None => {
                        // One check for the entries this lookup and the
                        // next ones in the same table ask for.
                        let reach = self.hrefk_reach(ins.a, idx);
                        let len = self.load(types::I32, t, TABLE_HASH_OFS + HASH_ELEN_OFS);
                        let ok = self
                            .b
                            .ins()
                            .icmp_imm_u(IntCC::UnsignedGreaterThan, len, reach);
                        self.guard(ok, ins.snap);
                        let ep = self.load(types::I64, t, TABLE_HASH_OFS + HASH_EPTR_OFS);
                        self.hparts.push((ins.a, len, reach, ep));
                        ep
                    }
                };
                let node = self.b.ins().iadd_imm_s(ep, idx * NODE_SIZE as i64);
                let k = self.load(types::I64, node, NODE_KEY_OFS);
                let ok = self.b.ins().icmp(IntCC::Equal, k, key);
                self.guard(ok, ins.snap);
                Some(self.b.ins().iadd_imm_s(node, NODE_VAL_OFS as i64))
            }
            Op::HLOAD => {
                let p = self.v(a)?;
                self.boxed_load(self.cur, p, 0)
            }
            Op::HSTORE => {
                let (p, v) = (self.v(a)?, self.v(bb)?);
                let v = self.store_form(v);
                self.b.ins().store(Lower::flags(), v, p, 0);
                None
            }
            Op::HGETS => {
                let (t, k) = (self.v(a)?, self.v(bb)?);
                Some(self.hget_str(t, k, bb))
            }
            Op::HGET => {
                // A number key inside the array part is read inline; other
                // keys go through the helper.
                let (t, k) = (self.v(a)?, self.v(bb)?);
                let (inarr, addr) = self.num_array_slot(t, k);
                let (fast, slow, done) = (
                    self.b.create_block(),
                    self.b.create_block(),
                    self.b.create_block(),
                );
                self.b.append_block_param(done, types::I64);
                self.b.ins().brif(inarr, fast, &[], slow, &[]);
                self.b.switch_to_block(fast);
                let v = self.load(types::I64, addr, 0);
                self.b.ins().jump(done, &[v.into()]);
                self.b.switch_to_block(slow);
                let v = self.call(Helper::HGet, &[t, k]).unwrap();
                self.b.ins().jump(done, &[v.into()]);
                self.b.switch_to_block(done);
                Some(self.b.block_params(done)[0])
            }
            Op::HSET => {
                // Inline when the key is a number inside the array part
                // whose slot holds a value (or the table has no
                // metatable): a plain store, as the helper would do.
                let tv = self.v(a)?;
                let carg = *self.t.ins_of(bb).ok_or("HSET without CARG")?;
                let (k, v) = (self.v(Ref(carg.a))?, self.v(Ref(carg.b))?);
                let (inarr, addr) = self.num_array_slot(tv, k);
                let (check, store, slow, done) = (
                    self.b.create_block(),
                    self.b.create_block(),
                    self.b.create_block(),
                    self.b.create_block(),
                );
                self.b.ins().brif(inarr, check, &[], slow, &[]);
                self.b.switch_to_block(check);
                let cur = self.load(types::I64, addr, 0);
                let live = self
                    .b
                    .ins()
                    .icmp_imm_u(IntCC::NotEqual, cur, NIL_BITS as i64);
                let meta = self.load(types::I64, tv, TABLE_META_OFS);
                let nometa = self.b.ins().icmp_imm_u(IntCC::Equal, meta, 0);
                let ok = self.b.ins().bor(live, nometa);
                self.b.ins().brif(ok, store, &[], slow, &[]);
                self.b.switch_to_block(store);
                let sv = self.store_form(v);
                self.b.ins().store(Lower::flags(), sv, addr, 0);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(slow);
                let r = self.call(Helper::HSetExisting, &[tv, k, v]).unwrap();
                let ok = self.b.ins().icmp_imm_u(IntCC::NotEqual, r, 0);
                self.guard(ok, ins.snap);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(done);
                None
            }
            Op::TSETNEW => {
                let tv = self.v(a)?;
                let carg = *self.t.ins_of(bb).ok_or("TSETNEW without CARG")?;
                let (k, v) = (self.v(Ref(carg.a))?, self.v(Ref(carg.b))?);
                let ctx = self.ctx;
                let r = self.call(Helper::TSetNew, &[ctx, tv, k, v]).unwrap();
                let ok = self.b.ins().icmp_imm_u(IntCC::NotEqual, r, 0);
                self.guard(ok, ins.snap);
                None
            }
            Op::TLEN => {
                let t = self.v(a)?;
                self.call(Helper::TLen, &[t])
            }
            Op::TAPPEND => {
                // Inline while the array buffer has room, the hash part
                // has no entries (no later integer key to migrate) and
                // the value is not nil: store at `alen + 1`, bump `alen`.
                // Otherwise the helper (growth, migration) does it.
                let (t, v) = (self.v(a)?, self.v(bb)?);
                let alen = self.load(types::I32, t, TABLE_ALEN_OFS);
                let cap = self.load(types::I32, t, TABLE_ACAP_OFS);
                let elen = self.load(types::I32, t, TABLE_HASH_OFS + HASH_ELEN_OFS);
                let room = self.b.ins().icmp(IntCC::UnsignedLessThan, alen, cap);
                let empty = self.b.ins().icmp_imm_u(IntCC::Equal, elen, 0);
                let some = self.b.ins().icmp_imm_u(IntCC::NotEqual, v, NIL_BITS as i64);
                let fast_ok = self.b.ins().band(room, empty);
                let fast_ok = self.b.ins().band(fast_ok, some);
                let (fast, slow, done) = (
                    self.b.create_block(),
                    self.b.create_block(),
                    self.b.create_block(),
                );
                self.b.set_cold_block(slow);
                self.b.ins().brif(fast_ok, fast, &[], slow, &[]);
                self.b.switch_to_block(fast);
                let arr = self.load(types::I64, t, TABLE_ARR_OFS);
                let k = self.b.ins().uextend(types::I64, alen);
                let off = self.b.ins().ishl_imm_u(k, 3);
                let at = self.b.ins().iadd(arr, off);
                let sv = self.store_form(v);
                self.b.ins().store(Lower::flags(), sv, at, 0);
                let n = self.b.ins().iadd_imm_s(alen, 1);
                self.st32(n, t, TABLE_ALEN_OFS as i64);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(slow);
                let ctx = self.ctx;
                let r = self.call(Helper::TAppend, &[ctx, t, v]).unwrap();
                let ok = self.b.ins().icmp_imm_u(IntCC::NotEqual, r, 0);
                self.guard(ok, ins.snap);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(done);
                None
            }
            Op::TNEW => {
                let ctx = self.ctx;
                let d = self.b.ins().iconst(types::I32, ins.a as i64);
                self.call(Helper::TNew, &[ctx, d])
            }
            Op::TDUP => {
                let ctx = self.ctx;
                let tpl = self.v(a)?;
                self.call(Helper::TDup, &[ctx, tpl])
            }
            op => return Err(format!("not a table op: {:?}", op)),
        })
    }
}
