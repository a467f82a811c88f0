"""KPI dashboard (issue 8): daily series over a period, costs against cloud list prices, cache
savings, week-over-week drift, CSV export. Read-only: nothing here writes to the database."""
