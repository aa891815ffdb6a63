-- etcd's cluster id (hex) of the member a FULL snapshot streamed from: which incarnation of the cluster it is of.
-- An etcd-agent compares it with its data dir's before starting etcd. Null for snapshots taken before.
alter table snapshot add column etcd_cluster_id text;
