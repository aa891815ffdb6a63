-- Point-in-time drills: the revision asked for, the deltas replayed onto the full snapshot (comma-separated ids, in chain
-- order; null for a drill of the snapshot alone), and the compaction the expected fingerprint was taken under, so that a
-- retry sends the same expectation.
alter table drill add column to_revision bigint;
alter table drill add column delta_ids text;
alter table drill add column expected_compact_revision bigint;
