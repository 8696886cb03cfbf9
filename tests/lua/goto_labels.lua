-- goto and labels as in LuaJIT: visibility, nearest label, labels at the
-- end of a block, closing upvalues, and the errors.

print("-- a nested block may reuse a visible label; goto binds to the nearest")
do
  local n = 0
  ::a:: do n = n + 1; goto a; ::a:: end
  print("inner a", n)
end
do
  local n, trace = 0, {}
  ::a::
  n = n + 1
  do
    trace[#trace + 1] = "mid" .. n
    do
      if n < 3 then goto a end -- the middle block's label, declared later
    end
    trace[#trace + 1] = "skipped"
    ::a::
    trace[#trace + 1] = "after mid a"
  end
  print(n, table.concat(trace, " "))
end
do
  local n, trace = 0, {}
  ::b::
  n = n + 1
  do
    ::b::
    trace[#trace + 1] = "in" .. n
    do
      n = n + 1
      if n < 4 then goto b end -- backward, to the middle block's label
    end
  end
  print(n, table.concat(trace, " "))
end
do
  local n = 0
  ::c::
  n = n + 1
  do
    do
      if n < 3 then goto c end -- backward to the outer label (none nearer)
    end
  end
  print("outer c", n)
end
do
  local out = {}
  for i = 1, 3 do
    ::x::
    do
      out[#out + 1] = i
      goto x -- forward: the block's own label below
      ::x::
    end
  end
  print(table.concat(out, ","))
end

print("-- a label at the end of a block is outside the scope of its locals")
do
  local r = {}
  do goto a; local y = 1; r[#r + 1] = y; ::a:: end
  do goto b; local y = 1; r[#r + 1] = y; ::b:: ::c:: end
  do goto c; local y = 1; r[#r + 1] = y; ::b:: ::c:: end
  print("skipped", #r)
end
do
  local out = {}
  for i = 1, 6 do
    if i % 2 == 0 then goto continue end
    local sq = i * i
    out[#out + 1] = sq
    ::continue::
  end
  print("for continue", table.concat(out, ","))
  local i = 0
  while i < 6 do
    i = i + 1
    if i % 3 == 0 then goto continue end
    local s = "w" .. i
    out[#out + 1] = s
    ::continue::
  end
  print("while continue", table.concat(out, ","))
  for k, v in ipairs({ 10, 20, 30, 40 }) do
    if k == 2 then goto next end
    local twice = v * 2
    out[#out + 1] = twice
    ::next::
  end
  print("ipairs continue", table.concat(out, ","))
  local n = 0
  repeat
    n = n + 1
    if n == 2 then goto continue end
    out[#out + 1] = "r" .. n
    ::continue::
  until n >= 3
  print("repeat continue", table.concat(out, ","))
  if #out > 0 then
    goto skip
    local z = 1
    print(z)
    ::skip::
  elseif out then
    goto s2
    local z = 2
    print(z)
    ::s2::
  else
    goto s3
    local z = 3
    print(z)
    ::s3::
  end
end
do
  -- at the end of a chunk
  local f = assert(load("local t = ... goto done local x = 1 t[1] = x ::done::"))
  local t = {}
  f(t)
  print("chunk end", t[1])
  f = assert(load("return function(t) if t then goto e end local x = 1 t = x ::e:: ::f:: end"))
  print("function end", f()(nil), f()(true))
end

print("-- gotos close the upvalues of the scopes they leave")
do
  local fs = {}
  local c = false
  for i = 1, 3 do
    do
      local x = i * 10
      fs[i] = function() return x end
      if c then print("never") end
      goto out
    end
    ::out::
    local y = { i * 100 }
  end
  print(fs[1](), fs[2](), fs[3]())
end
do
  local fs = {}
  local i = 1
  ::top::
  local x = i
  fs[i] = function() return x end
  i = i + 1
  if i <= 3 then goto top end
  print(fs[1](), fs[2](), fs[3]())
end
do
  local fs = {}
  local i = 0
  ::top::
  do
    local x = i
    fs[#fs + 1] = function() x = x + 1; return x end
    do
      i = i + 1
      if i < 3 then goto top end
    end
  end
  print(fs[1](), fs[1](), fs[2](), fs[3]())
end
do
  local fs = {}
  for i = 1, 3 do
    local x = i
    fs[i] = function() return x end
    if i < 3 then goto continue end
    x = x * 100
    ::continue::
  end
  print(fs[1](), fs[2](), fs[3]())
end
do
  local fs = {}
  local n = 0
  ::again::
  do
    local x = n
    fs[#fs + 1] = function() return x end
    n = n + 1
    if n < 3 then
      do goto again end
    end
  end
  print(fs[1](), fs[2](), fs[3]())
end

do
  local fs = {}
  local n = 0
  repeat
    n = n + 1
    local x = n
    fs[#fs+1] = function() return x end
    if n == 2 then goto cont end
    x = x * 10
    ::cont::
  until n >= 3
  print(fs[1](), fs[2](), fs[3]())
  fs = {}
  n = 0
  repeat
    n = n + 1
    local x = n
    fs[#fs+1] = function() return x end
    if n == 2 then goto out end
  until n >= 3
  ::out::
  print(#fs, fs[1](), fs[2]())
  fs = {}
  for i = 1, 3 do
    local x = i
    while true do
      local y = x * 2
      fs[#fs+1] = function() return x + y end
      if y > 0 then goto done end
    end
    ::done::
  end
  print(fs[1](), fs[2](), fs[3]())
  -- goto out of nested loops with closures, pending jumps from if/else
  fs = {}
  for i = 1, 4 do
    for j = 1, 4 do
      local p = i * 10 + j
      fs[#fs+1] = function() return p end
      if j == 2 then
        if i % 2 == 0 then goto nexti end
      elseif j == 3 then
        goto nexti
      end
    end
    ::nexti::
  end
  local t = {}
  for k, f in ipairs(fs) do t[k] = f() end
  print(table.concat(t, " "))
end

print("-- hot loops with gotos")
do
  local s = 0
  for i = 1, 200 do
    if i % 3 == 0 then goto continue end
    do
      local v = i * 2
      if v % 5 == 0 then goto continue end
      s = s + v
    end
    ::continue::
  end
  print(s)
  local fs, sum = {}, 0
  for i = 1, 100 do
    local x = i
    fs[#fs + 1] = function() return x end
    if i % 2 == 0 then goto skip end
    x = -x
    ::skip::
  end
  for _, f in ipairs(fs) do sum = sum + f() end
  print(sum)
  local i, acc = 0, 0
  ::loop::
  i = i + 1
  acc = acc + i
  if i < 100 then goto loop end
  print(acc)
end

print("-- errors")
local cases = {
  "::a:: ::a::",
  "do ::a:: ::a:: end",
  "::a:: do ::b:: ::a:: ::b:: end",
  "::a::\n::a\n::\nx=1",
  "::a::\n::\na\n::\nx=1",
  "goto a; local y; ::a:: print(y)",
  "do goto a; local y = 1; ::a:: ; end",
  "do goto a; local y = 1; ::a:: ::b:: ; end",
  "do goto a; local y = 1; ::a:: return end",
  "goto a; local y = 1; ::a:: return",
  "do do goto a end local y ::a:: ; end",
  "::a:: do goto a; local y; ::a:: print(y) end",
  "::a:: do do goto a end local y; ::a:: print(y) end",
  "goto a\ngoto b\nlocal y\n::a::\n::b::\nprint(y)",
  "goto b\ngoto a\nlocal y\n::a::\n::b::\nprint(y)",
  "goto a local y = 1 ::a:: ::a::",
  "::b:: goto a local y = 1 ::a:: ::b:: goto b",
  "\n\ngoto a\nlocal y\nlocal z\n::a::\nprint(z)",
  "goto\na\nlocal y\n::a::\nprint(y)",
  "local y do goto a end local z ::a:: print(z)",
  "repeat goto a; local y = 1; ::a:: until y",
  "repeat goto a; local y = 1; ::a:: until true",
  "repeat goto a; local y; ::a:: ::b:: until false",
  "repeat if x then goto cont end local y = 1 ::cont:: until x",
  "repeat do goto a end local y = 1 ::a:: until false",
  "::a:: repeat goto a; local y ::a:: until y",
  "goto a",
  "goto\n\na",
  "do\ngoto\na\nend",
  "do ::a:: end goto a",
  "goto a; do ::a:: end",
  "local function f() goto a end ::a::",
  "::a:: local function f() goto a end",
  "repeat local x ::l:: until x goto l",
  "repeat goto a; do local y ::a:: end until y",
  "if a then local q goto x; local r ::x:: else goto x end",
  "goto goto ::goto::",
  "::a",
  "::end::",
  "::a:: :: ::",
}
for i, s in ipairs(cases) do
  local f, err = load(s, "=c")
  print(i, f and "ok" or err)
end

print("-- legal")
local legal = {
  "::a:: do goto a; ::a:: end",
  "do goto a; local y = 1; ::a:: end",
  "do goto a; local y = 1; ::a:: ::b:: end",
  "::a:: do ::a:: end",
  "do ::a:: end ::a::",
  "::l1:: do goto l1 end do ::l1:: end",
  "goto l1; do ::l1:: end ::l1::",
  "do do goto a end local y ::a:: end",
  "::a:: do do goto a end local y; print(y) end",
  "repeat local y = 1; goto a; ::a:: until y",
  "repeat goto a; ::a:: local y = 1 until y",
  "repeat local y = 1; do goto a; end ::a:: until y",
  "goto a; local y = 1; ::a::",
  "function f() goto a; local y = 1; ::a:: end",
  "if x then goto a elseif y then local q; goto a else goto a end local w ::a::",
  "local goto = 1 goto = 2",
  "goto a; local goto ::a::",
  "::goto::",
}
for i, s in ipairs(legal) do
  local f, err = load(s, "=c")
  print(i, f and "ok" or err)
end
