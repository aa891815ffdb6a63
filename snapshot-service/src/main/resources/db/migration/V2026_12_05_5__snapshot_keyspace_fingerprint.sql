-- The keyspace's fingerprint at a FULL snapshot's revision, as its source member computed it right after the snapshot
-- (etcd HashKV and the live key count): what a restore drill compares a restore of the stored object against.
-- Null for deltas, for snapshots taken before, and where the member could not compute it.
alter table snapshot add column kv_hash bigint;
alter table snapshot add column kv_hash_compact_revision bigint;
alter table snapshot add column key_count bigint;
