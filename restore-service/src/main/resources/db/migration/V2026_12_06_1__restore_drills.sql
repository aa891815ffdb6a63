-- What a drill needs of a snapshot, from SnapshotCompleted: the plain db's size and the keyspace fingerprint the
-- source member gave at the snapshot's revision (null for snapshots taken before fingerprints were recorded).
alter table snapshot add column raw_size bigint;
alter table snapshot add column kv_hash bigint;
alter table snapshot add column kv_hash_compact_revision bigint;
alter table snapshot add column key_count bigint;

-- Restore drills: one snapshot restored into a scratch etcd on an etcd-agent's host and compared with the backup.
-- state: RUNNING -> PASSED | FAILED. While RUNNING, the agent named last was sent RunDrill (attempt 'attempts');
-- past expires_at without a verdict the drill is sent again (to the next member) or, after the last attempt, FAILED.
create table drill (
    id              text primary key,
    cluster_id      text        not null,
    snapshot_id     text        not null,
    revision        bigint      not null,
    member_name     text        not null,
    state           text        not null,
    stage           text,
    reason          text,
    note            text,
    requester       text,
    attempts        int         not null,
    expected_hash   bigint,
    expected_keys   bigint,
    observed_hash   bigint,
    observed_keys   bigint,
    hash_compared   boolean,
    sampled_keys    int,
    etcd_version    text,
    fetch_ms        bigint,
    restore_ms      bigint,
    start_ms        bigint,
    verify_ms       bigint,
    db_bytes        bigint,
    expires_at      timestamptz not null,
    created_at      timestamptz not null,
    updated_at      timestamptz not null,
    finished_at     timestamptz
);
-- One running drill per cluster; a second request is refused (409) until it ends.
create unique index drill_one_running_per_cluster on drill (cluster_id) where state = 'RUNNING';
create index drill_newest on drill (cluster_id, created_at desc);
create index drill_due on drill (expires_at) where state = 'RUNNING';
