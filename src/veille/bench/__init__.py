"""Benchmark data: ``veille bench seed`` fills an empty database with a city's or a metropolis'
years of reports, meetings and actions (issue 15), so that pages can be measured at scale.

The rows go in by bulk inserts, not through the services, which would take hours at this
size; the modules of this package therefore keep by hand every invariant the services keep
(shares of confidential reports, versions, the search index, charter acceptances, audit).
"""
