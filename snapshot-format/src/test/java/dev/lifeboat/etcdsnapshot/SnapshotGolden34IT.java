package dev.lifeboat.etcdsnapshot;

import dev.lifeboat.stack.EtcdRelease;

/** The golden checks on snapshots of etcd 3.4. */
class SnapshotGolden34IT extends SnapshotGolden {

    @Override
    EtcdRelease release() {
        return EtcdRelease.V3_4;
    }
}
