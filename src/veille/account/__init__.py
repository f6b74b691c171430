"""A person's own account: the forgotten password's link by mail, and "Mon compte" (name,
language, password, the mail of each body, the calendar address, the API tokens). It sits
above the domains whose choices it gathers in one place."""
