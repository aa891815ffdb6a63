-- Clusters as the scheduler announced them (connection facts, credentials as references).
create table cluster (
    id         text primary key,
    spec       text        not null,
    deleted    boolean     not null default false,
    updated_at timestamptz not null
);

-- Completed snapshots as snapshot-service announced them; deleted by retention => deleted = true.
create table snapshot (
    id                text primary key,
    cluster_id        text        not null,
    kind              text        not null,
    revision          bigint      not null,
    bucket            text        not null,
    object_key        text        not null,
    stored_size       bigint      not null,
    stored_sha256     text,
    raw_sha256        text        not null,
    compression       text        not null,
    encryption_key_id text,
    completed_at      timestamptz not null,
    deleted           boolean     not null default false
);
create index snapshot_latest on snapshot (cluster_id, completed_at desc) where not deleted;

-- The restore saga. phase: VALIDATING -> PAUSING -> FETCHING -> RESTORING -> VERIFYING -> RESUMING -> COMPLETED | FAILED.
create table restore (
    id                text primary key,
    cluster_id        text        not null,
    target_cluster    text        not null,
    snapshot_id       text        not null,
    mode              text        not null,
    key_prefix        text,
    prune             boolean     not null,
    dry_run           boolean     not null,
    requester         text,
    phase             text        not null,
    error             text,
    note              text,
    phases            text        not null,
    pause_requested   boolean     not null default false,
    paused            boolean     not null default false,
    resume_requested  boolean     not null default false,
    resumed           boolean     not null default false,
    keys_total        bigint,
    keys_processed    bigint,
    keys_put          bigint,
    keys_deleted      bigint,
    keys_unchanged    bigint,
    claimed_by        text,
    claimed_until     timestamptz,
    created_at        timestamptz not null,
    updated_at        timestamptz not null
);
create index restore_by_cluster on restore (target_cluster, created_at desc);
-- One restore per cluster at a time, across every replica.
create unique index restore_one_active_per_cluster on restore (target_cluster) where phase not in ('COMPLETED', 'FAILED');
