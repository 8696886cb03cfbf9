-- os.exit(code, true) closes the state first: pending finalisers run
-- (after buffered output is kept); os.exit(code) alone does not close.
local p = newproxy(true)
getmetatable(p).__gc = function() print("finaliser ran at close") end
keep = p
local q = newproxy(true)
getmetatable(q).__gc = function() print("second finaliser") end
keep2 = q
io.write("before exit\n")
os.exit(0, true)
print("not reached")
