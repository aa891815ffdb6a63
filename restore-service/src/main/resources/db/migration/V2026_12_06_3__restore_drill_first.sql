-- REPLACE with drillFirst: a restore drill proves the snapshot restorable before anything is paused or replaced.
alter table restore add column drill_first boolean not null default false;
