package dev.lifeboat.etcdsnapshot;

import dev.lifeboat.stack.EtcdRelease;

/** The golden checks on snapshots of etcd 3.5. */
class SnapshotGoldenIT extends SnapshotGolden {

    @Override
    EtcdRelease release() {
        return EtcdRelease.V3_5;
    }
}
