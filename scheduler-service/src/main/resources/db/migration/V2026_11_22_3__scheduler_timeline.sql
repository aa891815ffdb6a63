-- Every Lifeboat event about a cluster, from every service, as the timeline shows it.
create table timeline_event (
    event_id    uuid        primary key,
    cluster_id  text        not null,
    type        text        not null,
    source      text        not null,
    occurred_at timestamptz not null,
    trace_id    text,
    summary     text        not null,
    topic       text        not null,
    kafka_partition int     not null,
    kafka_offset bigint     not null
);
create index timeline_by_cluster on timeline_event (cluster_id, occurred_at, kafka_offset);
