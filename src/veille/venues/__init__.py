"""Night-life venues and the charter they sign (COPIL vie nocturne)."""
