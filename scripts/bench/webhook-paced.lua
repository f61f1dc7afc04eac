-- The peers' webhook.lua with a pause before each request, so a fixed number of connections offers a
-- steady rate (wrk has no rate option): rate ≈ connections × 1000 / (PACE_MS + latency).
-- PACING=poisson (default): each pause is drawn from an exponential distribution with mean PACE_MS,
-- so the connections send independently of each other, as many Zoho servers do.
-- PACING=lockstep: every pause is PACE_MS. The replies of one group commit come back together, so
-- the next requests leave together: the connections fall into step and arrive as bursts.
dofile(os.getenv("WEBHOOK_LUA"))
local pace = tonumber(os.getenv("PACE_MS") or "0")
local poisson = (os.getenv("PACING") or "poisson") == "poisson"
-- wrk drops the fraction of a pause (whole milliseconds only): a pause of 2.7 ms is rounded to 2 or 3 at
-- random, 3 seven times in ten, so pauses keep their mean and the rate can be set finer than a step of
-- one millisecond per connection (at 32 connections and ~6 ms a round trip, one step is ~17% of the rate).
local function whole(ms)
  return math.floor(ms + math.random())
end
function delay()
  if poisson then
    return whole(-math.log(1 - math.random()) * pace)
  end
  return pace
end
