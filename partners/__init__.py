"""Partner sites that embed the booking widget: publishable keys, allowed origins, webhooks.

admin API (router.py)          create, list, change, deactivate partners; rotate keys
X-Partner-Key (dependencies)   public booking calls attributed to a partner, from its origins only
middleware.py                  CORS for partner origins, framing rules (CSP frame-ancestors)
webhooks.py                    outbox rows written with the booking, sent signed in the background
"""
