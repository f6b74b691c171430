"""The home page (what awaits a person) and a body's dashboard: they gather the meetings,
actions and reports of the domains below, so they sit above them all."""
