-- Workout of Debian's lua-lpeg (a Lua 5.1 C module) under lunatrace.
local lpeg = require "lpeg"
local P, R, S, V, C, Ct, Cc, Cs, Cf, Cg, Cb =
  lpeg.P, lpeg.R, lpeg.S, lpeg.V, lpeg.C, lpeg.Ct, lpeg.Cc, lpeg.Cs, lpeg.Cf, lpeg.Cg, lpeg.Cb
local function check(c, msg) if not c then error("check failed: " .. msg, 2) end end

-- An arithmetic grammar with an evaluator (folding captures).
local space = S" \t\n"^0
local number = C(P"-"^-1 * R"09"^1 * (P"." * R"09"^1)^-1) * space / tonumber
local function tok(p) return p * space end
local function fold(acc, op, v)
  if op == "+" then return acc + v elseif op == "-" then return acc - v
  elseif op == "*" then return acc * v else return acc / v end
end
local G = P{
  "Exp",
  Exp = Cf(V"Term" * Cg(C(S"+-") * space * V"Term")^0, fold),
  Term = Cf(V"Factor" * Cg(C(S"*/") * space * V"Factor")^0, fold),
  Factor = number + tok"(" * V"Exp" * tok")",
}
local calc = space * G * -1
check(calc:match("1 + 2 * 3") == 7, "precedence")
check(calc:match("(1 + 2) * 3") == 9, "parens")
check(calc:match("10 / 4 - -1.5") == 4, "division")
check(calc:match("2 * (3 + 4) * (5 - 1)") == 56, "nested")
check(calc:match("1 +") == nil, "syntax error")

-- Captures: tables, substitutions, back references, positions.
local word = C(R("az", "AZ")^1)
local words = Ct((word + 1)^0)
local w = words:match("hello, lpeg world!")
check(#w == 3 and w[3] == "world", "word list")
local csv = Ct(C((1 - P",")^0) * ("," * C((1 - P",")^0))^0)
local f = csv:match("a,b,,d")
check(#f == 4 and f[3] == "" and f[4] == "d", "csv")
local upper = Cs((R"az" / string.upper + 1)^0)
check(upper:match("abc-def") == "ABC-DEF", "substitution")
local a, b = (Cg(C(1), "c") * P"=" * Cb"c"):match("x=")
check(a == "x" and b == nil, "back reference " .. tostring(a) .. " " .. tostring(b))
check(lpeg.match(lpeg.Cp() * P"ab" * lpeg.Cp(), "ab") == 1, "positions")
check(lpeg.match(Cc(1, 2, 3), "") == 1, "constant captures")

-- Balanced parentheses and a long subject (stack growth inside LPeg).
local bal = P{ "(" * ((1 - S"()") + V(1))^0 * ")" }
check(bal:match("(a(b)(c(d)))") == 13, "balanced")
local long = string.rep("ab", 50000)
check(Ct((C"ab")^0):match(long)[50000] == "ab", "long subject")

-- Errors from LPeg come back through pcall.
local ok, err = pcall(lpeg.P, {})
check(not ok, "empty grammar")
ok, err = pcall(function() return P"a" + {} end)
check(not ok, "bad operand: " .. tostring(err))
ok, err = pcall(lpeg.match, P"a", {})
check(not ok and err:find("string expected"), "bad subject: " .. tostring(err))

-- The re module (pure Lua on top of lpeg) when available.
local has_re, re = pcall(require, "re")
if has_re then
  check(re.match("the number 42", "{%d+}") == nil, "anchored")
  check(re.find("the number 42", "{%d+}") == 12, "find")
  check(re.gsub("hello world", "'o'", "0") == "hell0 w0rld", "gsub")
end
print(lpeg.version())
print("ok")
