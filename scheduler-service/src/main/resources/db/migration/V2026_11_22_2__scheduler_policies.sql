-- Backup policies (ids unique within their cluster) and the slots they fired. next_fire_at is when the policy is next due (slot + the
-- cluster's jitter offset); fired_slot's key makes "a slot fires once" hold across replicas.
create table policy (
    cluster_id                text        not null references cluster (id) on delete cascade,
    id                        text        not null,
    schedule                  text        not null,
    time_zone                 text        not null,
    kind                      text        not null,
    jitter_seconds            bigint      not null default 0,
    starting_deadline_seconds bigint      not null,
    retention                 text,
    next_fire_at              timestamptz not null,
    created_at                timestamptz not null,
    primary key (cluster_id, id)
);
create index policy_due on policy (next_fire_at);

create table fired_slot (
    cluster_id text        not null,
    policy_id  text        not null,
    slot       timestamptz not null,
    request_id text        not null,
    fired_at   timestamptz not null,
    primary key (cluster_id, policy_id, slot)
);
