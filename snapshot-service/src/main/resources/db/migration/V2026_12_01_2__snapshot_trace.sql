-- The trace of the request a snapshot answers (W3C traceparent): the worker that takes it later continues it.
alter table snapshot add column traceparent text;
