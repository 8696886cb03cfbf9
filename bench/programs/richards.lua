-- Richards: operating-system task scheduler simulation (after M. Richards).
local N = tonumber(arg and arg[1]) or 1000

local ID_IDLE, ID_WORKER, ID_HANDLER_A, ID_HANDLER_B = 1, 2, 3, 4
local ID_DEVICE_A, ID_DEVICE_B = 5, 6
local KIND_DEVICE, KIND_WORK = 0, 1
local DATA_SIZE = 4
local COUNT = 1000

local STATE_RUNNING, STATE_RUNNABLE, STATE_SUSPENDED, STATE_HELD = 0, 1, 2, 4
local STATE_SUSPENDED_RUNNABLE = 3   -- SUSPENDED + RUNNABLE

-- bit helpers on small non-negative ints (states are < 8)
local function has(state, flag) return state % (flag * 2) >= flag end

---------------------------------------------------------------- Packet
local Packet = {}
Packet.__index = Packet
function Packet.new(link, id, kind)
  local data = {}
  for i = 1, DATA_SIZE do data[i] = 0 end
  return setmetatable({ link = link, id = id, kind = kind, a1 = 0, a2 = data }, Packet)
end
function Packet:addTo(queue)
  self.link = nil
  if queue == nil then return self end
  local next = queue
  local peek = next.link
  while peek do next = peek; peek = next.link end
  next.link = self
  return queue
end

---------------------------------------------------------------- TaskControlBlock
local TCB = {}
TCB.__index = TCB
function TCB.new(link, id, priority, queue, task)
  local t = setmetatable({ link = link, id = id, priority = priority, queue = queue, task = task }, TCB)
  if queue == nil then t.state = STATE_SUSPENDED else t.state = STATE_SUSPENDED_RUNNABLE end
  return t
end
function TCB:setRunning() self.state = STATE_RUNNING end
function TCB:markAsNotHeld()
  if has(self.state, STATE_HELD) then self.state = self.state - STATE_HELD end
end
function TCB:markAsHeld()
  if not has(self.state, STATE_HELD) then self.state = self.state + STATE_HELD end
end
function TCB:isHeldOrSuspended()
  local s = self.state
  return has(s, STATE_HELD) or s == STATE_SUSPENDED
end
function TCB:markAsSuspended()
  if not has(self.state, STATE_SUSPENDED) then self.state = self.state + STATE_SUSPENDED end
end
function TCB:markAsRunnable()
  if not has(self.state, STATE_RUNNABLE) then self.state = self.state + STATE_RUNNABLE end
end
function TCB:run()
  local packet
  if self.state == STATE_SUSPENDED_RUNNABLE then
    packet = self.queue
    self.queue = packet.link
    if self.queue == nil then self.state = STATE_RUNNING else self.state = STATE_RUNNABLE end
  end
  return self.task:run(packet)
end
function TCB:checkPriorityAdd(task, packet)
  if self.queue == nil then
    self.queue = packet
    self:markAsRunnable()
    if self.priority > task.priority then return self end
  else
    self.queue = packet:addTo(self.queue)
  end
  return task
end

---------------------------------------------------------------- Scheduler
local Scheduler = {}
Scheduler.__index = Scheduler
function Scheduler.new()
  return setmetatable({ queueCount = 0, holdCount = 0, blocks = {}, list = nil,
                        currentTcb = nil, currentId = nil }, Scheduler)
end
function Scheduler:addTask(id, priority, queue, task)
  self.currentTcb = TCB.new(self.list, id, priority, queue, task)
  self.list = self.currentTcb
  self.blocks[id] = self.currentTcb
end
function Scheduler:addRunningTask(id, priority, queue, task)
  self:addTask(id, priority, queue, task)
  self.currentTcb:setRunning()
end
function Scheduler:schedule()
  self.currentTcb = self.list
  while self.currentTcb do
    if self.currentTcb:isHeldOrSuspended() then
      self.currentTcb = self.currentTcb.link
    else
      self.currentId = self.currentTcb.id
      self.currentTcb = self.currentTcb:run()
    end
  end
end
function Scheduler:release(id)
  local tcb = self.blocks[id]
  if tcb == nil then return tcb end
  tcb:markAsNotHeld()
  if tcb.priority > self.currentTcb.priority then return tcb end
  return self.currentTcb
end
function Scheduler:holdCurrent()
  self.holdCount = self.holdCount + 1
  self.currentTcb:markAsHeld()
  return self.currentTcb.link
end
function Scheduler:suspendCurrent()
  self.currentTcb:markAsSuspended()
  return self.currentTcb
end
function Scheduler:queue(packet)
  local t = self.blocks[packet.id]
  if t == nil then return t end
  self.queueCount = self.queueCount + 1
  packet.link = nil
  packet.id = self.currentId
  return t:checkPriorityAdd(self.currentTcb, packet)
end

---------------------------------------------------------------- Tasks
local IdleTask = {}
IdleTask.__index = IdleTask
function IdleTask.new(s, v1, count)
  return setmetatable({ scheduler = s, v1 = v1, count = count }, IdleTask)
end
function IdleTask:run(packet)
  self.count = self.count - 1
  if self.count == 0 then return self.scheduler:holdCurrent() end
  if self.v1 % 2 == 0 then
    self.v1 = self.v1 / 2
    return self.scheduler:release(ID_DEVICE_A)
  else
    -- v1 = (v1 >> 1) ^ 0xD008, emulated arithmetically on 16-bit values
    local v = (self.v1 - 1) / 2
    local x, y, r, bitv = v, 0xD008, 0, 1
    for _ = 1, 16 do
      local a, b = x % 2, y % 2
      if a ~= b then r = r + bitv end
      x = (x - a) / 2; y = (y - b) / 2; bitv = bitv * 2
    end
    self.v1 = r
    return self.scheduler:release(ID_DEVICE_B)
  end
end

local DeviceTask = {}
DeviceTask.__index = DeviceTask
function DeviceTask.new(s) return setmetatable({ scheduler = s, v1 = nil }, DeviceTask) end
function DeviceTask:run(packet)
  if packet == nil then
    if self.v1 == nil then return self.scheduler:suspendCurrent() end
    local v = self.v1
    self.v1 = nil
    return self.scheduler:queue(v)
  else
    self.v1 = packet
    return self.scheduler:holdCurrent()
  end
end

local WorkerTask = {}
WorkerTask.__index = WorkerTask
function WorkerTask.new(s, v1, v2) return setmetatable({ scheduler = s, v1 = v1, v2 = v2 }, WorkerTask) end
function WorkerTask:run(packet)
  if packet == nil then return self.scheduler:suspendCurrent() end
  if self.v1 == ID_HANDLER_A then self.v1 = ID_HANDLER_B else self.v1 = ID_HANDLER_A end
  packet.id = self.v1
  packet.a1 = 0
  for i = 1, DATA_SIZE do
    self.v2 = self.v2 + 1
    if self.v2 > 26 then self.v2 = 1 end
    packet.a2[i] = self.v2
  end
  return self.scheduler:queue(packet)
end

local HandlerTask = {}
HandlerTask.__index = HandlerTask
function HandlerTask.new(s) return setmetatable({ scheduler = s, v1 = nil, v2 = nil }, HandlerTask) end
function HandlerTask:run(packet)
  if packet ~= nil then
    if packet.kind == KIND_WORK then self.v1 = packet:addTo(self.v1)
    else self.v2 = packet:addTo(self.v2) end
  end
  if self.v1 ~= nil then
    local count = self.v1.a1
    local v
    if count < DATA_SIZE then
      if self.v2 ~= nil then
        v = self.v2
        self.v2 = self.v2.link
        v.a1 = self.v1.a2[count + 1]
        self.v1.a1 = count + 1
        return self.scheduler:queue(v)
      end
    else
      v = self.v1
      self.v1 = self.v1.link
      return self.scheduler:queue(v)
    end
  end
  return self.scheduler:suspendCurrent()
end

---------------------------------------------------------------- main
local function runRichards()
  local s = Scheduler.new()
  s:addIdleTask(ID_IDLE, 0, nil, COUNT)
  local queue = Packet.new(nil, ID_WORKER, KIND_WORK)
  queue = Packet.new(queue, ID_WORKER, KIND_WORK)
  s:addWorkerTask(ID_WORKER, 1000, queue)

  queue = Packet.new(nil, ID_DEVICE_A, KIND_DEVICE)
  queue = Packet.new(queue, ID_DEVICE_A, KIND_DEVICE)
  queue = Packet.new(queue, ID_DEVICE_A, KIND_DEVICE)
  s:addHandlerTask(ID_HANDLER_A, 2000, queue)

  queue = Packet.new(nil, ID_DEVICE_B, KIND_DEVICE)
  queue = Packet.new(queue, ID_DEVICE_B, KIND_DEVICE)
  queue = Packet.new(queue, ID_DEVICE_B, KIND_DEVICE)
  s:addHandlerTask(ID_HANDLER_B, 3000, queue)

  s:addDeviceTask(ID_DEVICE_A, 4000, nil)
  s:addDeviceTask(ID_DEVICE_B, 5000, nil)
  s:schedule()
  return s.queueCount, s.holdCount
end

function Scheduler:addIdleTask(id, priority, queue, count)
  self:addRunningTask(id, priority, queue, IdleTask.new(self, 1, count))
end
function Scheduler:addWorkerTask(id, priority, queue)
  self:addTask(id, priority, queue, WorkerTask.new(self, ID_HANDLER_A, 0))
end
function Scheduler:addHandlerTask(id, priority, queue)
  self:addTask(id, priority, queue, HandlerTask.new(self))
end
function Scheduler:addDeviceTask(id, priority, queue)
  self:addTask(id, priority, queue, DeviceTask.new(self))
end

local qsum, hsum = 0, 0
local ok = true
for _ = 1, N do
  local q, h = runRichards()
  if q ~= 2322 or h ~= 928 then ok = false end
  qsum = qsum + q
  hsum = hsum + h
end
print(string.format("queueCount=%d holdCount=%d ok=%s", qsum, hsum, tostring(ok)))
