-- SciMark-style kernels: FFT, SOR, Monte Carlo, sparse mat-mult, LU.
-- N is a scale factor for the number of iterations of each kernel.
local N = tonumber(arg and arg[1]) or 100

local sqrt, sin, cos, abs, floor = math.sqrt, math.sin, math.cos, math.abs, math.floor
local PI = 3.141592653589793

-- Deterministic Park-Miller LCG (no math.random, so results are portable).
local Rand = {}
Rand.__index = Rand
function Rand.new(seed) return setmetatable({ s = seed }, Rand) end
function Rand:next()
  local s = (self.s * 16807) % 2147483647
  self.s = s
  return s / 2147483647
end

local function random_vector(n, rng)
  local v = {}
  for i = 1, n do v[i] = rng:next() end
  return v
end

local function random_matrix(m, n, rng)
  local a = {}
  for i = 1, m do
    local row = {}
    for j = 1, n do row[j] = rng:next() end
    a[i] = row
  end
  return a
end

---------------------------------------------------------------- FFT
-- data: interleaved complex array, 1-based: re at 2k-1, im at 2k (k = 1..n)
local function fft_bitreverse(data, n)
  local j = 0
  for i = 0, n - 2 do
    if i < j then
      local ii, jj = 2 * i + 1, 2 * j + 1
      data[ii], data[jj] = data[jj], data[ii]
      data[ii + 1], data[jj + 1] = data[jj + 1], data[ii + 1]
    end
    local k = n / 2
    while k <= j do j = j - k; k = k / 2 end
    j = j + k
  end
end

local function fft_transform(data, n, direction)
  fft_bitreverse(data, n)
  local dual = 1
  while dual < n do
    local w_real, w_imag = 1.0, 0.0
    local theta = 2.0 * direction * PI / (2.0 * dual)
    local s = sin(theta)
    local t = sin(theta / 2.0)
    local s2 = 2.0 * t * t
    for b = 0, n - 1, 2 * dual do
      local i, j = 2 * b + 1, 2 * (b + dual) + 1
      local wd_real, wd_imag = data[j], data[j + 1]
      data[j] = data[i] - wd_real
      data[j + 1] = data[i + 1] - wd_imag
      data[i] = data[i] + wd_real
      data[i + 1] = data[i + 1] + wd_imag
    end
    for a = 1, dual - 1 do
      local tmp_real = w_real - s * w_imag - s2 * w_real
      local tmp_imag = w_imag + s * w_real - s2 * w_imag
      w_real, w_imag = tmp_real, tmp_imag
      for b = 0, n - 1, 2 * dual do
        local i, j = 2 * (b + a) + 1, 2 * (b + a + dual) + 1
        local z1_real, z1_imag = data[j], data[j + 1]
        local wd_real = w_real * z1_real - w_imag * z1_imag
        local wd_imag = w_real * z1_imag + w_imag * z1_real
        data[j] = data[i] - wd_real
        data[j + 1] = data[i + 1] - wd_imag
        data[i] = data[i] + wd_real
        data[i + 1] = data[i + 1] + wd_imag
      end
    end
    dual = dual * 2
  end
end

local function fft_inverse(data, n)
  fft_transform(data, n, 1)
  local norm = 1.0 / n
  for i = 1, 2 * n do data[i] = data[i] * norm end
end

local function kernel_fft(iters, rng)
  local n = 1024
  local data = random_vector(2 * n, rng)
  local orig = {}
  for i = 1, 2 * n do orig[i] = data[i] end
  for _ = 1, iters do
    fft_transform(data, n, -1)
    fft_inverse(data, n)
  end
  local err, sum = 0, 0
  for i = 1, 2 * n do
    local d = data[i] - orig[i]
    err = err + d * d
    sum = sum + data[i]
  end
  -- error should be tiny; report it coarsely so rounding noise cannot leak out
  return sum, sqrt(err / n) < 1e-10
end

---------------------------------------------------------------- SOR
local function kernel_sor(iters, rng)
  local m = 100
  local G = random_matrix(m, m, rng)
  local omega = 1.25
  local omega_over_four = omega * 0.25
  local one_minus_omega = 1.0 - omega
  for _ = 1, iters do
    for i = 2, m - 1 do
      local Gi, Gim1, Gip1 = G[i], G[i - 1], G[i + 1]
      for j = 2, m - 1 do
        Gi[j] = omega_over_four * (Gim1[j] + Gip1[j] + Gi[j - 1] + Gi[j + 1])
              + one_minus_omega * Gi[j]
      end
    end
  end
  local sum = 0
  for i = 1, m do for j = 1, m do sum = sum + G[i][j] end end
  return sum
end

---------------------------------------------------------------- Monte Carlo
local function kernel_montecarlo(samples)
  local rng = Rand.new(113)
  local under = 0
  for _ = 1, samples do
    local x, y = rng:next(), rng:next()
    if x * x + y * y <= 1.0 then under = under + 1 end
  end
  return under / samples * 4.0, under
end

---------------------------------------------------------------- Sparse mat-mult
local function kernel_sparse(iters, rng)
  local n, nz = 1000, 5000
  local nr = floor(nz / n)
  local anz = nr * n
  local x = random_vector(n, rng)
  local y = {}
  local val, col, row = {}, {}, {}
  row[1] = 1
  for r = 1, n do
    local rowr = row[r]
    row[r + 1] = rowr + nr
    local step = floor(r / nr)
    if step < 1 then step = 1 end
    for i = 0, nr - 1 do
      col[rowr + i] = i * step + 1
    end
  end
  for i = 1, anz do val[i] = rng:next() end
  for _ = 1, iters do
    for r = 1, n do
      local sum = 0
      for i = row[r], row[r + 1] - 1 do
        sum = sum + x[col[i]] * val[i]
      end
      y[r] = sum
    end
  end
  local s = 0
  for r = 1, n do s = s + y[r] end
  return s
end

---------------------------------------------------------------- LU
local function lu_factor(A, pivot, n)
  for j = 1, n do
    local jp, t = j, abs(A[j][j])
    for i = j + 1, n do
      local ab = abs(A[i][j])
      if ab > t then jp, t = i, ab end
    end
    pivot[j] = jp
    if A[jp][j] == 0 then return false end
    if jp ~= j then A[j], A[jp] = A[jp], A[j] end
    if j < n then
      local recp = 1.0 / A[j][j]
      for k = j + 1, n do A[k][j] = A[k][j] * recp end
    end
    if j < n then
      local Aj = A[j]
      for ii = j + 1, n do
        local Aii = A[ii]
        local AiiJ = Aii[j]
        for jj = j + 1, n do
          Aii[jj] = Aii[jj] - AiiJ * Aj[jj]
        end
      end
    end
  end
  return true
end

local function kernel_lu(iters, rng)
  local n = 100
  local A = random_matrix(n, n, rng)
  local lu = {}
  local pivot = {}
  local ok = true
  for _ = 1, iters do
    for i = 1, n do
      local src, dst = A[i], lu[i] or {}
      for j = 1, n do dst[j] = src[j] end
      lu[i] = dst
    end
    if not lu_factor(lu, pivot, n) then ok = false end
  end
  local s, psum = 0, 0
  for i = 1, n do
    psum = psum + pivot[i] * i
    for j = 1, n do s = s + lu[i][j] end
  end
  return s, psum, ok
end

---------------------------------------------------------------- main
local rng = Rand.new(101010)
local fsum, fok = kernel_fft(20 * N, rng)
print(string.format("FFT:        sum=%.6f roundtrip_ok=%s", fsum, tostring(fok)))
local ssum = kernel_sor(10 * N, rng)
print(string.format("SOR:        sum=%.6f", ssum))
local pi, under = kernel_montecarlo(100000 * N)
print(string.format("MonteCarlo: pi=%.6f under=%d", pi, under))
local spsum = kernel_sparse(10 * N, rng)
print(string.format("Sparse:     sum=%.6f", spsum))
local lsum, psum, lok = kernel_lu(2 * N, rng)
print(string.format("LU:         sum=%.6f pivots=%d ok=%s", lsum, psum, tostring(lok)))
