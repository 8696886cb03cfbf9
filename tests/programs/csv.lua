-- csv.lua: write a CSV file with tricky quoting, read it back and aggregate

local path = os.tmpname()

local function csv_field(v)
  v = tostring(v)
  if v:find('[,"\n\r]') or v:match("^%s") or v:match("%s$") then
    return '"' .. v:gsub('"', '""') .. '"'
  end
  return v
end

local function csv_line(row)
  local out = {}
  for i, v in ipairs(row) do out[i] = csv_field(v) end
  return table.concat(out, ",")
end

local header = { "id", "region", "product", "qty", "price", "note" }
local rows = {
  { 1, "North", "Widget", 10, 2.5, "plain" },
  { 2, "South", "Gadget, large", 3, 19.99, 'says "hello"' },
  { 3, "North", "Widget", 7, 2.5, "multi\nline note" },
  { 4, "East", "Gizmo", 1, 100, "" },
  { 5, "South", "Widget", 12, 2.25, "  padded  " },
  { 6, "West", "Doohickey", 0, 5, 'a,b,"c"' },
  { 7, "East", "Gadget, large", 4, 18.5, "x\ny\nz" },
  { 8, "North", "Gizmo", 2, 95.75, "end" },
  { 9, "West", "Widget", 20, 2, '""' },
  { 10, "South", "Gizmo", 5, 99, "last,one" },
}

do
  local f = assert(io.open(path, "w"))
  f:write(csv_line(header), "\n")
  for _, r in ipairs(rows) do
    f:write(csv_line(r), "\n")
  end
  f:close()
end

-- Parser: character state machine fed line-by-line (fields may span lines)
local function make_parser()
  local records = {}
  local field, record = {}, {}
  local state = "start" -- start, unquoted, quoted, quote_in_quoted
  local function end_field()
    record[#record + 1] = table.concat(field)
    field = {}
  end
  local function end_record()
    end_field()
    records[#records + 1] = record
    record = {}
  end
  local function feed(line)
    for i = 1, #line do
      local c = line:sub(i, i)
      if state == "start" then
        if c == '"' then state = "quoted"
        elseif c == "," then end_field()
        else field[#field + 1] = c; state = "unquoted" end
      elseif state == "unquoted" then
        if c == "," then end_field(); state = "start"
        else field[#field + 1] = c end
      elseif state == "quoted" then
        if c == '"' then state = "quote_in_quoted"
        else field[#field + 1] = c end
      elseif state == "quote_in_quoted" then
        if c == '"' then field[#field + 1] = '"'; state = "quoted"
        elseif c == "," then end_field(); state = "start"
        else error("unexpected character after closing quote: " .. c) end
      end
    end
    -- end of physical line
    if state == "quoted" then
      field[#field + 1] = "\n"
    else
      end_record()
      state = "start"
    end
  end
  return feed, records, function() return state end
end

local feed, records, get_state = make_parser()
local physical = 0
for line in io.lines(path) do
  physical = physical + 1
  feed(line)
end
print("physical lines:", physical, "records:", #records, "final state:", get_state())

-- convert to objects
local hdr = table.remove(records, 1)
print("header:", table.concat(hdr, "|"))
local data = {}
for i, rec in ipairs(records) do
  local obj = {}
  for j, name in ipairs(hdr) do obj[name] = rec[j] end
  obj.id, obj.qty, obj.price = tonumber(obj.id), tonumber(obj.qty), tonumber(obj.price)
  data[i] = obj
end

-- verify round trip
local mismatches = 0
for i, r in ipairs(rows) do
  for j, name in ipairs(header) do
    local expected = r[j]
    local got = data[i][name]
    if type(expected) == "number" then got = tonumber(got) end
    if got ~= expected then
      mismatches = mismatches + 1
      print("mismatch", i, name, expected, got)
    end
  end
end
print("round-trip mismatches:", mismatches)

for _, d in ipairs(data) do
  print(string.format("%2d %-6s %-14s %3d %7.2f %q", d.id, d.region, d.product, d.qty, d.price, d.note))
end

-- aggregates
local total_qty, revenue = 0, 0
local min_price, max_price = math.huge, -math.huge
local min_item, max_item
local by_region, by_product = {}, {}
for _, d in ipairs(data) do
  total_qty = total_qty + d.qty
  revenue = revenue + d.qty * d.price
  if d.price < min_price then min_price, min_item = d.price, d.product end
  if d.price > max_price then max_price, max_item = d.price, d.product end
  local g = by_region[d.region]
  if not g then g = { count = 0, qty = 0, revenue = 0 }; by_region[d.region] = g end
  g.count = g.count + 1
  g.qty = g.qty + d.qty
  g.revenue = g.revenue + d.qty * d.price
  by_product[d.product] = (by_product[d.product] or 0) + 1
end

print(string.format("total qty=%d revenue=%.2f avg price=%.3f", total_qty, revenue, revenue / total_qty))
print(string.format("min price %.2f (%s), max price %.2f (%s)", min_price, min_item, max_price, max_item))

local regions = {}
for k in pairs(by_region) do regions[#regions + 1] = k end
table.sort(regions)
print(string.format("%-8s %5s %5s %10s", "region", "count", "qty", "revenue"))
for _, r in ipairs(regions) do
  local g = by_region[r]
  print(string.format("%-8s %5d %5d %10.2f", r, g.count, g.qty, g.revenue))
end

local products = {}
for k, v in pairs(by_product) do products[#products + 1] = { name = k, n = v } end
table.sort(products, function(a, b)
  if a.n ~= b.n then return a.n > b.n end
  return a.name < b.name
end)
for i, p in ipairs(products) do
  print(i, p.name, p.n, string.rep("#", p.n))
end

-- read variants on a second file containing numbers
local npath = os.tmpname()
do
  local f = assert(io.open(npath, "w"))
  f:write("3 1.5 -2e3\n", "0x10 42\n", "name: trailer line\n", "rest of\nthe file\n")
  f:close()
end

local f = assert(io.open(npath, "r"))
local a, b, c = f:read("*n", "*n", "*n")
print("numbers:", a, b, c)
local rest_of_line = f:read("*l")
print("rest of line:", string.format("%q", rest_of_line))
local d = f:read("*n")
local e = f:read("*n")
print("next numbers:", d, e)
local line = f:read("*l")
print("after numbers:", string.format("%q", tostring(line)))
local l2 = f:read("*l")
print("line:", l2)
local bad = f:read("*n")
print("non-number read:", bad)
local all = f:read("*a")
print("rest:", string.format("%q", all))
print("at eof *a:", string.format("%q", f:read("*a")), "at eof *l:", f:read("*l"), "at eof *n:", f:read("*n"))
f:close()

-- *a on the whole CSV and count quotes
local fh = assert(io.open(path, "rb"))
local content = fh:read("*a")
fh:close()
local _, quotes = content:gsub('"', "")
local _, newlines = content:gsub("\n", "")
print("csv bytes:", #content, "quotes:", quotes, "newlines:", newlines)

-- fixed-size reads
fh = assert(io.open(path, "r"))
local chunks = {}
while true do
  local chunk = fh:read(64)
  if not chunk then break end
  chunks[#chunks + 1] = #chunk
end
fh:close()
print("chunks:", table.concat(chunks, " "))

-- lines iterator on file handle and seek
fh = assert(io.open(path, "r"))
local count = 0
for l in fh:lines() do
  count = count + 1
  if count == 2 then print("line 2:", l) end
end
print("seek end:", fh:seek("end"))
print("seek set 3:", fh:seek("set", 3), fh:read(5))
print("seek cur:", fh:seek("cur"))
fh:close()
print("closed handle:", io.type(fh), pcall(fh.read, fh, "*l"))

print("remove:", os.remove(path), os.remove(npath))
print("gone:", io.open(path, "r") == nil)
