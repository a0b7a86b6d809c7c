// Lookup indexes used by the explorer and the loaders. Idempotent: safe to run again.
// Kept equal to chainrisk/store/cypher.py (INDEXES) by tests/test_graph_schema.py.
// No index on a relationship property: planned on a near-empty database, the SUPPLIES
// upsert would seek it by component instead of expanding between the two firms.
CREATE INDEX firm_name IF NOT EXISTS FOR (n:Firm) ON (n.name);
CREATE INDEX firm_uscc IF NOT EXISTS FOR (n:Firm) ON (n.uscc);
CREATE INDEX component_name IF NOT EXISTS FOR (n:Component) ON (n.name);
CREATE INDEX component_stage IF NOT EXISTS FOR (n:Component) ON (n.stage);
CREATE INDEX region_level IF NOT EXISTS FOR (n:Region) ON (n.level);
CREATE FULLTEXT INDEX node_names IF NOT EXISTS FOR (n:Firm|Component|Region) ON EACH [n.name, n.name_zh];
