-- Clusters as the scheduler announced them (for their bucket and prefix).
create table cluster (
    id         text primary key,
    spec       text        not null,
    deleted    boolean     not null default false,
    updated_at timestamptz not null
);

-- Retention settings of each backup policy (JSON of RetentionSpec).
create table policy (
    cluster_id text not null,
    policy_id  text not null,
    retention  text,
    primary key (cluster_id, policy_id)
);

-- Completed snapshots. state: COMPLETED -> DELETING -> DELETED; COMPLETED -> MISSING (object gone).
create table snapshot (
    id           text primary key,
    cluster_id   text        not null,
    kind         text        not null,
    bucket       text        not null,
    object_key   text        not null,
    stored_size  bigint      not null,
    revision     bigint      not null,
    completed_at timestamptz not null,
    state        text        not null,
    reason       text,
    held         boolean     not null default false,
    updated_at   timestamptz not null
);
create index snapshot_by_cluster on snapshot (cluster_id, completed_at desc);
create index snapshot_by_object on snapshot (bucket, object_key);

-- Snapshots a running restore uses: never deleted while the restore runs.
create table pin (
    restore_id  text primary key,
    snapshot_id text not null,
    cluster_id  text not null
);

-- Objects under a cluster's prefix that no catalog knows, since when.
create table orphan (
    bucket     text        not null,
    object_key text        not null,
    cluster_id text        not null,
    size       bigint      not null,
    first_seen timestamptz not null,
    primary key (bucket, object_key)
);
