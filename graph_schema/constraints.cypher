// Uniqueness constraints on every node key. Idempotent: safe to run again.
// Kept equal to chainrisk/schema.py (LABEL_KEYS) and chainrisk/store/cypher.py
// (CONSTRAINTS) by tests/test_graph_schema.py. Loads refuse to start without them.
CREATE CONSTRAINT region_id IF NOT EXISTS FOR (n:Region) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT firm_id IF NOT EXISTS FOR (n:Firm) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT component_id IF NOT EXISTS FOR (n:Component) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT chain_id IF NOT EXISTS FOR (n:Chain) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT load_id IF NOT EXISTS FOR (n:Load) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT bundle_name IF NOT EXISTS FOR (n:Bundle) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT resolution_key IF NOT EXISTS FOR (n:Resolution) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT meta_key IF NOT EXISTS FOR (n:Meta) REQUIRE n.key IS UNIQUE;
