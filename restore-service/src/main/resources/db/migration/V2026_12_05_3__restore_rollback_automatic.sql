-- A REPLACE that fails after some member's data dir was replaced is rolled back by the saga itself;
-- true marks such a rollback (false: asked for over REST).
alter table restore add column rollback_automatic boolean not null default false;
