-- Deltas and their chains (SnapshotCompleted.chainId/delta), for point-in-time plans and recovery windows.
alter table snapshot add column started_at timestamptz;
alter table snapshot add column chain_id text;
alter table snapshot add column first_revision bigint;
alter table snapshot add column base_snapshot_id text;
alter table snapshot add column first_event_at timestamptz;
alter table snapshot add column last_event_at timestamptz;
create index snapshot_by_chain on snapshot (cluster_id, chain_id) where chain_id is not null;

-- A point-in-time restore: the target (a revision, or a time whose revision is known once the deltas are
-- read), and the deltas replayed onto its full snapshot, in order.
alter table restore add column to_revision bigint;
alter table restore add column to_time timestamptz;
alter table restore add column delta_ids text;
alter table restore add column target_revision bigint;

-- Gaps delta capture recorded (DeltaGapDetected): shown with recovery windows and in refusals.
create table delta_gap (
    chain_id         text primary key,
    cluster_id       text        not null,
    last_revision    bigint      not null,
    compact_revision bigint,
    reason           text        not null,
    detected_at      timestamptz not null
);

-- The trace of the request (W3C traceparent): every instance that drives the restore continues it.
alter table restore add column traceparent text;
