-- An event Kafka can never take (too large for the broker, an unknown type, an invalid topic) is parked with the
-- reason instead of blocking every event behind it; the relay skips parked rows and the parked gauge counts them.
alter table outbox_event add column parked_at timestamptz;
alter table outbox_event add column park_reason text;
create index outbox_event_parked on outbox_event (id) where parked_at is not null;
