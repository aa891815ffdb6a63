-- Wakes the outbox relay when events are committed (NOTIFY is delivered at commit), so that an idle relay waits for work
-- instead of polling the table.
create or replace function lifeboat_outbox_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('lifeboat_outbox', '');
    return null;
end
$$;
create trigger outbox_event_notify after insert on outbox_event for each statement execute procedure lifeboat_outbox_notify();
