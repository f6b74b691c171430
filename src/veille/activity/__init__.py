"""Activity figures: the monthly counts partner organisations keep on their own series, entered
in a grid and compared year on year (tables, charts, exports, API)."""
