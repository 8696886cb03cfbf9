-- A small spec of our own, run by busted_run.lua through busted's runner.
local function Stack()
  local items, n = {}, 0
  local s = {}
  function s.push(v) n = n + 1; items[n] = v end
  function s.pop()
    if n == 0 then error("stack empty", 2) end
    local v = items[n]
    items[n] = nil
    n = n - 1
    return v
  end
  function s.size() return n end
  function s.peek() return items[n] end
  return s
end

local function rpn(expr)
  local st = Stack()
  for tok in expr:gmatch("%S+") do
    local num = tonumber(tok)
    if num then
      st.push(num)
    else
      local b, a = st.pop(), st.pop()
      if tok == "+" then st.push(a + b)
      elseif tok == "-" then st.push(a - b)
      elseif tok == "*" then st.push(a * b)
      elseif tok == "/" then st.push(a / b)
      else error("bad token " .. tok) end
    end
  end
  return st.pop()
end

describe("a stack", function()
  local s
  before_each(function() s = Stack() end)

  it("starts empty", function()
    assert.are.equal(0, s.size())
    assert.is_nil(s.peek())
  end)

  it("pushes and pops in LIFO order", function()
    for i = 1, 300 do s.push(i * 2) end
    assert.are.equal(300, s.size())
    for i = 300, 1, -1 do assert.are.equal(i * 2, s.pop()) end
    assert.are.equal(0, s.size())
  end)

  it("errors when popping an empty stack", function()
    assert.has_error(function() s.pop() end)
    assert.error_matches(function() s.pop() end, "stack empty")
  end)

  describe("holding tables", function()
    it("keeps identity", function()
      local t = { 1, 2, 3 }
      s.push(t)
      assert.are.equal(t, s.peek())
      assert.are.same({ 1, 2, 3 }, s.pop())
      assert.are_not.equal({ 1, 2, 3 }, t)
    end)
  end)
end)

describe("rpn", function()
  it("evaluates expressions", function()
    assert.are.equal(7, rpn("3 4 +"))
    assert.are.equal(14, rpn("2 3 4 + *"))
    assert.are.equal(2.5, rpn("5 2 /"))
  end)

  it("evaluates many generated expressions", function()
    for i = 1, 300 do
      local e = i .. " " .. (i + 1) .. " + " .. (i % 7 + 1) .. " *"
      assert.are.equal((2 * i + 1) * (i % 7 + 1), rpn(e))
    end
  end)

  it("rejects bad tokens", function()
    assert.has_error(function() rpn("1 2 ^") end, "bad token ^")
  end)

  it("reports a deliberate failure", function()
    assert.are.equal(rpn("1 2 +"), rpn("2 2 +"))
  end)

  pending("supports variables")
end)

describe("luassert extras", function()
  it("matches strings, types and tables", function()
    assert.matches("^%d+$", "12345")
    assert.is_true(type(rpn) == "function")
    assert.is_false(false)
    assert.truthy(0)
    assert.falsy(nil)
    assert.are.same({ x = { y = { 1, 2 } } }, { x = { y = { 1, 2 } } })
    assert.has_no.errors(function() rpn("1 1 +") end)
    assert.is.near(3.14, math.pi, 0.01)
    assert.is_string("s")
    assert.is_number(1)
    assert.unique({ 1, 2, 3 })
  end)

  it("spies and stubs", function()
    local obj = { f = function(a, b) return a + b end }
    local sp = spy.on(obj, "f")
    for i = 1, 50 do obj.f(i, 1) end
    assert.spy(sp).was.called(50)
    assert.spy(sp).was.called_with(7, 1)
    local st = stub(obj, "f").returns(99)
    assert.are.equal(99, obj.f(1, 2))
    st:revert()
    assert.are.equal(3, obj.f(1, 2))
    local m = mock({ g = function() return 1 end })
    m.g()
    assert.stub(m.g).was.called(1)
  end)

  it("fails with a plain error", function()
    error("boom")
  end)
end)
