//! Differential fuzzing of the JIT against the interpreter: random loop
//! programs (arithmetic, tables, conditionals, calls, upvalues, strings,
//! type changes) must print the same under `-joff` and with the JIT forced
//! hot (`-Ohotloop=1`, and with optimisations off).

mod common;

use common::Rng;

use std::process::Command;

const VARS: &[&str] = &["a", "b", "c", "d"];

fn num_expr(r: &mut Rng, depth: usize) -> String {
    if depth == 0 || r.below(3) == 0 {
        return match r.below(5) {
            0 => r.pick(VARS).to_string(),
            1 => "i".to_string(),
            2 => format!("{}", r.below(10)),
            3 => format!("{}.5", r.below(4)),
            _ => format!("t[{}]", 1 + r.below(8)),
        };
    }
    let op = r.pick(&["+", "-", "*", "%", "/"]);
    let rhs = if op == "%" || op == "/" {
        format!("({} + 1)", r.below(5) + 1)
    } else {
        num_expr(r, depth - 1)
    };
    match r.below(6) {
        0 => format!("math.floor({} {} {})", num_expr(r, depth - 1), op, rhs),
        1 => format!("f({})", num_expr(r, depth - 1)),
        2 => format!("math.min({}, {})", num_expr(r, depth - 1), rhs),
        _ => format!("({} {} {})", num_expr(r, depth - 1), op, rhs),
    }
}

fn cond(r: &mut Rng) -> String {
    let cmp = r.pick(&["<", "<=", ">", ">=", "==", "~="]);
    format!("{} {} {}", num_expr(r, 1), cmp, num_expr(r, 1))
}

fn stmt(r: &mut Rng, depth: usize) -> String {
    let v = r.pick(VARS);
    match r.below(if depth == 0 { 4 } else { 79 }) {
        0 | 1 => format!("{} = ({}) % 1000", v, num_expr(r, 2)),
        2 => format!("t[{}] = {}", 1 + r.below(8), num_expr(r, 1)),
        3 => format!("acc = acc + {}", num_expr(r, 1)),
        4 => format!(
            "if {} then {} else {} end",
            cond(r),
            stmt(r, depth - 1),
            stmt(r, depth - 1)
        ),
        5 => format!(
            "for j = 1, {} do {} end",
            1 + r.below(4),
            stmt(r, depth - 1)
        ),
        6 => format!(
            "if i % {} == 0 then {} = 'x' .. {} else {} = {} end",
            2 + r.below(5),
            v,
            r.below(9),
            v,
            r.below(9)
        ),
        7 => format!("up = up + 1; {}", stmt(r, depth - 1)),
        8 => format!("o.n = o.n + ({} > 3 and 1 or 2)", r.pick(VARS)),
        9 => format!("while {} > 50 do {} = {} - 7 end", v, v, v),
        10 => format!("acc = acc + g({})", num_expr(r, 1)),
        11 => format!(
            "o[{}] = (o[{}] or 0) + 1",
            r.pick(&["'k1'", "'k2'", "'k3'"]),
            r.pick(&["'k1'", "'k2'"])
        ),
        12 => format!("if #s < 40 then s = s .. {} end", r.below(10)),
        13 => format!("acc = acc + (m[{}] or 0)", 1 + r.below(10)),
        15 => format!("acc = acc + h({}, {})", num_expr(r, 1), num_expr(r, 1)),
        16 => format!(
            "grid[{}][{}] = {}",
            1 + r.below(3),
            1 + r.below(3),
            num_expr(r, 1)
        ),
        17 => format!(
            "acc = acc + pt:len() + pt.x; pt.x = ({}) % 50",
            num_expr(r, 1)
        ),
        18 => format!("local q, w = two({}) acc = acc + q - w", num_expr(r, 1)),
        19 => format!("acc = acc + tail({})", num_expr(r, 1)),
        20 => "for _, x in ipairs(t) do acc = acc + x end".to_string(),
        21 => {
            "for k, x in pairs(o) do if type(x) == 'number' then acc = acc + x end end".to_string()
        }
        22 => format!("z[i % 3] = (z[(i + {}) % 3] or 0) % 97 + 1", 1 + r.below(2)),
        23 => format!(
            "if s {} 'x{}' then acc = acc + 1 end",
            r.pick(&["<", "<=", ">", ">="]),
            r.below(10)
        ),
        // Multi-result calls as last arguments and in constructors.
        24 => format!(
            "acc = acc + select('#', three({e})) + select(2, three({e}))",
            e = num_expr(r, 1)
        ),
        25 => format!(
            "local tt = {{three({})}} acc = acc + #tt + tt[3]",
            num_expr(r, 1)
        ),
        26 => format!("acc = acc + math.max(three({}))", num_expr(r, 1)),
        27 => format!("acc = acc + sum3(pass(three({})))", num_expr(r, 1)),
        // Natives with computed arguments right after an inner loop
        // (side traces end at the unsupported print/io.write).
        28 => format!(
            "for j = 1, {} do end if i % {} == 0 then print(i, math.floor({})) end",
            5 + r.below(40),
            3 + r.below(9),
            num_expr(r, 1)
        ),
        29 => format!(
            "for j = 1, {} do end out[#out + 1] = string.format('%d:%s', math.floor({}), tostring(i % 3 == 0))",
            2 + r.below(20),
            num_expr(r, 1)
        ),
        // Method calls through __index tables (a two-level class chain).
        30 => format!(
            "acc = acc + obj:get({}) + obj:base() + obj.k",
            num_expr(r, 1)
        ),
        // String natives.
        31 => "do local s2 = string.sub(str, 1 + i % 5, 3 + i % 7) acc = acc + #s2 + #str:sub(-(i % 9), i % 13) + (string.find(str, s2, 1, true) or 0) + string.byte(str, 1 + i % 9) out[#out + 1] = string.upper(s2) .. string.rep('-', i % 3) end"
            .to_string(),
        // Nested loops with early exits.
        32 => format!(
            "for j = 1, {} do if j > {} then break end acc = acc + j end",
            3 + r.below(20),
            1 + r.below(10)
        ),
        33 => format!(
            "do local k = 0 while true do k = k + 1 if k > {} or {} then break end end acc = acc + k end",
            1 + r.below(6),
            cond(r)
        ),
        34 => format!(
            "for j = 1, {} do if (j + i) % {} == 0 then goto cont end acc = acc + j ::cont:: end",
            2 + r.below(12),
            2 + r.below(4)
        ),
        // Protected calls (errors every few iterations), varargs in a
        // loop of a vararg function, objects as keys, closures made and
        // called (sunk), tables with metatables (missing keys, new
        // fields), a stack popped with table.remove, an absent global.
        35 => "do local ok, e = pcall(risky, i) if ok then acc = acc + e else acc = acc + #e end end"
            .to_string(),
        36 => format!("acc = acc + vsum({}, {})", num_expr(r, 1), num_expr(r, 1)),
        37 => "do local k = keys[1 + i % 4] seen[k] = (seen[k] or 0) + 1 acc = acc + seen[k] end"
            .to_string(),
        38 => format!(
            "do local cl = function(x) return x + num({}) end acc = acc + cl(i) end",
            v
        ),
        39 => "do local mo = mts[1 + i % 4] if mo.missing == nil then acc = acc + mo.v end mo.extra = i end"
            .to_string(),
        40 => "do stack[#stack + 1] = i if i % 3 == 0 then acc = acc + table.remove(stack) end end"
            .to_string(),
        41 => "if undefined_global_x == nil then acc = acc + 1 end".to_string(),
        // A Lua iterator function (its call inlined).
        45 => format!(
            "for k, v in lit(t, 1 + i % 3) do acc = acc + k * num(v) + num({}) end",
            v
        ),
        // Natives that are not compiled (stitched traces).
        42 => format!(
            "do local r, k = (\"a\" .. i .. \"b\"):gsub(\"%d\", \"x\") acc = acc + k + #r + num({}) end",
            v
        ),
        43 => "for w in (\"ab cd \" .. i):gmatch(\"%w+\") do acc = acc + #w end".to_string(),
        44 => format!(
            "do local ok, e = pcall(function(x) return ((\"ab\"):gsub(x, \"c\")) end, i % 5 == 0 and \"[\" or \"a\") local q = {{i % 3, {}, 2}} table.sort(q, function(x, y) return x > y end) acc = acc + q[1] + (ok and #e or 0) end",
            v
        ),
        // xpcall (errors every few iterations, a handler rewriting them).
        46 => "do local ok, e = xpcall(risky, xh, i) if ok then acc = acc + e else acc = acc + #e end end"
            .to_string(),
        // Varargs: forwarding, select('#'), select(n), packing.
        47 => format!(
            "do local p = vpack({e}, i, nil) acc = acc + p.n + num(p[1]) + vcount(i, nil, {e}) + num(vsecond(i, {e})) + vfwd(i, 2) end",
            e = num_expr(r, 1)
        ),
        // Bit operations, rotations included.
        48 => format!(
            "acc = acc + bit.rol(bit.bxor(math.floor({}), i), {}) % 1000 + bit.ror(i, {}) % 7 + bit.tobit(i + {})",
            num_expr(r, 1),
            r.below(40),
            r.below(40),
            r.below(9)
        ),
        // A stateless iterator, a closure's upvalue stored and read back.
        49 => format!(
            "for k in lstep, {}, i % 2 do acc = acc + k + bump() end",
            1 + r.below(6)
        ),
        // Tables made in the loop (forwarded loads, sunk allocations,
        // exits that make them).
        50 => format!(
            "do local q = {{x = {}, y = {}}} q.x = q.x + q.y if {} then o.keep = q end acc = acc + q.x + (o.keep and o.keep.y or 0) end",
            num_expr(r, 1),
            num_expr(r, 1),
            cond(r)
        ),
        51 => format!(
            "do local w = setmetatable({{x = {}}}, P) acc = acc + w:len() + (w.missing and 1 or 0) end",
            num_expr(r, 1)
        ),
        52 => format!(
            "do local q = {{i, v = {}}} q.w = q.v if i % 4 == 0 then q[2] = i end acc = acc + q[1] + q.v + q.w + (q[2] or 0) end",
            num_expr(r, 1)
        ),
        // A table made each iteration and carried to the next.
        53 => format!(
            "cv = setmetatable({{x = (cv.x + {}) % 1000, y = cv.x}}, P) acc = acc + cv:len()",
            num_expr(r, 1)
        ),
        54 => format!(
            "do local nv = {{x = cv.y, y = {}}} if {} then cv = setmetatable(nv, P) end end",
            num_expr(r, 1),
            cond(r)
        ),
        // Recursion (function-entry traces: up-recursion, tail
        // recursion, returns into frames of the same function).
        55 => format!("acc = acc + rfib(i % 13) + rfib({} % 9)", v),
        56 => format!("acc = acc + rsum(i % 40, {})", num_expr(r, 1)),
        57 => format!(
            "acc = acc + rdeep(i % 30, {}) + rtree(i % 8) + (even(i % 25) and 1 or 0)",
            num_expr(r, 1)
        ),
        // Down-recursion: returns into callers that add and return
        // again, with several results, through MULTRES into a tail call,
        // into a caller holding a closure, changing types.
        58 => format!(
            "do local a, b = rtwo(i % 25) acc = acc + a + b + rack(i % 3, {} % 20) + rcl(i % 30) local s = rstr(i % 12) acc = acc + (type(s) == 'number' and s or #s) end",
            v
        ),
        // Natives not compiled, tail-called from an inlined function
        // (stitched: the driver returns their results to the caller).
        59 => format!(
            "do local r, k = tsub(\"a\" .. i .. {}) local q, w = tnext({{z = i}}) acc = acc + #r + k + w + #q end",
            v
        ),
        // All results of a native not compiled (stitched, the
        // continuation at their consumer), with a count that may change.
        60 => format!(
            "acc = acc + tonumber((\"n\" .. i):match(\"%d+\")) + select(\"#\", (\"k\" .. i .. {}):match(i % 3 == 0 and \"(%a)(%d)\" or \"(%d)\"))",
            v
        ),
        // Coroutine switches (the interpreter switches; a long trace
        // ends at the switch): generators, resume/yield both ways, a
        // generic for over a wrap function, errors inside coroutines,
        // yields across pcall.
        61 => format!("acc = acc + cgen() + lgen({})", num_expr(r, 1)),
        62 => format!(
            "for x, y in cfor(i % 4) do acc = acc + x + y * {} end",
            1 + r.below(3)
        ),
        63 => format!(
            "do local ok, v = coroutine.resume(pco, {}) acc = acc + (ok and v or 0) end",
            num_expr(r, 1)
        ),
        64 => format!(
            "do local ok, e = pcall(egen, i + {}) acc = acc + (ok and e or 1) end",
            r.below(3)
        ),
        65 => "acc = acc + ygen(i) + (coroutine.status(pco) == 'suspended' and 1 or 0)".into(),
        // `next` called directly: a while loop over a table whose keys
        // change type, and an emptiness test.
        66 => format!(
            "do local nt = {{x = i, [{}] = 1, [true] = 2}} local k, v = next(nt) \
             while k ~= nil do if type(v) == 'number' then acc = acc + v end k, v = next(nt, k) end \
             if next(nt) == nil then acc = acc + 1 end end",
            1 + r.below(4)
        ),
        // A stitched native (`%q` is not compiled) whose last argument
        // list comes from a multiple-result call (CALLM).
        67 => format!(
            "acc = acc + #string.format('%q', string.sub('a\"b\\\\c\\n', 1, (i + {}) % 6))",
            r.below(4)
        ),
        // Array loops with varying bounds (bounds checks hoisted to the
        // limit, or kept): limits past the end, offsets, descending,
        // arrays of several lengths through one loop.
        68 => {
            let (idx, lo, hi) = [
                ("k", "1", "#q"),
                ("k", "1", "#q + 1"),
                ("k", "1", "i % 13"),
                ("k + 1", "1", "#q - 1"),
                ("k - 1", "2", "#q"),
                ("k", "#q", "1, -1"),
                ("k + 1", "#q", "1, -1"),
                ("k", "0", "#q"),
            ][r.below(8)];
            format!(
                "do local q = arrs[(i + {}) % 4 + 1] local sq = 0 for k = {}, {} do sq = sq + (q[{}] or {}) end acc = acc + sq % 1000 end",
                r.below(4),
                lo,
                hi,
                idx,
                r.below(3)
            )
        }
        // Arrays that grow or shrink inside such a loop.
        69 => format!(
            "do local q = arrs[i % 4 + 1] for k = 1, #q do q[k] = (q[k] or 0) % 13 + k if k == {} and #q < 24 then q[#q + 1] = k elseif k == {} and #q > 3 then q[#q] = nil end end end",
            1 + r.below(6),
            2 + r.below(6)
        ),
        // Stores overwritten in one iteration, with or without an exit
        // or a read between.
        70 => match r.below(4) {
            0 => format!("o.n = i o.n = o.n * {} + 1", 1 + r.below(3)),
            1 => format!(
                "o.n = i if i % {} == 0 then acc = acc + o.n end o.n = o.n + 1",
                2 + r.below(5)
            ),
            2 => format!("up = i up = up + g(i) + {}", r.below(4)),
            _ => format!(
                "t[{0}] = i t[{0}] = t[{0}] % 17 + {1}",
                1 + r.below(8),
                r.below(5)
            ),
        },
        // Recursion inlined in the loop's trace up to `callunroll`
        // levels (a walk up a chain of parents, tail and not), calls
        // through regions of recursion traces.
        71 => format!(
            "acc = acc + rlook(i % 3 == 0 and ch3 or ch3.p, {}) + rlook2(ch3) + rfib(i % 7)",
            num_expr(r, 1)
        ),
        // Upvalues never assigned (constants for the traces), set by the
        // debug library in the middle of the loop.
        72 => format!(
            "do if i == {} then debug.setupvalue(kget, 1, i % 9) end acc = acc + kget(i) end",
            5 + r.below(60)
        ),
        // Returns the traces cannot make: into a protected call, into a
        // native's callback.
        73 => format!(
            "do local ok, q = pcall(rdep, i % {}) acc = acc + (ok and q or 0) + #((\"ab\"):gsub(\".\", function() return tostring(rdep(i % 4)) end)) end",
            2 + r.below(5)
        ),
        // Coroutines as values: made in the loop (some yield, some
        // return), their status tested, threads moved through a table
        // and compared; short generator loops.
        74 => format!(
            "do local co = coroutine.create(cbody) local ok, v = coroutine.resume(co, i % {}) local c2 = cos[i % 3 + 1] \
             acc = acc + v + (coroutine.status(co) == 'dead' and 1 or 0) + (c2 == cos[1] and 2 or 0) + (coroutine.status(c2) == 'suspended' and 1 or 0) end",
            3 + r.below(5)
        ),
        75 => format!(
            "do local th = cos[1 + i % 3] cos[1 + (i + {}) % 3] = th acc = acc + (type(th) == 'thread' and 1 or 0) + (rawequal(th, cos[2]) and 3 or 0) \
             for x in sgen(i % 4) do acc = acc + x end end",
            1 + r.below(2)
        ),
        // string.match (a match or none, one capture, a position
        // capture now and then) and gsub with a string replacement:
        // helper calls in the trace (SMATCH, SGSUB).
        76 => format!(
            "do local s = \"k\" .. (i % {}) .. \"=v\" .. {} local m = s:match(i % 5 == 0 and \"()=\" or \"^k(%d+)=\")              local g = s:gsub(\"%d\", i % 4 == 0 and \"<%0>\" or \"#\") acc = acc + #g + (m and num(m) or 0) end",
            2 + r.below(9),
            num_expr(r, 1)
        ),
        // Index arithmetic narrowed to guarded int operations (a number
        // from a slot, products by constants, differences).
        77 => format!(
            "do local d = i % {} acc = acc + (t[2 * (d + 1) + (i % 2)] or 0) + (t[{} - (i % 8)] or 0) + (t[(d - 1) * 3 + 2] or 0) end",
            2 + r.below(3),
            8 + r.below(3)
        ),
        _ => format!(
            "local l = {} if l ~= {} then {} = l end",
            num_expr(r, 1),
            r.pick(VARS),
            r.pick(VARS)
        ),
    }
}

/// One random program printing everything it computed.
fn program(r: &mut Rng) -> String {
    let mut p = String::from(
        "local a, b, c, d = 1, 2, 3, 4\nlocal acc = 0\nlocal up = 0\n\
         local t = {1, 2, 3, 4, 5, 6, 7, 8}\nlocal o = {n = 0}\n\
         local function f(x) if type(x) ~= 'number' then return 0 end return x * 2 - 1 end\n\
         local function num(x) if type(x) == 'number' then return x end return #x end\n\
         local function g(x) up = up + 1 return x % 7 end\n\
         local s = ''\nlocal m = setmetatable({}, {__index = t})\n\
         local function h(x, y) if x > y then return x - y end return y % 5 end\n\
         local grid = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}\n\
         local P = {} P.__index = P function P:len() return self.x * 2 end\n\
         local pt = setmetatable({x = 3}, P)\n\
         local cv = setmetatable({x = 1, y = 2}, P)\n\
         local function two(x) return x, x / 2 end\n\
         local function tail(x) return h(x, 3) end\n\
         local z = {[0] = 1, 2, 3}\n\
         local function lit(q, step) local i = 0 return function() i = i + step if q[i] then return i, q[i] end end end\n\
         local function three(x) return x, x + 1, x * 2 end\n\
         local function pass(...) return ... end\n\
         local function sum3(x, y, w) return x + (y or 0) + (w or 0) end\n\
         local Base = {} Base.__index = Base function Base:base() return 2 end\n\
         local Cls = setmetatable({k = 5}, Base) Cls.__index = Cls\n\
         function Cls:get(x) return x % 11 + self.k end\n\
         local obj = setmetatable({}, Cls)\n\
         local str = 'abcabdxyzab'\nlocal out = {}\n\
         local function risky(x) if x % 5 == 0 then error('e' .. x, 0) end return x end\n\
         local function vsum(...) local s = 0 for k = 1, select('#', ...) do s = s + num((select(k, ...))) end return s end\n\
         local seen, keys, stack = {}, {t, o, grid, f}, {}\n\
         local function xh(e) return 'h' .. tostring(e) end\n\
         local function vpack(...) return {n = select('#', ...), ...} end\n\
         local function vcount(...) return select('#', ...) end\n\
         local function vsecond(...) return (select(2, ...)) end\n\
         local function vfwd(...) return sum3(...) end\n\
         local function lstep(lim, k) k = k + 1 if k <= lim then return k end end\n\
         local cnt = 0 local function bump() cnt = cnt + 1 return cnt end\n\
         local mts = {} for k = 1, 4 do mts[k] = setmetatable({v = k}, {}) end\n\
         local function rfib(n) if n < 2 then return n end return rfib(n - 1) + rfib(n - 2) end\n\
         local function rsum(n, x) if n <= 0 then return x end return rsum(n - 1, x + n % 7) end\n\
         local function rdeep(n, x) if n == 0 then return x end local q = rdeep(n - 1, x) if n % 5 == 0 then return q * 2 % 1000 end return q + 1 end\n\
         local function rtree(n) if n <= 1 then up = up + 1 return 1 end return rtree(n - 1) + rtree(n - 2) + up % 3 end\n\
         local function rtwo(n) if n == 0 then return 0, 1 end local a, b = rtwo(n - 1) return b, (a + b) % 1000 end\n\
         local function rack(m, n) if m == 0 then return n + 1 end if n == 0 then return rack(m - 1, 1) end return rack(m - 1, rack(m, n - 1)) end\n\
         local function rcl(n) if n == 0 then return 1 end local k = n local g = function() return k end local q = rcl(n - 1) return q + g() end\n\
         local function rstr(n) if n == 0 then return '' end if n == 6 then return 6 end local s = rstr(n - 1) if type(s) == 'number' then return s + 1 end return s .. 'x' end\n\
         local ch3 = {v = 1, p = {v = 2, p = {v = 3}}}\n\
         local function rlook(c, n) if not c then return n end return rlook(c.p, n + c.v) end\n\
         local function rlook2(c) if not c then return 0 end return c.v + rlook2(c.p) end\n\
         local KC = 5 local function kget(x) return x + KC end\n\
         local function rdep(n) if n == 0 then return 0 end return rdep(n - 1) + 1 end\n\
         local even, odd\n\
         function even(n) if n == 0 then return true end return odd(n - 1) end\n\
         function odd(n) if n == 0 then return false end return even(n - 1) end\n\
         local function tsub(x) return (\"\" .. x):gsub(\"%d\", \"x\") end\n\
         local function tnext(q) return next(q) end\n\
         local yield = coroutine.yield\n\
         local cgen = coroutine.wrap(function() local k = 0 while true do k = k + 1 yield(k % 11) end end)\n\
         local lgen = coroutine.wrap(function(x) local q = 1 while true do if type(x) ~= 'number' then x = 0 end\n\
           q = (q * 3 + x) % 1009 q = (q * 5 + 1) % 1009 q = (q * 7 + x) % 1009 q = (q + 2) % 1009\n\
           q = (q * 11 + 3) % 1009 q = (q * 13 + x) % 1009 x = yield(q % 17) end end)\n\
         local function cfor(n) return coroutine.wrap(function() for k = 1, n do yield(k, k % 3) end end) end\n\
         local pco = coroutine.create(function(x) local tot = 0 while true do if type(x) ~= 'number' then x = 1 end tot = (tot + x) % 97 x = yield(tot) end end)\n\
         local egen = coroutine.wrap(function(x) while true do if x % 7 == 0 then error('e7', 0) end x = yield(x % 5) end end)\n\
         local arrs = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {5, 4, 3}, {}, {2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28}}\n\
         local function cbody(x) if x % 4 == 0 then x = coroutine.yield(x) end return (x or 0) + 1 end\n\
         local cos = {coroutine.create(cbody), coroutine.create(cbody), coroutine.create(print)}\n\
         local function sgen(n) return coroutine.wrap(function() for k = 1, n do yield(k) end end) end\n\
         local ygen = coroutine.wrap(function(x) while true do local ok, v = pcall(function() local w = yield(x % 3) if w % 9 == 0 then error('w9') end return w end) x = ok and v or 2 end end)\n",
    );
    p.push_str(&format!("for i = 1, {} do\n", 20 + r.below(200)));
    for _ in 0..1 + r.below(5) {
        p.push_str("  ");
        p.push_str(&stmt(r, 2));
        p.push('\n');
    }
    p.push_str("  a = num(a); b = num(b); c = num(c); d = num(d)\nend\n");
    p.push_str(
        "print(string.format('%.6g %.6g %.6g %.6g %.6g %d %d', a, b, c, d, acc, up, o.n))\n\
         print(table.concat(t, ' '), s, o.k1, o.k2, o.k3)\n\
         print(grid[1][1], grid[2][2], grid[3][3], pt.x, z[0], z[1], z[2], cv.x, cv.y, getmetatable(cv) == P)\n\
         print(#out, table.concat(out, ' '), #stack)\n\
         print(#arrs[1], #arrs[2], #arrs[3], #arrs[4], table.concat(arrs[1], ' '), table.concat(arrs[4], ' '))\n",
    );
    p
}

/// Output of one run (stdout then stderr), or "TIMEOUT" after 20 s (a
/// trace that never exits is a bug too).
fn run(mode: &str, file: &std::path::Path) -> String {
    let mut child = Command::new(common::exe())
        .arg(mode)
        .arg(file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run lunatrace");
    let t0 = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if t0.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            return "TIMEOUT".into();
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = child.wait_with_output().expect("output");
    common::no_addresses(&format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// The JIT modes each program runs in: forced hot, forced hot without
/// optimisations, hot with side traces from the first exits (and traces
/// ending at every coroutine switch, however short), defaults,
/// and the background compiler installing traces mid-run (with loop
/// regions' mid-entry, off by default).
const MODES: [&str; 5] = [
    "-Ohotloop=1",
    "-O0,hotloop=1",
    "-Ohotloop=2,hotexit=1,minswitch=0",
    "-O3",
    "-Oasync=1,hotloop=2,hotexit=1,+midentry",
];

#[test]
fn jit_matches_interpreter_on_random_loops() {
    let dir = std::env::temp_dir().join(format!("lt-jitfuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = std::env::var("LT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_1234_ABCD_0001u64);
    let mut r = Rng(seed);
    let mut failures = Vec::new();
    let mut clean = 0;
    for n in 0..300 {
        let src = program(&mut r);
        let f = dir.join(format!("p{}.lua", n));
        std::fs::write(&f, &src).unwrap();
        let want = run("-joff", &f);
        if !want.contains("lunatrace:") {
            clean += 1;
        }
        for mode in MODES {
            let got = run(mode, &f);
            if got != want {
                failures.push(format!(
                    "program {} [{}]:\n{}\n-- interpreter:\n{}-- jit:\n{}",
                    n, mode, src, want, got
                ));
            }
        }
    }
    // (LT_FUZZ_KEEP=1 keeps the programs, to look at what they compile.)
    if std::env::var_os("LT_FUZZ_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("programs kept in {}", dir.display());
    }
    // Most programs must run to completion (errors are compared too, but
    // they end a program early).
    assert!(
        clean >= 150,
        "only {} of 300 programs ran without error",
        clean
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
