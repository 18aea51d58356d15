/**
 * Lua source run inside the VM to evaluate a config file: it loads the file in a sandbox and
 * encodes the returned table as JSON. Encoding in Lua (not through wasmoon's table conversion)
 * decides list-vs-map exactly, keeps "\0" in strings, rejects cycles, functions, NaN and mixed
 * tables with a key path, and cannot be confused by metatables (it reads tables raw).
 *
 * Inputs (globals, cleared on entry): __tsdb_src (file text), __tsdb_name (chunk name).
 * Returns: json, printed_lines  |  nil, error_message, kind ("syntax" | "run" | "value").
 */
export const LUA_SANDBOX = String.raw`
local src, name = __tsdb_src, __tsdb_name
__tsdb_src, __tsdb_name = nil, nil

local printed = {}
local function capture_print(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  printed[#printed + 1] = table.concat(parts, "\t", 1, parts.n)
end

-- Only pure functions: no io, load, require or os.execute. os.getenv sees nothing, so a config
-- evaluates the same on every machine (environment-specific values go in overrides instead).
-- pcall is left out so a config cannot swallow the VM's timeout error and loop forever.
local env = {
  string = string, table = table, math = math, utf8 = utf8,
  pairs = pairs, ipairs = ipairs, next = next, select = select, type = type,
  tostring = tostring, tonumber = tonumber, error = error, assert = assert,
  setmetatable = setmetatable, getmetatable = getmetatable,
  rawget = rawget, rawset = rawset, rawequal = rawequal, rawlen = rawlen,
  print = capture_print, _VERSION = _VERSION,
  os = { time = os.time, date = os.date, clock = os.clock, getenv = function() return nil end },
}
env._G = env

local chunk, err = load(src, "=" .. name, "t", env)
if not chunk then return nil, err, "syntax" end
local ok, value = pcall(chunk)
if not ok then
  return nil, type(value) == "string" and value or nil, "run"
end
if value == nil then
  return nil, "the file returned nothing; it must end with: return { storage = { ... }, ... }", "value"
end

local function fail(path, msg) error({ path = path, msg = msg }, 0) end
local function join(path, key) return path == "" and key or (path .. "." .. key) end
local function quote(s)
  return '"' .. (s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end)) .. '"'
end

local encode
local function encode_table(v, path, depth, seen, out)
  if seen[v] then fail(path, "contains itself (a cycle)") end
  if depth >= 64 then fail(path, "is nested too deeply") end
  seen[v] = true
  local count, maxi, names = 0, 0, {}
  for k in next, v do
    count = count + 1
    if math.type(k) == "integer" and k >= 1 then
      if k > maxi then maxi = k end
    elseif type(k) == "string" then
      if utf8.len(k) == nil then fail(path, "has a key that is not valid UTF-8") end
      names[#names + 1] = k
    else
      fail(path, "has the key " .. tostring(k) .. " (" .. type(k) .. "); keys must be names or list positions 1, 2, ...")
    end
  end
  if #names > 0 and #names < count then fail(path, "mixes list items with named keys") end
  if #names == 0 and count > 0 then
    if maxi ~= count then fail(path, "is a list with holes (nil items)") end
    out[#out + 1] = "["
    for i = 1, count do
      if i > 1 then out[#out + 1] = "," end
      encode(rawget(v, i), path .. "[" .. (i - 1) .. "]", depth + 1, seen, out)
    end
    out[#out + 1] = "]"
  else
    table.sort(names)
    out[#out + 1] = "{"
    for i, k in ipairs(names) do
      if i > 1 then out[#out + 1] = "," end
      out[#out + 1] = quote(k) .. ":"
      encode(rawget(v, k), join(path, k), depth + 1, seen, out)
    end
    out[#out + 1] = "}"
  end
  -- The same table may appear twice (local common = {...}); only a cycle is an error.
  seen[v] = nil
end

encode = function(v, path, depth, seen, out)
  local t = type(v)
  if t == "string" then
    if utf8.len(v) == nil then fail(path, "is not valid UTF-8 text") end
    out[#out + 1] = quote(v)
  elseif t == "number" then
    if math.type(v) == "integer" then
      out[#out + 1] = string.format("%d", v)
    elseif v ~= v or v == math.huge or v == -math.huge then
      fail(path, "is not a finite number")
    else
      out[#out + 1] = string.format("%.17g", v)
    end
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  elseif t == "table" then
    encode_table(v, path, depth, seen, out)
  else
    fail(path, "is a " .. t .. "; config values must be strings, numbers, booleans or tables")
  end
end

local out = {}
local okEnc, encErr = pcall(encode, value, "", 0, {}, out)
if not okEnc then
  if type(encErr) == "table" then
    local where = encErr.path == "" and "the returned value" or encErr.path
    return nil, where .. ": " .. encErr.msg, "value"
  end
  return nil, type(encErr) == "string" and encErr or nil, "run"
end
return table.concat(out), table.concat(printed, "\n")
`;
