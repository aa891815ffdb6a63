-- Registered clusters: connection facts (credentials as references only) and pause state.
create table cluster (
    id            text primary key,
    spec          text        not null,
    paused        boolean     not null default false,
    paused_by     text,
    created_at    timestamptz not null,
    updated_at    timestamptz not null
);
