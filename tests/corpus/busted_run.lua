-- busted: run busted/stack_spec.lua through busted's own runner (as
-- /usr/bin/busted does) with the TAP output handler. The spec contains one
-- failing test and one erroring test, so the run ends with a failing exit
-- status (busted raises an error for it on Lua 5.1).
arg = { [0] = "busted", "-o", "TAP", "busted/stack_spec.lua" }
require "busted.runner" ({ standalone = false })
