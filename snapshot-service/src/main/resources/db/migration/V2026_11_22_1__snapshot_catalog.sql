-- Clusters as the scheduler announced them (ClusterRegistered/Updated/Deleted): connection facts only,
-- credentials as references.
create table cluster (
    id         text primary key,
    spec       text        not null,
    deleted    boolean     not null default false,
    updated_at timestamptz not null
);

-- The snapshot catalog. phase: PENDING -> RUNNING -> COMPLETED | FAILED; COMPLETED -> DELETED.
create table snapshot (
    id                text primary key,
    request_id        text        not null unique,
    cluster_id        text        not null,
    kind              text        not null,
    phase             text        not null,
    reason            text,
    requested_at      timestamptz not null,
    started_at        timestamptz,
    completed_at      timestamptz,
    attempts          int         not null default 0,
    claimed_by        text,
    claimed_until     timestamptz,
    endpoint          text,
    etcd_version      text,
    bucket            text,
    staging_key       text,
    upload_id         text,
    object_key        text,
    compression       text,
    encryption_key_id text,
    raw_size          bigint,
    stored_size       bigint,
    raw_sha256        text,
    stored_sha256     text,
    revision          bigint
);
create index snapshot_by_cluster on snapshot (cluster_id, requested_at desc);
create index snapshot_work on snapshot (requested_at) where phase in ('PENDING', 'RUNNING');
-- One snapshot per cluster at a time, across every replica.
create unique index snapshot_one_running_per_cluster on snapshot (cluster_id) where phase = 'RUNNING';
