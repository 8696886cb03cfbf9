local util, vmdef = require("jit.util"), require("jit.vmdef")
jit.opt.start("hotloop=1")
local t = {}
for i = 1, 100 do t[i] = i * 2 end
jit.off()
local info = util.traceinfo(1)
local function types(...)
  local r = { select("#", ...) }
  for i = 1, select("#", ...) do r[#r + 1] = type((select(i, ...))) end
  return table.concat(r, " ")
end
print("vmdef", type(vmdef.irnames), #vmdef.irnames % 6, type(vmdef.irfpm), type(vmdef.irfpm[0]),
  type(vmdef.ircall), type(vmdef.ircall[0]), type(vmdef.irfield))
print("traceir", types(util.traceir(1, 1)), types(util.traceir(1, info.nins)),
  types(util.traceir(1, info.nins + 1)), types(util.traceir(99, 1)))
local ok = true
for ins = 1, info.nins do
  local m, ot, op1, op2 = util.traceir(1, ins)
  local name = vmdef.irnames:sub(6 * math.floor(ot / 256) + 1, 6 * math.floor(ot / 256) + 6)
  ok = ok and #name == 6 and m % 4 <= 3 and ot % 256 < 256
  for _, o in ipairs({ op1, op2 }) do
    if o < 0 then ok = ok and select("#", util.tracek(1, o)) >= 2 end
  end
end
print("all", ok)
local _, kt = util.tracek(1, -1)
print("tracek", type(kt), types(util.tracek(1, 1)), types(util.tracek(1, -100000)))
local s = util.tracesnap(1, 0)
print("tracesnap", type(s), type(s[0]), type(s[1]), s[#s], types(util.tracesnap(1, 100000)))
print("tracemc", types(util.tracemc(1)), types(util.tracemc(99)))
print("exitstub", types(util.traceexitstub(1, 0)))
print("ircalladdr", types(util.ircalladdr(0)), types(util.ircalladdr(100000)))
