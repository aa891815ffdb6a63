package dev.lifeboat.snapshot;

import dev.lifeboat.events.testing.LocalStackResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** {@link SnapshotServiceCases}, against etcd 3.5, what Kubernetes runs (the stack's default, shared with the other test classes). */
@QuarkusTest
@WithTestResource(LocalStackResource.class)
class SnapshotServiceIT extends SnapshotServiceCases {
}
