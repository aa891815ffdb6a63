-- A PENDING request that a later-started snapshot of its cluster answers ends COALESCED, naming that snapshot.
alter table snapshot add column coalesced_into text;
