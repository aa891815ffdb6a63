-- Deltas in the catalog: kind DELTA, revisions first_revision..revision of capture chain chain_id.
alter table snapshot add column first_revision bigint;
alter table snapshot add column chain_id text;
alter table snapshot add column base_snapshot_id text;
alter table snapshot add column event_count bigint;
alter table snapshot add column first_event_at timestamptz;
alter table snapshot add column last_event_at timestamptz;
create index snapshot_by_chain on snapshot (chain_id, first_revision) where chain_id is not null;

-- Pause state of clusters (ClusterPaused/Resumed): capture stops while a restore has the cluster paused.
alter table cluster add column paused boolean not null default false;
alter table cluster add column resumed_at timestamptz;

-- The DELTA policy of a cluster (BackupPolicySet with kind DELTA): at most one.
create table delta_policy (
    cluster_id     text primary key,
    policy_id      text   not null,
    period_seconds bigint not null,
    max_bytes      bigint not null
);

-- Capture chains. WAITING: needs a full snapshot to start from (one that started at or after base_after);
-- ACTIVE: its deltas continue from last_revision; ENDED: interrupted (paused, turned off, changes lost).
create table delta_chain (
    id                text primary key,
    cluster_id        text        not null,
    state             text        not null,
    base_after        timestamptz,
    request_after     timestamptz,
    base_requests     int         not null default 0,
    base_requested_at timestamptz,
    base_snapshot_id  text,
    base_revision     bigint,
    last_revision     bigint,
    last_event_at     timestamptz,
    deltas            bigint      not null default 0,
    end_reason        text,
    created_at        timestamptz not null,
    activated_at      timestamptz,
    ended_at          timestamptz
);
create unique index delta_chain_one_open_per_cluster on delta_chain (cluster_id) where state <> 'ENDED';
create index delta_chain_by_cluster on delta_chain (cluster_id, created_at desc);
