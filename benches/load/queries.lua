-- Cycle through realistic Partnership Office searches: words, a phrase,
-- type filters, lessons for a type, a paged request.
local paths = {
  "/api/search?q=water",
  "/api/search?q=water%20sanitation&kind=partnership&mode=implementation",
  "/api/search?q=%22capacity%20building%22&function=operational",
  "/api/search?q=accountability&kind=lesson&mode=negotiation",
  "/api/search?q=water&sector=business&limit=20",
  "/api/search?q=forest%20certification&kind=partnership&offset=10",
  "/api/search?kind=lesson&challenge=inclusion",
  "/api/search?q=health%20vaccines&function=advocacy&mode=coordination",
}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
