-- DELTA policies: continuous capture, written out every period (the @every schedule) or once this many
-- bytes of changes accumulated. They never fire a slot, so their next_fire_at lies at the end of time.
alter table policy add column delta_max_bytes bigint;
