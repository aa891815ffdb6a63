-- Restore drills' verdicts on a snapshot (restore-service's DrillEnded): when a drill last proved it restorable
-- (verified_at), and the newest verdict — PASSED or FAILED with the reason — with its drill and time.
alter table snapshot add column verified_at timestamptz;
alter table snapshot add column drill_id text;
alter table snapshot add column drill_verdict text;
alter table snapshot add column drill_reason text;
alter table snapshot add column drilled_at timestamptz;
