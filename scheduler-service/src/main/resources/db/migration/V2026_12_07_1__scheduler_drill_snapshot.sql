-- A DRILL policy's snapshot selector: latest (null) or undrilled (the oldest full snapshot of the window no drill judged).
alter table policy add column drill_snapshot text;
