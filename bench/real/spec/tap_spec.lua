-- Spec file run by bench/real/busted_tap.lua: a small queue/stack module
-- and string helpers, tested by many generated `it` blocks.

local function new_queue()
  local q = { first = 1, last = 0, items = {} }
  function q.push(v) q.last = q.last + 1; q.items[q.last] = v end
  function q.pop()
    if q.first > q.last then error("queue is empty") end
    local v = q.items[q.first]
    q.items[q.first] = nil
    q.first = q.first + 1
    return v
  end
  function q.size() return q.last - q.first + 1 end
  return q
end

local function words(s)
  local t = {}
  for w in s:gmatch("%a+") do t[#t + 1] = w:lower() end
  return t
end

local function caesar(s, k)
  return (s:gsub("%a", function(c)
    local base = c:match("%l") and 97 or 65
    return string.char((c:byte() - base + k) % 26 + base)
  end))
end

describe("queue", function()
  local q
  before_each(function() q = new_queue() end)
  after_each(function() q = nil end)

  for n = 1, 150 do
    it("keeps " .. n .. " items in order", function()
      for i = 1, n do q.push(i * 3) end
      assert.are.equal(n, q.size())
      for i = 1, n do assert.are.equal(i * 3, q.pop()) end
      assert.are.equal(0, q.size())
    end)
  end

  for n = 1, 60 do
    it("errors when popped empty after " .. n .. " items", function()
      for i = 1, n do q.push(i) end
      for i = 1, n do q.pop() end
      assert.has_error(function() q.pop() end)
      assert.error_matches(function() q.pop() end, "empty")
    end)
  end
end)

describe("strings", function()
  local sentences = {
    "The quick brown Fox jumps over the lazy Dog",
    "Pack my box with five dozen liquor jugs",
    "How vexingly quick daft zebras jump",
    "Sphinx of black quartz judge my vow",
  }
  for i = 1, 80 do
    local s = sentences[i % #sentences + 1]
    describe("sentence " .. i, function()
      it("splits into words", function()
        local w = words(s)
        assert.is_true(#w >= 6)
        assert.are.same(w, words(s:upper()))
      end)
      it("round-trips caesar " .. i, function()
        local enc = caesar(s, i)
        assert.are_not.equal(i % 26 == 0 and "" or s, enc)
        assert.are.equal(s, caesar(enc, 26 - i % 26))
      end)
      it("matches deep tables " .. i, function()
        local t = { s = s, n = i, sub = { words(s), { i, i * 2 } } }
        assert.are.same({ s = s, n = i, sub = { words(s), { i, i * 2 } } }, t)
        assert.are_not.same({ s = s, n = i + 1 }, t)
      end)
    end)
  end
end)

describe("spies and stubs", function()
  for i = 1, 60 do
    it("counts calls " .. i, function()
      local obj = { f = function(x) return x + 1 end }
      local s = spy.on(obj, "f")
      for k = 1, i do obj.f(k) end
      assert.spy(s).was.called(i)
      assert.spy(s).was.called_with(i)
      s:revert()
    end)
    it("stubs returns " .. i, function()
      local obj = { g = function() return 0 end }
      stub(obj, "g").returns(i, "x")
      local a, b = obj.g()
      assert.are.equal(i, a)
      assert.are.equal("x", b)
      assert.stub(obj.g).was.called(1)
      obj.g:revert()
    end)
  end
  pending("a pending test")
  it("is pending too", function() pending("later") end)
end)
