"""Reading documents with positions: YAML and JSON parsed so that every value knows its file,
line and column (loader, yamlload, jsonload, located), JSON Schema checks in plain words
(schemas), the one finding type every check reports (findings), and the plain words and the one
"did you mean" of every message (words). Used alike by the rules (engine/), snapshots and
answers (facts/) and audit records (cli/): it imports nothing else of syncdoctor."""
