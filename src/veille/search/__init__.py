"""The header's search box: one query over reports, actions, meetings, problem files and
venues, each kind through its own domain's visibility rule."""
