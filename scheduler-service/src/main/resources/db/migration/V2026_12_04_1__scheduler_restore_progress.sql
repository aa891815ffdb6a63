-- The restores the scheduler has heard of (RestorePhaseChanged), with their newest phase: a paused
-- cluster is resumed by hand only while no restore of it runs.
create table restore_progress (
    restore_id text        primary key,
    cluster_id text        not null,
    phase      text        not null,
    updated_at timestamptz not null
);
create index restore_progress_running on restore_progress (cluster_id) where phase not in ('COMPLETED', 'FAILED');
