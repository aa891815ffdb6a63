-- The transactional outbox and the idempotent consumer of shared-events, in each service's own schema.
-- Migrations are versioned by date (V<yyyy>_<mm>_<dd>_<n>) in shared-events and in every service, so that
-- migrations of both locations interleave in the order they were written.

-- Outgoing events. A row is written in the same transaction as the state change it announces; the relay
-- publishes rows in id order and sets sent_at. Rows are kept: they are the service's event log.
create table outbox_event (
    id            bigint generated always as identity primary key,
    event_id      uuid        not null unique,
    cluster_id    text        not null,
    partition_key text        not null,
    topic         text        not null,
    type          text        not null,
    source        text        not null,
    payload       text        not null,
    traceparent   text,
    tracestate    text,
    created_at    timestamptz not null,
    sent_at       timestamptz
);
create index outbox_event_unsent on outbox_event (id) where sent_at is null;
create index outbox_event_cluster on outbox_event (cluster_id, id);

-- Incoming events already applied, per consumer; inserted in the same transaction as the effect.
create table processed_event (
    consumer     text        not null,
    event_id     uuid        not null,
    type         text        not null,
    processed_at timestamptz not null,
    primary key (consumer, event_id)
);
