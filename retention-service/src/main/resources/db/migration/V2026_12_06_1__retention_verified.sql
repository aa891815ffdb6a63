-- When a restore drill last proved the snapshot restorable (restore-service's DrillEnded, passed); null: never.
-- The newest verified full snapshot of a cluster is never deleted.
alter table snapshot add column verified_at timestamptz;
