-- The peers' webhook.lua with a pause before each request, so a fixed number of connections offers a
-- steady rate (wrk has no rate option): rate ≈ connections × 1000 / (PACE_MS + latency).
-- PACING=poisson (default): each pause is drawn from an exponential distribution with mean PACE_MS,
-- so the connections send independently of each other, as many Zoho servers do.
-- PACING=lockstep: every pause is PACE_MS. The replies of one group commit come back together, so
-- the next requests leave together: the connections fall into step and arrive as bursts.
dofile(os.getenv("WEBHOOK_LUA"))
local pace = tonumber(os.getenv("PACE_MS") or "0")
local poisson = (os.getenv("PACING") or "poisson") == "poisson"
function delay()
  if poisson then
    return -math.log(1 - math.random()) * pace
  end
  return pace
end
