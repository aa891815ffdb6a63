-- State of the small application the backbone tests run: notes it writes, effects of events it consumes.
create table test_note (
    cluster_id text primary key
);
create table test_effect (
    cluster_id text not null,
    type       text not null,
    applied    int  not null,
    primary key (cluster_id, type)
);
