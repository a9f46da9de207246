"""JSON Schemas (draft 2020-12) for every file syncdoctor reads; data only."""
