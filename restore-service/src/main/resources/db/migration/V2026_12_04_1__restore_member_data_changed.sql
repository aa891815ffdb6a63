-- Whether a member's agent changed its data dir before its restore failed: false when it put the
-- pre-restore data dir back (then a restore that changed no member resumes its cluster by itself).
alter table restore_member add column data_changed boolean;
