-- Deltas and their chains (SnapshotCompleted.chainId/delta): a delta goes only with the full snapshots it extends.
alter table snapshot add column started_at timestamptz;
alter table snapshot add column chain_id text;
alter table snapshot add column first_revision bigint;
alter table snapshot add column base_snapshot_id text;
alter table snapshot add column first_event_at timestamptz;
alter table snapshot add column last_event_at timestamptz;
