-- The event log is kept for lifeboat.events.retention.keep (EventLogRetention): the pruning finds old rows by time.
create index outbox_event_sent on outbox_event (sent_at) where sent_at is not null;
create index processed_event_at on processed_event (processed_at);
