"""The web plumbing around the routes: health, CORS, outages, throttling, background work."""
