"""Help pages, one per role: what to do first and where things are, in the reader's language."""
