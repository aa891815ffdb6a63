-- REPLACE restores: the RestoreMember commands went out (once), and a rollback asked for afterwards.
-- rollback_state: REQUESTED -> ROLLED_BACK | FAILED.
alter table restore add column members_commanded  boolean not null default false;
alter table restore add column rollback_state     text;
alter table restore add column rollback_commanded boolean not null default false;
alter table restore add column rollback_error     text;

-- One row per member of a REPLACE restore, filled by the etcd-agents' answers.
-- state: COMMANDED -> RESTORED | FAILED; rollback_state: COMMANDED -> ROLLED_BACK | FAILED.
create table restore_member (
    restore_id      text        not null references restore (id),
    member_name     text        not null,
    state           text        not null,
    revision        bigint,
    revision_bumped boolean,
    note            text,
    reason          text,
    rollback_state  text,
    rollback_reason text,
    updated_at      timestamptz not null,
    primary key (restore_id, member_name)
);
