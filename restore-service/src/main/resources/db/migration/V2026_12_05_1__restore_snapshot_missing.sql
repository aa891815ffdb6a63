-- retention-service announced the snapshot's object gone or damaged (SnapshotMissing) until it is found whole
-- again (SnapshotFound): "latest" passes over it and naming it is refused.
alter table snapshot add column missing boolean not null default false;
alter table snapshot add column missing_reason text;
