"""The front doors: the patient booking page, the manage page, the call-center console and the
partner widget. Server-rendered Jinja2 shells with plain ES-module JavaScript that calls the public
API; no business rule lives here."""
